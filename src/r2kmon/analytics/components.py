"""The gauge's components: how each signal's raw value becomes a 0-100 risk-on score.

Used by :mod:`r2kmon.analytics.compute`, which feeds the results to
:func:`r2kmon.analytics.gauge.combine`. Every mapping is a straight line clipped to 0-100
(:func:`~r2kmon.analytics.gauge.linear_score`) with a documented scale, so any score can be
recomputed by hand from the value shown next to it:

=====================  ===============================================  ==================
component              value                                            score
=====================  ===============================================  ==================
breakout               mean state score of the gauge's board symbols    the mean itself
small_cap_rs           IWM/SPY vs its 200-day average, %                50 ± 50·v/5
index_trend            ^RUT vs its 200-day average, %                   50 ± 50·v/10
btc_trend              BTC vs its 200-day average, %                    50 ± 50·v/30
btc_momentum           BTC change over 30 days, %                       50 ± 50·v/20
alt_season             altcoin-season index 0-100                       the index
btc_dominance_trend    BTC dominance change over 30 days, pp            50 ∓ 50·v/3
vix_level              VIX                                              100 at 12, 0 at 30
vix_trend              VIX vs its 50-day average, %                     50 ∓ 50·v/20
dollar_trend           dollar index vs its 200-day average, %           50 ∓ 50·v/5
liquidity_trend        net liquidity 13-week change, %                  50 ± 50·v/3
flows                  IWM 30-day flow (or proxy), USD                  50 + 50·strength
fear_greed             crypto Fear & Greed 0-100                        the index
=====================  ===============================================  ==================

(∓: a rise is risk-off.) Scales are settings; the defaults put a typical strong move near
the ends of the range.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import pandas as pd

from r2kmon.analytics.breakout import BreakoutState
from r2kmon.analytics.flows import Flows
from r2kmon.analytics.gauge import ComponentInput, linear_score
from r2kmon.analytics.liquidity import NetLiquidity
from r2kmon.analytics.relative_strength import RelativeStrength
from r2kmon.analytics.season import AltSeason, DominanceTrend
from r2kmon.analytics.series import Averager, finite_or_none, value_asof
from r2kmon.model.analytics import BoardRow

DEFAULT_STATE_SCORES: Mapping[BreakoutState, float] = MappingProxyType(
    {
        "confirmed": 100.0,
        "breakout": 85.0,
        "retest": 70.0,
        "testing": 60.0,
        "below": 30.0,
        "failed": 10.0,
    }
)


@dataclass(frozen=True, slots=True)
class ComponentSettings:
    state_scores: Mapping[BreakoutState, float] = field(
        default_factory=lambda: DEFAULT_STATE_SCORES
    )
    small_cap_rs_scale_pct: float = 5.0
    index_trend_window: int = 200
    index_trend_scale_pct: float = 10.0
    btc_trend_window: int = 200
    btc_trend_scale_pct: float = 30.0
    btc_momentum_days: int = 30
    btc_momentum_scale_pct: float = 20.0
    vix_calm: float = 12.0
    vix_stress: float = 30.0
    vix_trend_window: int = 50
    vix_trend_scale_pct: float = 20.0
    dollar_trend_window: int = 200
    dollar_trend_scale_pct: float = 5.0
    liquidity_scale_pct: float = 3.0
    dominance_scale_pp: float = 3.0
    max_age_days: float = 10.0
    """A component whose ``as_of`` is older than this (against the newest data seen) is
    reported but not scored: a month-old VIX is not today's VIX."""


def missing(name: str, note: str) -> ComponentInput:
    return ComponentInput(name, None, None, None, note)


def breakout(rows: Sequence[BoardRow], settings: ComponentSettings) -> ComponentInput:
    """Mean state score of the rows that have a state; the note lists them."""
    scored = [(r, settings.state_scores[r.state]) for r in rows if r.state is not None]
    note = ", ".join(f"{r.symbol} {r.state}" for r, _ in scored) or "no breakout data"
    if not scored:
        return missing("breakout", note)
    mean = sum(s for _, s in scored) / len(scored)
    stamps = [r.as_of for r, _ in scored if r.as_of is not None]
    return ComponentInput("breakout", mean, mean, min(stamps) if stamps else None, note)


