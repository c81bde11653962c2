"""What followed past Russell 2000 breakouts: the event study.

Used by :mod:`r2kmon.analytics.compute` for the "history" panel of the UI and the
``event_study`` section of ``snapshot --json``. It answers, with the loaded history only:
each time ``^RUT`` (or ``IWM``) closed above its prior all-time high after at least
``min_quiet_days`` (6 months) without a new high, what did BTC, ETH and the altcoin basket do
over the next 30/90/180 days, and how does that compare with *every* window of the same
length in the asset's history? Losses are reported as negative returns like any other
number, and counted separately in the summary, so a breakout followed by a fall is as
visible as one followed by a rally.

Returns are simple returns in percent, from the asset's close on the event date (crypto
days are UTC calendar days, so that close comes about 3 hours after the US close) to its
close ``horizon`` calendar days later. A missing close within ``max_gap_days`` falls back to
the last earlier one; beyond that, or past the end of the data, the return is ``None``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from r2kmon.analytics.series import clean_closes, empty_series, finite_or_none, value_asof
from r2kmon.model.analytics import (
    BreakoutEvent,
    EventOutcome,
    EventStudy,
    ForwardReturn,
    HorizonSummary,
)


def find_events(closes: pd.Series, min_quiet_days: int = 182) -> tuple[BreakoutEvent, ...]:
    """Every close above all earlier closes that came ``min_quiet_days`` or more after the
    previous all-time high. The first row never counts: it has nothing to be above."""
    clean = clean_closes(closes)
    values = clean.to_numpy(dtype="float64")
    dates = pd.DatetimeIndex(clean.index)
    if len(values) < 2:
        return ()
    running = np.maximum.accumulate(values)
    prior = running[:-1]
    new_high = np.flatnonzero(values[1:] > prior) + 1
    events: list[BreakoutEvent] = []
    high_row = 0
    for row in new_high.tolist():
        quiet = (dates[row] - dates[high_row]).days
        if quiet >= min_quiet_days:
            events.append(
                BreakoutEvent(
                    day=dates[row].to_pydatetime(),
                    close=float(values[row]),
                    prior_high=float(values[high_row]),
                    prior_high_on=dates[high_row].to_pydatetime(),
                    quiet_days=int(quiet),
                )
            )
        high_row = int(row)
    return tuple(events)


def window_returns(asset: pd.Series, horizon_days: int, max_gap_days: int = 3) -> pd.Series:
    """Percent return of every ``horizon_days`` calendar window, indexed by its start date.

    Built on a full calendar with short gaps carried forward (at most ``max_gap_days``), so
    an equity-like series with weekends still gives calendar-length windows.
    """
    clean = clean_closes(asset)
    if clean.empty:
        return empty_series()
    calendar = pd.date_range(clean.index[0], clean.index[-1], freq="D")
    filled = clean.reindex(calendar).ffill(limit=max_gap_days)
    ahead = filled.shift(-horizon_days)
    out = (ahead / filled - 1) * 100
    # Starts on days without their own close are not real windows.
    return out[clean.index].dropna()


def _summary(
    asset: str, horizon: int, values: Sequence[float], baseline: pd.Series
) -> HorizonSummary:
    arr = np.array(values, dtype="float64")
    base = baseline.to_numpy(dtype="float64")
    return HorizonSummary(
        asset=asset,
        horizon_days=horizon,
        events=len(arr),
        gains=int((arr > 0).sum()),
        losses=int((arr < 0).sum()),
        event_mean_pct=finite_or_none(float(arr.mean())) if len(arr) else None,
        event_median_pct=finite_or_none(float(np.median(arr))) if len(arr) else None,
        windows=len(base),
        all_mean_pct=finite_or_none(float(base.mean())) if len(base) else None,
        all_median_pct=finite_or_none(float(np.median(base))) if len(base) else None,
        all_positive_share=float((base > 0).mean()) if len(base) else None,
    )


def event_study(
    symbol: str,
    index_closes: pd.Series,
    assets: Mapping[str, pd.Series],
    horizons: Sequence[int] = (30, 90, 180),
    min_quiet_days: int = 182,
    max_gap_days: int = 3,
) -> EventStudy:
    """The study for one index/ETF series against each asset series (closes or market caps)."""
    events = find_events(index_closes, min_quiet_days)
    clean_assets = {name: clean_closes(series) for name, series in assets.items()}
    baselines = {
        (name, h): window_returns(series, h, max_gap_days)
        for name, series in clean_assets.items()
        for h in horizons
    }
    collected: dict[tuple[str, int], list[float]] = {key: [] for key in baselines}
    outcomes: list[EventOutcome] = []
    for ev in events:
        returns: list[ForwardReturn] = []
        for name, series in clean_assets.items():
            for h in horizons:
                ret = _forward(series, pd.Timestamp(ev.day), h, max_gap_days)
                pct: float | None = None
                if ret is not None:
                    base = baselines[(name, h)].to_numpy(dtype="float64")
                    pct = float((base < ret).mean() * 100) if len(base) else None
                    collected[(name, h)].append(ret)
                returns.append(ForwardReturn(name, h, ret, pct))
        outcomes.append(EventOutcome(ev, tuple(returns)))
    summaries = tuple(
        _summary(name, h, collected[(name, h)], baselines[(name, h)]) for name, h in baselines
    )
    return EventStudy(symbol, tuple(outcomes), summaries)


def _forward(series: pd.Series, day: pd.Timestamp, horizon: int, max_gap: int) -> float | None:
    if series.empty:
        return None
    end_day = day + pd.Timedelta(days=horizon)
    if end_day > series.index[-1]:
        return None  # the window has not finished yet
    start = value_asof(series, day, max_gap)
    end = value_asof(series, end_day, max_gap)
    if start is None or end is None:
        return None
    out = (end / start - 1) * 100
    return out if math.isfinite(out) else None
