"""The gauge, replayed over its history, and what followed each of its readings.

Used by the runtime's analysis worker (once at start and once a day, in a thread; see
:mod:`r2kmon.runtime.analysis`) and by ``bench/analytics.py``. Two steps:

1. :func:`replay_gauge` computes the gauge at the close of every past trading day of the
   index symbol with the live code path
   (:func:`~r2kmon.analytics.compute.close_gauge_on`: same components, weights, freshness
   rule and renormalisation) from the rows dated on or before that day only. The breakout
   machines are causal and replayed once (:func:`~r2kmon.analytics.breakout.machines_by_day`).
   A component whose history does not reach back (VIX, Fear & Greed, BTC dominance, ...) is
   missing on those days and the others are renormalised, as live; the coverage is kept
   per day.
2. :func:`track_record` groups the replayed days by band and by band change and puts the
   returns of BTC, ETH and the altcoin basket 30/90/180 days later next to the same
   returns after every replayed day (the baseline).

Limits, said where the numbers are shown: the days of a band overlap (a 90-day window
starting on each of 40 consecutive risk-on days is nearly one observation, not 40), so
the counts overstate the evidence; context series are dated by their observation date,
not their publication date (FRED's WALCL for a Wednesday appears on Thursday), which the
live gauge does too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Final

import numpy as np
import pandas as pd

from r2kmon.analytics.breakout import SymbolBreakouts, machines_by_day
from r2kmon.analytics.compute import (
    AnalyticsInputs,
    DailyState,
    close_gauge_on,
)
from r2kmon.analytics.series import clean_closes
from r2kmon.model.track_record import (
    MIN_CASES,
    BandRecord,
    ChangeRecord,
    HitRate,
    Outcome,
    TrackRecord,
)

BANDS: Final = ("risk-off", "neutral", "risk-on")
"""The gauge's bands, low to high (their limits are the configured ``risk_off_below`` and
``risk_on_above``)."""
REPLAY_START: Final = pd.Timestamp("2014-01-01")
HORIZONS: Final = (30, 90, 180)
MAX_GAP_DAYS: Final = 4
"""A price is taken from the last row at most this many days before the date asked for
(a weekend and a holiday), as :func:`~r2kmon.analytics.series.value_asof` does."""


class ReplayStopped(Exception):
    """The replay was asked to stop before it finished."""


def replay_gauge(
    state: DailyState,
    inputs: AnalyticsInputs,
    start: pd.Timestamp | None = REPLAY_START,
    end: pd.Timestamp | None = None,
    stop: Callable[[], bool] | None = None,
) -> pd.DataFrame:
    """The gauge at every trading day's close from ``start`` to ``end`` (``None``: from
    the first or to the last day of the index symbol's history).

    ``state`` is :func:`~r2kmon.analytics.compute.prepare_daily` of ``inputs``; its series
    are read only up to each day. Returns a frame indexed by date with ``score`` (NaN when
    no component had data), ``label``, ``coverage`` and one ``score:<component>`` column
    per component. ``stop`` is asked before each day; when it says so the replay raises
    :class:`ReplayStopped` (the runtime stops a replay running in a thread this way, so
    quitting does not wait for it).
    """
    cfg = state.settings
    calendar = state.closes.get(cfg.index_symbol) or state.closes.get(cfg.btc_symbol)
    if calendar is None or state.ref_day is None:
        return _empty_replay()
    days = pd.DatetimeIndex(calendar.series.index)
    if start is not None:
        days = days[days >= start]
    if end is not None:
        days = days[days <= end]
    wanted = [s for s in cfg.gauge_breakout_symbols if s in state.machines]
    per_symbol: dict[str, tuple[pd.DatetimeIndex, list[SymbolBreakouts]]] = {}
    for symbol in wanted:
        series = state.closes[symbol].series
        per_symbol[symbol] = (
            pd.DatetimeIndex(series.index),
            list(machines_by_day(symbol, series, cfg.board)),
        )
    records: list[dict[str, object]] = []
    for day in days:
        if stop is not None and stop():
            raise ReplayStopped
        machines: dict[str, SymbolBreakouts] = {}
        for symbol, (index, states) in per_symbol.items():
            k = int(index.searchsorted(day, side="right")) - 1
            if k >= 0:
                machines[symbol] = states[k]
        gauge = close_gauge_on(state, inputs, pd.Timestamp(day), machines)
        row: dict[str, object] = {
            "date": day,
            "score": gauge.score,
            "label": gauge.label,
            "coverage": gauge.coverage,
        }
        row.update({f"score:{c.name}": c.score for c in gauge.components})
        records.append(row)
    if not records:
        return _empty_replay()
    frame = pd.DataFrame.from_records(records).set_index("date")
    frame["score"] = pd.to_numeric(frame["score"], errors="coerce")
    return frame


def _empty_replay() -> pd.DataFrame:
    return pd.DataFrame(
        {"score": pd.Series(dtype="float64"), "label": pd.Series(dtype="object"),
         "coverage": pd.Series(dtype="float64")},
        index=pd.DatetimeIndex([], name="date"),
    )  # fmt: skip


def forward_returns(series: pd.Series, days: pd.DatetimeIndex, horizon: int) -> np.ndarray:
    """Percent change of a clean ``series`` from each day to ``horizon`` calendar days
    later; NaN where either end has no price (before the series starts, after it ends, or
    in a gap longer than :data:`MAX_GAP_DAYS`)."""
    out = np.full(len(days), np.nan)
    if series.empty or len(days) == 0:
        return out
    index = pd.DatetimeIndex(series.index)
    values = series.to_numpy(dtype="float64")
    gap = pd.Timedelta(days=MAX_GAP_DAYS)
    target = days + pd.Timedelta(days=horizon)
    a = index.searchsorted(days, side="right") - 1
    b = index.searchsorted(target, side="right") - 1
    ok = (a >= 0) & (b >= 0) & (target <= index[-1])
    a_safe, b_safe = np.where(ok, a, 0), np.where(ok, b, 0)
    ok &= (days - index[a_safe]) <= gap
    ok &= (target - index[b_safe]) <= gap
    out[ok] = (values[b_safe[ok]] / values[a_safe[ok]] - 1) * 100
    return out


def outcome(asset: str, horizon: int, returns: np.ndarray, min_cases: int) -> Outcome:
    """Count, median and share positive of the known ``returns`` (NaN dropped)."""
    known = returns[~np.isnan(returns)]
    count = int(known.size)
    if count < min_cases or count == 0:
        return Outcome(asset, horizon, count, None, None, False)
    return Outcome(asset, horizon, count, float(np.median(known)), float(np.mean(known > 0)), True)


def _iso(day: pd.Timestamp) -> str:
    return pd.Timestamp(day).strftime("%Y-%m-%d")


def _runs(days: pd.DatetimeIndex, labels: Sequence[object], band: str) -> list[tuple[str, str]]:
    """Stretches of consecutive scored days with ``band``."""
    out: list[tuple[str, str]] = []
    first: pd.Timestamp | None = None
    last: pd.Timestamp | None = None
    for day, label in zip(days, labels, strict=True):
        if label == band:
            first = day if first is None else first
            last = day
        elif first is not None and last is not None:
            out.append((_iso(first), _iso(last)))
            first = last = None
    if first is not None and last is not None:
        out.append((_iso(first), _iso(last)))
    return out


def track_record(
    replay: pd.DataFrame,
    assets: Mapping[str, pd.Series],
    horizons: Sequence[int] = HORIZONS,
    min_cases: int = MIN_CASES,
    headline: tuple[str, int] = ("BTC-USD", 90),
) -> TrackRecord:
    """Returns after each band and band change of ``replay`` (from :func:`replay_gauge`)
    beside those after every scored day. ``assets`` are clean close series by name; an
    asset with no returns in the period still gets its (empty) cells."""
    scored = replay[replay["score"].notna()] if not replay.empty else replay
    days = pd.DatetimeIndex(scored.index)
    labels: list[object] = list(scored["label"]) if not scored.empty else []
    names = tuple(assets)
    returns = {(a, h): forward_returns(assets[a], days, h) for a in names for h in horizons}

    def outcomes(mask: np.ndarray) -> tuple[Outcome, ...]:
        return tuple(
            outcome(a, h, returns[(a, h)][mask], min_cases) for a in names for h in horizons
        )

    everything = np.ones(len(days), dtype=bool)
    label_array = np.array(labels, dtype=object)
    bands = tuple(
        BandRecord(
            band,
            int((label_array == band).sum()),
            tuple(_runs(days, labels, band)),
            outcomes(label_array == band),
        )
        for band in BANDS
    )
    changes_at: dict[tuple[str, str], list[int]] = {}
    for i in range(1, len(labels)):
        before, after = labels[i - 1], labels[i]
        if before != after and isinstance(before, str) and isinstance(after, str):
            changes_at.setdefault((before, after), []).append(i)
    changes = []
    for a in BANDS:
        for b in BANDS:
            positions = changes_at.get((a, b))
            if not positions:
                continue
            mask = np.zeros(len(days), dtype=bool)
            mask[positions] = True
            changes.append(
                ChangeRecord(a, b, tuple(_iso(days[p]) for p in positions), outcomes(mask))
            )
    hit_rates: list[HitRate] = []
    asset, horizon = headline
    if asset in assets:
        base = returns.get((asset, horizon))
        if base is None:
            base = forward_returns(assets[asset], days, horizon)
        base_known = base[~np.isnan(base)]
        for band in BANDS:
            picked = base[label_array == band] if len(days) else base
            known = picked[~np.isnan(picked)]
            hit_rates.append(
                HitRate(
                    band, asset, horizon, int((known > 0).sum()), int(known.size),
                    int((base_known > 0).sum()), int(base_known.size),
                    int(known.size) >= min_cases,
                )
            )  # fmt: skip
    coverage = scored["coverage"].mean() if not scored.empty else None
    return TrackRecord(
        first_day=_iso(days[0]) if len(days) else None,
        last_day=_iso(days[-1]) if len(days) else None,
        scored_days=len(days),
        mean_coverage=float(coverage) if coverage is not None else None,
        min_cases=min_cases,
        horizons=tuple(horizons),
        assets=names,
        baseline=outcomes(everything),
        bands=bands,
        changes=tuple(changes),
        hit_rates=tuple(hit_rates),
    )


def outcome_assets(state: DailyState, inputs: AnalyticsInputs) -> dict[str, pd.Series]:
    """The event study's assets (BTC, ETH, the altcoin basket) as clean series: from the
    daily closes, else from the context series of that name."""
    out: dict[str, pd.Series] = {}
    for name in state.settings.event_assets:
        if name in state.closes:
            out[name] = state.closes[name].series
        elif name in inputs.context:
            out[name] = clean_closes(inputs.context[name])
    return out


def replay_track_record(
    state: DailyState,
    inputs: AnalyticsInputs,
    start: pd.Timestamp | None = REPLAY_START,
    stop: Callable[[], bool] | None = None,
) -> TrackRecord:
    """:func:`replay_gauge` then :func:`track_record` over the event study's assets, with
    BTC over 90 days as the headline."""
    replay = replay_gauge(state, inputs, start, stop=stop)
    return track_record(
        replay, outcome_assets(state, inputs), headline=(state.settings.btc_symbol, 90)
    )
