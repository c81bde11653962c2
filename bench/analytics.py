"""Benchmark of the analytics layer: full daily recompute and the per-bar live path.

Run: ``.venv/bin/python bench/analytics.py``. Builds 20 symbols x 10 years of synthetic
daily data (seeded geometric random walks: 8 US markets on business days, 12 crypto pairs
on calendar days) plus the context series, then times

- the full recompute (``prepare_daily``: every analytic from scratch), and each analytic
  on its own so a regression can be located;
- the live path on a new 1-minute bar (``compute_live`` with a fresh price for every
  symbol), which is what the runtime calls per bar; target < 50 ms on one core;
- the gauge's full replay for its track record (every ^RUT trading day since 2014, all
  components present, on 12.5 years of the same kind of data), which the runtime runs in a
  thread once at start and once a day.

Prints milliseconds; asserts nothing (budgets live in scripts, not tests).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from r2kmon.analytics import AnalyticsInputs, AnalyticsSettings, LivePrice, compute_live
from r2kmon.analytics.breakout import run
from r2kmon.analytics.compute import (
    BTC_DOMINANCE,
    FEAR_GREED,
    RRPONTSYD,
    WALCL,
    WTREGEN,
    prepare_daily,
)
from r2kmon.analytics.correlation import latest_correlation
from r2kmon.analytics.event_study import event_study
from r2kmon.analytics.flows import money_flow_proxy
from r2kmon.analytics.liquidity import net_liquidity
from r2kmon.analytics.relative_strength import relative_strength
from r2kmon.analytics.season import altcoin_season, dominance_trend
from r2kmon.analytics.series import clean_closes, epoch
from r2kmon.analytics.track_record import outcome_assets, replay_gauge, track_record

MARKETS = ["^RUT", "IWM", "SPY", "^GSPC", "^VIX", "DX-Y.NYB", "QQQ", "DIA"]
CRYPTO = ["BTC-USD", "ETH-USD", "SOL-USD", "XRP-USD", "ADA-USD", "DOGE-USD", "LINK-USD",
          "DOT-USD", "AVAX-USD", "LTC-USD", "BNB-USD", "TRX-USD"]  # fmt: skip
END = pd.Timestamp("2026-02-20")


def _walk(rng: np.random.Generator, index: pd.DatetimeIndex, vol: float) -> pd.DataFrame:
    close = 100 * np.exp(np.cumsum(rng.normal(0.0003, vol, len(index))))
    volume = rng.integers(1_000_000, 5_000_000, len(index)).astype("float64")
    return pd.DataFrame({"close": close, "volume": volume}, index=index)


def build_inputs(years: float = 10) -> AnalyticsInputs:
    rng = np.random.default_rng(2026)
    first = END - pd.DateOffset(months=round(years * 12))
    business = pd.bdate_range(first, END)
    calendar = pd.date_range(first, END, freq="D")
    daily = {s: _walk(rng, business, 0.012) for s in MARKETS}
    daily.update({s: _walk(rng, calendar, 0.04) for s in CRYPTO})
    weekly = pd.date_range(first, END, freq="W-WED")
    context = {
        WALCL: pd.Series(rng.normal(7e6, 1e5, len(weekly)), index=weekly),
        WTREGEN: pd.Series(rng.normal(7e5, 5e4, len(weekly)), index=weekly),
        RRPONTSYD: pd.Series(rng.normal(500, 50, len(business)), index=business),
        BTC_DOMINANCE: pd.Series(rng.normal(55, 3, len(calendar)), index=calendar),
        FEAR_GREED: pd.Series(rng.integers(5, 95, len(calendar)).astype("float64"), index=calendar),
    }
    return AnalyticsInputs(daily, context)


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> None:
    inputs = build_inputs()
    settings = AnalyticsSettings(board_symbols=tuple(MARKETS + CRYPTO))
    rows = sum(len(f) for f in inputs.daily.values())
    print(f"data: {len(inputs.daily)} symbols, {rows} daily rows (10 years each)")

    closes = {s: clean_closes(f) for s, f in inputs.daily.items()}
    btc, rut = closes["BTC-USD"], closes["^RUT"]
    parts: dict[str, Callable[[], object]] = {
        "clean inputs (20 symbols)": lambda: {s: clean_closes(f) for s, f in inputs.daily.items()},
        "levels + breakout replay (20 symbols)": lambda: [
            run(s, c, settings.board) for s, c in closes.items()
        ],
        "correlation (6 pairs x 2 windows)": lambda: [
            latest_correlation(a, closes[a], b, closes[b], w)
            for a, b in settings.correlation_pairs
            for w in (30, 90)
        ],
        "relative strength (3 pairs)": lambda: [
            relative_strength(n, closes[n], d, closes[d])
            for n, d in (("IWM", "SPY"), ("^RUT", "^GSPC"), ("ETH-USD", "BTC-USD"))
        ],
        "event study (^RUT, IWM vs BTC/ETH)": lambda: [
            event_study(s, closes[s], {"BTC-USD": btc, "ETH-USD": closes["ETH-USD"]})
            for s in ("^RUT", "IWM")
        ],
        "altcoin season + dominance": lambda: (
            altcoin_season({s: closes[s] for s in CRYPTO}, btc, settings.season),
            dominance_trend(inputs.context[BTC_DOMINANCE], settings.season),
        ),
        "net liquidity": lambda: net_liquidity(
            inputs.context[WALCL],
            inputs.context[RRPONTSYD],
            inputs.context[WTREGEN],
            settings.liquidity,
        ),
        "flows (money-flow proxy)": lambda: money_flow_proxy(inputs.daily["IWM"], rut),
    }
    print("full recompute, per analytic (median of 5):")
    for name, fn in parts.items():
        print(f"  {name:<40} {statistics.median(timed(fn, 5)):9.2f} ms")
    full = timed(lambda: prepare_daily(inputs, settings), 5)
    print(f"full recompute, prepare_daily (all of it, incl. yesterday's gauge): "
          f"median {statistics.median(full):.1f} ms, min {min(full):.1f} ms")  # fmt: skip

    state = prepare_daily(inputs, settings)
    rng = np.random.default_rng(1)
    bar_ts = epoch(END + pd.Timedelta(days=1)) + 15 * 3600
    last = {s: float(f["close"].iloc[-1]) for s, f in inputs.daily.items()}
    bars = []
    for i in range(500):
        ts = bar_ts + 60 * i
        bars.append({s: LivePrice(p * float(np.exp(rng.normal(0, 0.002))), ts)
                     for s, p in last.items()})  # fmt: skip
    it = iter(bars)
    live = timed(lambda: compute_live(state, next(it)), len(bars))
    live.sort()
    print(
        f"live path, compute_live on a new 1-minute bar (20 live prices, {len(bars)} bars): "
        f"median {statistics.median(live):.2f} ms, p99 {live[int(len(live) * 0.99)]:.2f} ms, "
        f"max {live[-1]:.2f} ms  (target < 50 ms)"
    )
    replay_bench()


def replay_bench() -> None:
    inputs = build_inputs(years=12.5)
    settings = AnalyticsSettings(board_symbols=tuple(MARKETS + CRYPTO))
    state = prepare_daily(inputs, settings)
    start = time.perf_counter()
    replay = replay_gauge(state, inputs)
    replayed = time.perf_counter() - start
    start = time.perf_counter()
    record = track_record(replay, outcome_assets(state, inputs))
    tabled = time.perf_counter() - start
    days = len(replay)
    print(
        f"track record: gauge replayed on {days} trading days ({replay.index[0]:%Y-%m-%d} to "
        f"{replay.index[-1]:%Y-%m-%d}, mean coverage {record.mean_coverage or 0:.0%}) in "
        f"{replayed:.1f} s ({replayed / days * 1000:.1f} ms a day); "
        f"band tables {tabled * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
