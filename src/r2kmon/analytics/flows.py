"""IWM fund flows, or a clearly labelled money-flow proxy when flows cannot be had.

Used by :mod:`r2kmon.analytics.compute` for the ``flows`` context entry and the ``flows``
gauge component.

**Implied flows** need shares-outstanding snapshots (the iShares holdings file, stored
daily by the runtime): the flow between two snapshots is ``Δshares · NAV`` on the later
date, summed over the last 7 days, 30 days and the year to date. Price moves do not enter:
only creations and redemptions change the share count.

Without snapshots the only thing OHLCV can give is a **money-flow proxy**: dollar volume
signed by the day's price change (on-balance-volume in dollars). It measures trading
pressure, not creations or redemptions, and is labelled ``"money-flow proxy — not fund
flows"`` wherever it is shown.

``divergence`` is true when the index rose over the last 30 days while the 30-day flow
was negative: money leaving into strength is the caution sign of the thesis.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from r2kmon.analytics.series import clean_closes, clean_values, epoch, finite_or_none, value_asof

PROXY_LABEL = "money-flow proxy — not fund flows"
IMPLIED_LABEL = "implied flows (Δshares · NAV)"
FlowKind = Literal["implied", "proxy"]


@dataclass(frozen=True, slots=True)
class Flows:
    kind: FlowKind
    label: str
    week_usd: float | None
    month_usd: float | None
    ytd_usd: float | None
    strength: float | None
    """The 30-day flow scaled to -1..1 for the gauge: for implied flows, flow / AUM / 5 %
    (clipped); for the proxy, signed / total dollar volume."""
    index_change_pct: float | None
    """The index's (or ETF's) 30-day change, for the divergence flag."""
    divergence: bool | None
    as_of: float | None


def _window_sums(flow: pd.Series) -> tuple[float, float, float]:
    last = pd.Timestamp(flow.index[-1])
    week = flow[flow.index > last - pd.Timedelta(days=7)].sum()
    month = flow[flow.index > last - pd.Timedelta(days=30)].sum()
    ytd = flow[flow.index >= pd.Timestamp(year=last.year, month=1, day=1)].sum()
    return float(week), float(month), float(ytd)


def _index_change(index_closes: pd.Series | None, day: pd.Timestamp) -> float | None:
    if index_closes is None:
        return None
    clean = clean_closes(index_closes)
    now = value_asof(clean, day, 4)
    before = value_asof(clean, day - pd.Timedelta(days=30), 4)
    if now is None or before is None:
        return None
    return finite_or_none((now / before - 1) * 100)


def _divergence(index_change: float | None, month: float | None) -> bool | None:
    if index_change is None or month is None:
        return None
    return index_change > 0 and month < 0


def implied_flows(
    shares: pd.Series, nav: pd.Series, index_closes: pd.Series | None = None
) -> Flows | None:
    """Flows from share-count snapshots and NAV (or close) per share; ``None`` with fewer
    than two snapshots that have a NAV within 4 days."""
    count = clean_values(shares)
    price = clean_closes(nav)
    rows: dict[pd.Timestamp, float] = {}
    previous: float | None = None
    for stamp, value in zip(pd.DatetimeIndex(count.index), count.to_numpy(), strict=True):
        p = value_asof(price, stamp, 4)
        if previous is not None and p is not None:
            rows[stamp] = (float(value) - previous) * p
        previous = float(value)
    if not rows:
        return None
    flow = pd.Series(rows, dtype="float64")
    week, month, ytd = _window_sums(flow)
    last = pd.Timestamp(flow.index[-1])
    last_nav = value_asof(price, last, 4)
    aum = float(count.iloc[-1]) * last_nav if last_nav is not None else None
    strength = float(np.clip(month / aum / 0.05, -1, 1)) if aum else None
    change = _index_change(index_closes, last)
    return Flows(
        "implied", IMPLIED_LABEL, week, month, ytd, strength, change,
        _divergence(change, month), epoch(last),
    )  # fmt: skip


def money_flow_proxy(frame: pd.DataFrame, index_closes: pd.Series | None = None) -> Flows | None:
    """The proxy from a daily frame with ``close`` and ``volume``; ``None`` without volume."""
    if "volume" not in frame.columns:
        return None
    close = clean_closes(frame, "close")
    volume = clean_values(frame["volume"]).reindex(close.index)
    dollars = (close * volume).dropna()
    dollars = dollars[dollars > 0]
    if len(dollars) < 2:
        return None
    sign = np.sign(close.diff()).reindex(dollars.index)
    signed = (dollars * sign).dropna()
    if signed.empty:
        return None
    week, month, ytd = _window_sums(signed)
    last = pd.Timestamp(signed.index[-1])
    gross = float(dollars[dollars.index > last - pd.Timedelta(days=30)].sum())
    strength = float(np.clip(month / gross, -1, 1)) if gross > 0 else None
    reference = index_closes if index_closes is not None else close
    change = _index_change(reference, last)
    return Flows(
        "proxy", PROXY_LABEL, week, month, ytd, strength, change,
        _divergence(change, month), epoch(last),
    )  # fmt: skip
