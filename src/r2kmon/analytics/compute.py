"""The one entry point the runtime and ``snapshot`` call: every analytic, from frames.

Two steps, so the live path stays cheap (see ``bench/analytics.py``):

1. :func:`prepare_daily` — once per day, or whenever daily history changes: cleans every
   input, replays the breakout machines, computes resistance levels, correlations (and
   the rolling series and matrix the UI draws), relative strength (and the ratio series),
   the event study, altcoin season, dominance, liquidity, flows, the
   gauge at the last close and the gauge of "yesterday". Seconds at most; run it off the
   event loop.
2. :func:`compute_live` — on every new 1-minute bar: judges live prices against the
   prepared state (one state-machine step per symbol and level kind, prefix-sum moving
   averages) and rebuilds the gauge. Sub-millisecond to a few milliseconds.

:func:`compute_all` is both in one call. Time convention: every ``as_of``, ``since`` and
date field is UTC epoch seconds (``float``); see :mod:`r2kmon.analytics.series`.

Why over 400 lines: this is where every analytic meets (what the daily step prepares and
hands the live one, and the result assembled from both); each analytic itself lives in its
own module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Final

import pandas as pd

from r2kmon.analytics import components as comp
from r2kmon.analytics.breakout import (
    BoardSettings,
    SymbolBreakouts,
    before_day,
    board_row,
    run,
    with_live_price,
)
from r2kmon.analytics.correlation import (
    correlation_matrix,
    latest_correlation,
    rolling_series,
)
from r2kmon.analytics.event_study import event_study
from r2kmon.analytics.flows import Flows, implied_flows, money_flow_proxy
from r2kmon.analytics.gauge import ComponentInput, GaugeSettings, combine
from r2kmon.analytics.liquidity import LiquiditySettings, NetLiquidity, net_liquidity
from r2kmon.analytics.relative_strength import (
    RelativeStrength,
    plain_ratio,
    ratio_series,
    relative_strength_at,
)
from r2kmon.analytics.season import (
    AltSeason,
    Breadth,
    DominanceTrend,
    SeasonSettings,
    altcoin_season,
    dominance_trend,
    live_breadth,
)
from r2kmon.analytics.series import (
    Averager,
    clean_closes,
    clean_values,
    day_of,
    empty_series,
    epoch,
    finite_or_none,
    is_crypto_pair,
)
from r2kmon.model.analytics import (
    AnalyticsResult as AnalyticsResult,  # the package's entry point names it (__init__)
)
from r2kmon.model.analytics import (
    BoardRow,
    ContextEntry,
    CorrelationMatrix,
    CorrelationSeries,
    CorrelationValue,
    EventStudy,
    Gauge,
    RatioSeries,
)

# Names of the context series the runtime may hand in (``AnalyticsInputs.context``).
WALCL: Final = "WALCL"
"""Fed total assets, FRED, millions USD (weekly)."""
WTREGEN: Final = "WTREGEN"
"""Treasury General Account, FRED, millions USD (weekly)."""
RRPONTSYD: Final = "RRPONTSYD"
"""Overnight reverse repo, FRED, billions USD (daily)."""
BTC_DOMINANCE: Final = "btc_dominance"
"""BTC share of total crypto market cap, percent."""
FEAR_GREED: Final = "fear_greed"
"""Crypto Fear & Greed index, 0-100."""
IWM_SHARES: Final = "iwm_shares_outstanding"
"""IWM shares outstanding snapshots (from the iShares holdings file)."""
IWM_NAV: Final = "iwm_nav"
"""IWM NAV per share; the close is used when absent."""
ALT_BASKET: Final = "alt_basket_mcap"
"""Altcoin basket market cap (TOTAL2-like), USD, for the event study."""


@dataclass(frozen=True, slots=True)
class LivePrice:
    """A live price (last trade or 1-minute bar close) and its UTC epoch time."""

    price: float
    ts: float


def _empty_mapping() -> Mapping[str, object]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class AnalyticsInputs:
    """Everything the analytics read. All frames are indexed by date (``DatetimeIndex``,
    UTC-naive or aware); they may be unsorted, gapped or duplicated — they are cleaned here.
    """

    daily: Mapping[str, pd.DataFrame]
    """Symbol → daily bars with a ``close`` column (``volume`` optional), completed
    sessions; a row dated today is treated as provisional and replaced by a live price."""
    context: Mapping[str, pd.Series] = field(default_factory=lambda: MappingProxyType({}))
    """Context series by the names defined in this module (``WALCL``, ``BTC_DOMINANCE``...)."""
    live: Mapping[str, LivePrice] = field(default_factory=lambda: MappingProxyType({}))
    changes_24h: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    """Symbol → 24 h change in percent from the feeds, for live breadth."""
    sources: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Input name (symbol or context key) → provider name, echoed in ``context[*].source``."""


