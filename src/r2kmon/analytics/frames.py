"""The hub's plain values made into the frames the analytics read: the one place where a
:class:`~r2kmon.model.Bar` or a :class:`~r2kmon.model.DatedSeries` becomes pandas.

Used by the runtime's analysis loop (:mod:`r2kmon.runtime.analysis`), in its thread, and by
the tests and benchmarks that drive the analytics as the app does. Bars and values come in;
:class:`~r2kmon.analytics.compute.AnalyticsInputs` go out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from r2kmon.analytics.compute import (
    ALT_BASKET,
    BTC_DOMINANCE,
    FEAR_GREED,
    IWM_NAV,
    IWM_SHARES,
    RRPONTSYD,
    WALCL,
    WTREGEN,
    AnalyticsInputs,
    LivePrice,
)
from r2kmon.model import Bar, DatedSeries, HubSnapshot

SERIES_FROM_BARS = (WALCL, WTREGEN, RRPONTSYD)
"""Context series the sources deliver as daily bars under these names (FRED series ids)."""

SERIES_FROM_VALUES = (BTC_DOMINANCE, FEAR_GREED, IWM_SHARES, IWM_NAV, ALT_BASKET)
"""Context the sources deliver as single values; the hub keeps only the latest of each, and
the store keeps their history."""


def bars_frame(bars: Sequence[Bar]) -> pd.DataFrame:
    """Daily bars as the frame the analytics read: a date index, ``close`` and ``volume``."""
    index = pd.to_datetime([bar.start for bar in bars], unit="s")
    return pd.DataFrame(
        {"close": [bar.close for bar in bars], "volume": [bar.volume for bar in bars]},
        index=index,
    )


def dated_series(series: DatedSeries) -> pd.Series:
    """A stored context history as a float series indexed by its times."""
    index = pd.to_datetime(list(series.times), unit="s")
    return pd.Series(list(series.values), index=index, dtype=float)


def daily_inputs(
    snapshot: HubSnapshot, history: Mapping[str, DatedSeries] | None = None
) -> AnalyticsInputs:
    """Everything daily in the snapshot, shaped for
    :func:`~r2kmon.analytics.compute.prepare_daily`.

    ``history`` holds earlier values of the single-value context series (from the store);
    the hub's latest value is added to it.
    """
    daily: dict[str, pd.DataFrame] = {}
    context: dict[str, pd.Series] = {}
    sources: dict[str, str] = {}
    for symbol, bars in snapshot.bars_1d.items():
        if not bars:
            continue
        frame = bars_frame(bars)
        if symbol in SERIES_FROM_BARS:
            context[symbol] = frame["close"]
        else:
            daily[symbol] = frame
        quote = snapshot.quotes.get(symbol)
        if quote is not None:
            sources[symbol] = quote.source
    for name in SERIES_FROM_VALUES:
        kept = history.get(name) if history else None
        series = dated_series(kept) if kept is not None else None
        value = snapshot.context.get(name)
        if value is not None and value.value is not None and value.as_of is not None:
            latest = pd.Series(
                [value.value], index=pd.to_datetime([value.as_of], unit="s"), dtype=float
            )
            series = latest if series is None else pd.concat([series, latest])
            sources[name] = value.source
        if series is not None and not series.empty:
            context[name] = series
    return AnalyticsInputs(daily=daily, context=context, sources=sources)


def live_inputs(snapshot: HubSnapshot) -> tuple[dict[str, LivePrice], dict[str, float]]:
    """Live prices of every symbol, and 24 h changes of the crypto pairs (for breadth)."""
    live = {s: LivePrice(float(q.price), q.ts) for s, q in snapshot.quotes.items()}
    changes = {
        s: change
        for s, q in snapshot.quotes.items()
        if "-" in s and (change := q.change_pct) is not None
    }
    return live, changes