def trend(
    name: str,
    series: Averager | None,
    price: float | None,
    day: pd.Timestamp | None,
    as_of: float | None,
    window: int,
    scale: float,
    invert: bool,
    note: str,
) -> ComponentInput:
    """``price`` versus its ``window``-row average (including it), in percent."""
    if series is None or price is None or day is None:
        return missing(name, note)
    sma = series.sma(window, price, day)
    if sma is None or sma == 0:
        return missing(name, note)
    value = finite_or_none((price / sma - 1) * 100)
    return ComponentInput(name, value, linear_score(value, scale, invert), as_of, note)


def momentum(
    name: str,
    series: Averager | None,
    price: float | None,
    day: pd.Timestamp | None,
    as_of: float | None,
    days: int,
    scale: float,
    note: str,
) -> ComponentInput:
    """Change of ``price`` over ``days`` calendar days, in percent."""
    if series is None or price is None or day is None:
        return missing(name, note)
    before = value_asof(series.series, day - pd.Timedelta(days=days), 4)
    if before is None:
        return missing(name, note)
    value = finite_or_none((price / before - 1) * 100)
    return ComponentInput(name, value, linear_score(value, scale), as_of, note)


def vix_level(
    price: float | None, as_of: float | None, settings: ComponentSettings
) -> ComponentInput:
    note = f"VIX; 100 at {settings.vix_calm:g}, 0 at {settings.vix_stress:g}"
    if price is None:
        return missing("vix_level", note)
    span = settings.vix_stress - settings.vix_calm
    mid = (settings.vix_stress + settings.vix_calm) / 2
    # A line through (calm, 100) and (stress, 0) is linear_score around the midpoint.
    return ComponentInput(
        "vix_level", price, linear_score(price - mid, span / 2, invert=True), as_of, note
    )


def small_cap_rs(rs: RelativeStrength | None, settings: ComponentSettings) -> ComponentInput:
    if rs is None or rs.pct_vs_slow is None:
        return missing("small_cap_rs", "IWM/SPY vs 200-day average, %")
    return ComponentInput(
        "small_cap_rs",
        rs.pct_vs_slow,
        linear_score(rs.pct_vs_slow, settings.small_cap_rs_scale_pct),
        rs.as_of,
        f"{rs.name} vs 200-day average, %",
    )


def alt_season(season: AltSeason) -> ComponentInput:
    if season.value is None:
        return missing("alt_season", "altcoin-season index")
    note = f"altcoin-season index, {season.window_days}-day"
    if season.fallback:
        note += " (fallback: 90-day data missing)"
    return ComponentInput("alt_season", season.value, season.value, season.as_of, note)


def dominance(trend_: DominanceTrend, settings: ComponentSettings) -> ComponentInput:
    note = "BTC dominance change over 30 days, pp"
    if trend_.change_pp is None:
        return missing("btc_dominance_trend", note)
    score = linear_score(trend_.change_pp, settings.dominance_scale_pp, invert=True)
    return ComponentInput("btc_dominance_trend", trend_.change_pp, score, trend_.as_of, note)


def liquidity(net: NetLiquidity, settings: ComponentSettings) -> ComponentInput:
    note = "net liquidity 13-week change, %"
    if net.change_13w_pct is None:
        return missing("liquidity_trend", note)
    score = linear_score(net.change_13w_pct, settings.liquidity_scale_pct)
    return ComponentInput("liquidity_trend", net.change_13w_pct, score, net.as_of, note)


def flows(value: Flows | None) -> ComponentInput:
    if value is None or value.strength is None:
        return missing("flows", "IWM 30-day flows")
    return ComponentInput(
        "flows",
        value.month_usd,
        50.0 + 50.0 * value.strength,
        value.as_of,
        f"IWM 30-day {value.label}, USD",
    )


def fear_greed(value: float | None, as_of: float | None) -> ComponentInput:
    note = "crypto Fear & Greed index"
    if value is None:
        return missing("fear_greed", note)
    return ComponentInput("fear_greed", value, min(100.0, max(0.0, value)), as_of, note)