@dataclass(frozen=True, slots=True)
class AnalyticsSettings:
    """Everything tunable; the lead maps the config file onto these."""

    board_symbols: tuple[str, ...] = ("^RUT", "IWM", "SPY", "BTC-USD", "ETH-USD")
    board: BoardSettings = field(default_factory=BoardSettings)
    gauge: GaugeSettings = field(default_factory=GaugeSettings)
    components: comp.ComponentSettings = field(default_factory=comp.ComponentSettings)
    season: SeasonSettings = field(default_factory=SeasonSettings)
    liquidity: LiquiditySettings = field(default_factory=LiquiditySettings)
    correlation_pairs: tuple[tuple[str, str], ...] = (
        ("^RUT", "BTC-USD"),
        ("^RUT", "ETH-USD"),
        ("IWM", "BTC-USD"),
        ("IWM", "ETH-USD"),
        ("SPY", "BTC-USD"),
        ("SPY", "ETH-USD"),
    )
    correlation_windows: tuple[int, ...] = (30, 90)
    matrix_symbols: tuple[str, ...] | None = None
    """The symbols of the correlation matrix, in its order (those without daily closes are
    left out); ``None``: every symbol of ``daily``."""
    matrix_window: int = 90
    """Joint daily returns behind each value of the correlation matrix."""
    relative_strength_pairs: tuple[tuple[str, str], ...] = (
        ("IWM", "SPY"),
        ("^RUT", "^GSPC"),
        ("ETH-USD", "BTC-USD"),
    )
    rs_fast: int = 50
    rs_slow: int = 200
    event_symbols: tuple[str, ...] = ("^RUT", "IWM")
    event_assets: tuple[str, ...] = ("BTC-USD", "ETH-USD", ALT_BASKET)
    event_horizons: tuple[int, ...] = (30, 90, 180)
    event_min_quiet_days: int = 182
    alt_coins: tuple[str, ...] | None = None
    """The coins of the altcoin-season index (the top 50); ``None``: every crypto pair in
    ``daily`` (exclusions apply either way)."""
    gauge_breakout_symbols: tuple[str, ...] = ("^RUT", "IWM")
    index_symbol: str = "^RUT"
    small_cap_symbol: str = "IWM"
    large_cap_symbol: str = "SPY"
    btc_symbol: str = "BTC-USD"
    vix_symbol: str = "^VIX"
    dollar_symbol: str = "DX-Y.NYB"


@dataclass(frozen=True, slots=True)
class _Static:
    """The analytics that do not move with live prices."""

    season: AltSeason
    dominance: DominanceTrend
    liquidity: NetLiquidity
    flows: Flows | None
    fear_greed: float | None
    fear_greed_as_of: float | None


@dataclass(frozen=True, slots=True)
class DailyState:
    """What :func:`prepare_daily` computed; the input of :func:`compute_live`."""

    settings: AnalyticsSettings
    ref_day: pd.Timestamp | None
    """The newest date in the daily data."""
    closes: Mapping[str, Averager]
    ratios: Mapping[tuple[str, str], Averager]
    machines: Mapping[str, SymbolBreakouts]
    correlation: tuple[CorrelationValue, ...]
    event_studies: tuple[EventStudy, ...]
    correlation_series: tuple[CorrelationSeries, ...]
    correlation_matrix: CorrelationMatrix
    ratio_series: tuple[RatioSeries, ...]
    today: _Static
    close_score: float | None
    """Gauge score at the last daily close (no live prices)."""
    yesterday_score: float | None
    """Gauge score from the data before ``ref_day``."""
    sources: Mapping[str, str]


_Price = tuple[float, pd.Timestamp, float]
"""A price, its date and its ``as_of`` (epoch seconds)."""


def _static(
    closes: Mapping[str, pd.Series],
    daily: Mapping[str, pd.DataFrame],
    context: Mapping[str, pd.Series],
    settings: AnalyticsSettings,
    before: pd.Timestamp | None,
) -> _Static:
    def cut(series: pd.Series) -> pd.Series:
        return series if before is None else series[series.index < before]

    btc = closes.get(settings.btc_symbol, empty_series())
    coin_names = settings.alt_coins or tuple(s for s in closes if is_crypto_pair(s))
    coins = {s: cut(closes[s]) for s in coin_names if s in closes}
    season = altcoin_season(coins, cut(btc), settings.season)
    dom_raw = context.get(BTC_DOMINANCE)
    dom = dominance_trend(
        cut(clean_values(dom_raw)) if dom_raw is not None else empty_series(),
        settings.season,
    )
    empty = empty_series()
    liq = net_liquidity(
        cut(clean_values(context.get(WALCL, empty))),
        cut(clean_values(context.get(RRPONTSYD, empty))),
        cut(clean_values(context.get(WTREGEN, empty))),
        settings.liquidity,
    )
    flow = _flows(closes, daily, context, settings, before)
    fg_raw = context.get(FEAR_GREED)
    fg = cut(clean_values(fg_raw)) if fg_raw is not None else empty
    fg_value = float(fg.iloc[-1]) if not fg.empty else None
    fg_as_of = epoch(pd.Timestamp(fg.index[-1])) if not fg.empty else None
    return _Static(season, dom, liq, flow, fg_value, fg_as_of)


def _flows(
    closes: Mapping[str, pd.Series],
    daily: Mapping[str, pd.DataFrame],
    context: Mapping[str, pd.Series],
    settings: AnalyticsSettings,
    before: pd.Timestamp | None,
) -> Flows | None:
    symbol = settings.small_cap_symbol
    index = closes.get(settings.index_symbol)
    if index is not None and before is not None:
        index = index[index.index < before]
    shares = context.get(IWM_SHARES)
    if shares is not None:
        shares = clean_values(shares)
        nav = context.get(IWM_NAV)
        nav_clean = clean_closes(nav) if nav is not None else closes.get(symbol)
        if nav_clean is not None:
            if before is not None:
                shares = shares[shares.index < before]
                nav_clean = nav_clean[nav_clean.index < before]
            implied = implied_flows(shares, nav_clean, index)
            if implied is not None:
                return implied
    frame = daily.get(symbol)
    if frame is None:
        return None
    if before is not None:
        idx = pd.DatetimeIndex(frame.index)
        if idx.tz is not None:
            idx = idx.tz_convert("UTC").tz_localize(None)
        frame = frame[idx.normalize() < before]
    return money_flow_proxy(frame, index)


def _last_price(series: Averager | None) -> _Price | None:
    if series is None:
        return None
    last = series.last()
    if last is None:
        return None
    value, day = last
    return value, day, epoch(day)


def _close_row(machines: SymbolBreakouts) -> BoardRow:
    """The board row as of the machines' last daily close, stamped with that day."""
    day = machines.last_day
    return board_row(machines, epoch(day) if day is not None else None)


def _price_before(series: Averager | None, day: pd.Timestamp | None) -> _Price | None:
    """The last close dated before ``day`` (yesterday's view)."""
    if series is None:
        return None
    s = series.series
    if day is not None:
        s = s[s.index < day]
    if s.empty:
        return None
    last_day = pd.Timestamp(s.index[-1])
    return float(s.iloc[-1]), last_day, epoch(last_day)


def _gauge(
    state: DailyState,
    static: _Static,
    board: Sequence[BoardRow],
    prices: Mapping[str, _Price],
    ratios: Mapping[tuple[str, str], RelativeStrength],
    now: float | None,
    previous: float | None,
) -> Gauge:
    cfg = state.settings
    c = cfg.components

    def at(symbol: str) -> tuple[Averager | None, float | None, pd.Timestamp | None, float | None]:
        p = prices.get(symbol)
        if p is None:
            return state.closes.get(symbol), None, None, None
        return state.closes.get(symbol), p[0], p[1], p[2]

    wanted = set(cfg.gauge_breakout_symbols)
    inputs: list[ComponentInput] = [comp.breakout([r for r in board if r.symbol in wanted], c)]
    inputs.append(comp.small_cap_rs(ratios.get((cfg.small_cap_symbol, cfg.large_cap_symbol)), c))
    idx = cfg.index_symbol
    inputs.append(
        comp.trend(
            "index_trend", *at(idx), c.index_trend_window, c.index_trend_scale_pct, False,
            f"{idx} vs {c.index_trend_window}-day average, %",
        )
    )  # fmt: skip
    btc = cfg.btc_symbol
    inputs.append(
        comp.trend(
            "btc_trend", *at(btc), c.btc_trend_window, c.btc_trend_scale_pct, False,
            f"{btc} vs {c.btc_trend_window}-day average, %",
        )
    )  # fmt: skip
    inputs.append(
        comp.momentum(
            "btc_momentum", *at(btc), c.btc_momentum_days, c.btc_momentum_scale_pct,
            f"{btc} change over {c.btc_momentum_days} days, %",
        )
    )  # fmt: skip
    inputs.append(comp.alt_season(static.season))
    inputs.append(comp.dominance(static.dominance, c))
    vix = prices.get(cfg.vix_symbol)
    inputs.append(comp.vix_level(vix[0] if vix else None, vix[2] if vix else None, c))
    inputs.append(
        comp.trend(
            "vix_trend", *at(cfg.vix_symbol), c.vix_trend_window, c.vix_trend_scale_pct, True,
            f"VIX vs {c.vix_trend_window}-day average, %",
        )
    )  # fmt: skip
    inputs.append(
        comp.trend(
            "dollar_trend", *at(cfg.dollar_symbol), c.dollar_trend_window,
            c.dollar_trend_scale_pct, True,
            f"{cfg.dollar_symbol} vs {c.dollar_trend_window}-day average, %",
        )
    )  # fmt: skip
    inputs.append(comp.liquidity(static.liquidity, c))
    inputs.append(comp.flows(static.flows))
    inputs.append(comp.fear_greed(static.fear_greed, static.fear_greed_as_of))
    return combine(_fresh(inputs, now, c.max_age_days), cfg.gauge, previous)


def _fresh(
    inputs: Sequence[ComponentInput], now: float | None, max_age_days: float
) -> list[ComponentInput]:
    if now is None:
        return list(inputs)
    limit = now - max_age_days * 86_400
    out = []
    for i in inputs:
        if i.score is not None and i.as_of is not None and i.as_of < limit:
            out.append(ComponentInput(i.name, i.value, None, i.as_of, i.note + " (stale)"))
        else:
            out.append(i)
    return out


def _ratios_at(
    state: DailyState, prices: Mapping[str, _Price]
) -> dict[tuple[str, str], RelativeStrength]:
    cfg = state.settings
    out: dict[tuple[str, str], RelativeStrength] = {}
    for num, den in cfg.relative_strength_pairs:
        base = state.ratios.get((num, den))
        pn, pd_ = prices.get(num), prices.get(den)
        if base is None or pn is None or pd_ is None or pd_[0] == 0:
            continue
        # Both prices must be of the same day; otherwise the ratio mixes sessions.
        if pn[1] != pd_[1]:
            last = base.last()
            if last is None:
                continue
            value, day = last
            out[(num, den)] = relative_strength_at(
                num, den, base, value, day, epoch(day), cfg.rs_fast, cfg.rs_slow
            )
            continue
        out[(num, den)] = relative_strength_at(
            num, den, base, pn[0] / pd_[0], pn[1], min(pn[2], pd_[2]), cfg.rs_fast, cfg.rs_slow
        )
    return out


def prepare_daily(inputs: AnalyticsInputs, settings: AnalyticsSettings) -> DailyState:
    """Everything that changes at most once a day (see the module docstring)."""
    closes = {s: clean_closes(f) for s, f in inputs.daily.items() if "close" in f.columns}
    closes = {s: c for s, c in closes.items() if not c.empty}
    ref_day = max((pd.Timestamp(c.index[-1]) for c in closes.values()), default=None)
    machines = {s: run(s, closes[s], settings.board) for s in settings.board_symbols if s in closes}
    correlation = tuple(
        latest_correlation(a, closes[a], b, closes[b], w)
        for a, b in settings.correlation_pairs
        if a in closes and b in closes
        for w in settings.correlation_windows
    )
    rolling = tuple(
        series
        for a, b in settings.correlation_pairs
        if a in closes and b in closes
        for series in rolling_series(a, closes[a], b, closes[b], settings.correlation_windows)
    )
    in_matrix = tuple(closes) if settings.matrix_symbols is None else settings.matrix_symbols
    matrix = correlation_matrix(
        {s: closes[s] for s in in_matrix if s in closes}, settings.matrix_window
    )
    ratios = {
        (n, d): Averager(ratio_series(closes[n], closes[d]))
        for n, d in settings.relative_strength_pairs
        if n in closes and d in closes
    }
    plain_ratios = tuple(plain_ratio(n, d, r.series) for (n, d), r in ratios.items())
    studies = tuple(
        event_study(
            s,
            closes[s],
            _event_assets(closes, inputs.context, settings),
            settings.event_horizons,
            settings.event_min_quiet_days,
        )
        for s in settings.event_symbols
        if s in closes
    )
    averagers = {s: Averager(c) for s, c in closes.items()}
    today = _static(closes, inputs.daily, inputs.context, settings, None)
    yesterday = _static(closes, inputs.daily, inputs.context, settings, ref_day)
    partial = DailyState(
        settings=settings,
        ref_day=ref_day,
        closes=MappingProxyType(averagers),
        ratios=MappingProxyType(ratios),
        machines=MappingProxyType(machines),
        correlation=correlation,
        event_studies=studies,
        correlation_series=rolling,
        correlation_matrix=matrix,
        ratio_series=plain_ratios,
        today=today,
        close_score=None,
        yesterday_score=None,
        sources=inputs.sources,
    )
    # Yesterday: every series cut before ref_day, machines rewound by their last row.
    y_prices = {s: p for s in averagers if (p := _price_before(averagers[s], ref_day))}
    y_board = [
        board_row(before_day(m, ref_day), y_prices[s][2] if s in y_prices else None)
        for s, m in machines.items()
        if ref_day is not None
    ]
    y_now = epoch(ref_day) - 86_400 if ref_day is not None else None
    y_gauge = _gauge(
        partial, yesterday, y_board, y_prices, _ratios_at(partial, y_prices), y_now, None
    )
    c_prices = {s: p for s in averagers if (p := _last_price(averagers[s]))}
    c_board = [_close_row(m) for m in machines.values()]
    c_now = epoch(ref_day) if ref_day is not None else None
    c_gauge = _gauge(
        partial, today, c_board, c_prices, _ratios_at(partial, c_prices), c_now, y_gauge.score
    )
    return replace(partial, close_score=c_gauge.score, yesterday_score=y_gauge.score)


def close_gauge_on(
    state: DailyState,
    inputs: AnalyticsInputs,
    day: pd.Timestamp,
    machines: Mapping[str, SymbolBreakouts],
) -> Gauge:
    """The gauge at the close of ``day``, from the data dated on or before it only: the
    steps of :func:`prepare_daily`'s close gauge (same static analytics, prices, ratios,
    freshness rule and weights) with every series cut after ``day``. ``machines`` are the
    breakout machines as they stood after ``day`` (see
    :func:`~r2kmon.analytics.breakout.machines_by_day`). For the replay of
    :mod:`r2kmon.analytics.track_record`; with ``day = state.ref_day`` and the state's own
    machines it is ``state.close_score``."""
    cut = day + pd.Timedelta(days=1)
    closes = {s: a.series for s, a in state.closes.items()}
    static = _static(closes, inputs.daily, inputs.context, state.settings, cut)
    prices = {s: p for s in state.closes if (p := _price_before(state.closes[s], cut))}
    board = [_close_row(m) for m in machines.values()]
    return _gauge(state, static, board, prices, _ratios_at(state, prices), epoch(day), None)


def _event_assets(
    closes: Mapping[str, pd.Series], context: Mapping[str, pd.Series], settings: AnalyticsSettings
) -> dict[str, pd.Series]:
    out: dict[str, pd.Series] = {}
    for name in settings.event_assets:
        if name in closes:
            out[name] = closes[name]
        elif name in context:
            out[name] = clean_closes(context[name])
    return out


def compute_live(
    state: DailyState,
    live: Mapping[str, LivePrice] | None = None,
    changes_24h: Mapping[str, float] | None = None,
) -> AnalyticsResult:
    """The result with live prices applied (see the module docstring)."""
    cfg = state.settings
    live = live or {}
    prices: dict[str, _Price] = {s: p for s in state.closes if (p := _last_price(state.closes[s]))}
    for symbol, quote in live.items():
        if not (quote.price > 0 and quote.price == quote.price):
            continue  # a zero/NaN live price is a bad print; keep the close
        day = day_of(quote.ts)
        current = prices.get(symbol)
        if current is None or day >= current[1]:
            prices[symbol] = (float(quote.price), day, float(quote.ts))
    board: list[BoardRow] = []
    for symbol in cfg.board_symbols:
        machines = state.machines.get(symbol)
        if machines is None:
            continue
        p = prices.get(symbol)
        if symbol in live and p is not None and p[2] == live[symbol].ts:
            board.append(board_row(with_live_price(machines, p[0], p[1]), p[2]))
        else:
            board.append(_close_row(machines))
    newest = max((p[2] for p in prices.values()), default=None)
    has_new_day = any(
        state.ref_day is not None and p[1] > state.ref_day and p[2] == live[s].ts
        for s, p in prices.items()
        if s in live
    )
    previous = state.close_score if has_new_day else state.yesterday_score
    ratios = _ratios_at(state, prices)
    gauge = _gauge(state, state.today, board, prices, ratios, newest, previous)
    context = _context(state, ratios, changes_24h or {}, live)
    return AnalyticsResult(
        tuple(board),
        gauge,
        state.correlation,
        context,
        state.event_studies,
        state.correlation_series,
        state.correlation_matrix,
        state.ratio_series,
    )


def _source(state: DailyState, *keys: str) -> str:
    names = sorted({state.sources[k] for k in keys if k in state.sources})
    return "+".join(names) if names else "derived"


def _context(
    state: DailyState,
    ratios: Mapping[tuple[str, str], RelativeStrength],
    changes_24h: Mapping[str, float],
    live: Mapping[str, LivePrice],
) -> tuple[ContextEntry, ...]:
    cfg = state.settings
    st = state.today
    season = st.season
    coin_names = cfg.alt_coins or tuple(s for s in state.closes if is_crypto_pair(s))
    label: str | None = season.label
    if label is not None and season.fallback:
        label = f"{label} ({season.window_days}-day fallback)"
    out = [
        ContextEntry(
            "altcoin_season", season.value, "index 0-100",
            _source(state, cfg.btc_symbol, *coin_names), season.as_of, label,
            MappingProxyType({
                "window_days": season.window_days, "coins": season.coins,
                "beating_btc": season.beating, "fallback": season.fallback,
            }),
        ),
        ContextEntry(
            "btc_dominance", st.dominance.value, "%", _source(state, BTC_DOMINANCE),
            st.dominance.as_of, st.dominance.trend,
            MappingProxyType({"change_pp": st.dominance.change_pp}),
        ),
        ContextEntry(
            "net_liquidity", st.liquidity.value_usd, "USD",
            _source(state, WALCL, WTREGEN, RRPONTSYD), st.liquidity.as_of, None,
            MappingProxyType({
                "change_4w_usd": st.liquidity.change_4w_usd,
                "change_13w_usd": st.liquidity.change_13w_usd,
                "change_4w_pct": st.liquidity.change_4w_pct,
                "change_13w_pct": st.liquidity.change_13w_pct,
            }),
        ),
        _flows_entry(state, st.flows),
    ]  # fmt: skip
    if changes_24h:
        breadth: Breadth = live_breadth(changes_24h, cfg.season)
        stamps = [q.ts for s, q in live.items() if s in changes_24h]
        out.append(
            ContextEntry(
                "breadth_24h", breadth.advancing_share, "share", "feeds",
                max(stamps) if stamps else None, None,
                MappingProxyType({
                    "beating_btc_share": breadth.beating_btc_share, "coins": breadth.coins,
                }),
            )
        )  # fmt: skip
    for (num, den), rs in ratios.items():
        out.append(
            ContextEntry(
                f"rs:{num}/{den}", rs.ratio, "ratio", _source(state, num, den), rs.as_of,
                rs.trend,
                MappingProxyType({
                    "sma_fast": rs.sma_fast, "sma_slow": rs.sma_slow,
                    "pct_vs_fast": rs.pct_vs_fast, "pct_vs_slow": rs.pct_vs_slow,
                }),
            )
        )  # fmt: skip
    return tuple(out)


def _flows_entry(state: DailyState, flows: Flows | None) -> ContextEntry:
    cfg = state.settings
    if flows is None:
        return ContextEntry("flows", None, "USD", "derived", None, None)
    keys = (IWM_SHARES, IWM_NAV) if flows.kind == "implied" else (cfg.small_cap_symbol,)
    return ContextEntry(
        "flows", flows.month_usd, "USD", _source(state, *keys), flows.as_of, flows.label,
        MappingProxyType({
            "kind": flows.kind, "week_usd": flows.week_usd, "month_usd": flows.month_usd,
            "ytd_usd": flows.ytd_usd, "divergence": flows.divergence,
            "index_change_pct": finite_or_none(flows.index_change_pct),
        }),
    )  # fmt: skip


def compute_all(inputs: AnalyticsInputs, settings: AnalyticsSettings) -> AnalyticsResult:
    """Every analytic from scratch: :func:`prepare_daily` then :func:`compute_live`."""
    return compute_live(prepare_daily(inputs, settings), inputs.live, inputs.changes_24h)
