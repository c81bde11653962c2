"""Resistance levels: the highs a breakout is measured against.

Used by :mod:`r2kmon.analytics.breakout`, which replays these levels through a symbol's
history, and by the UI's level table. Three kinds, most significant first:

- ``all_time_high``: the highest close before the session being judged;
- ``multi_year_high``: the highest close of the last ``multi_year_sessions`` sessions
  (about 3 years) **excluding** the most recent ``exclude_recent_sessions`` (a few weeks), so
  the level is a high that has already stood, not last week's print;
- ``52_week_high``: the highest close of the last 252 sessions.

Each level comes with the session it was set on (the first close at that price). Levels are
computed for every session at once with numpy, because the breakout replay needs one per row
and recomputing a window maximum in a Python loop costs seconds over 40 years of data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from r2kmon.model.analytics import LEVEL_KINDS as LEVEL_KINDS
from r2kmon.model.analytics import LevelKind as LevelKind

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class LevelSettings:
    """Window lengths, in sessions (rows of the symbol's own daily series)."""

    multi_year_sessions: int = 756
    """About 3 years of US trading days."""
    exclude_recent_sessions: int = 20
    """About 4 weeks left out of the multi-year window."""
    week52_sessions: int = 252
    min_history_sessions: int = 20
    """No level is reported from fewer prior sessions: a 'high' of 5 rows means nothing."""

    def __post_init__(self) -> None:
        if self.min_history_sessions < 1 or self.week52_sessions < 1:
            raise ValueError("level windows must be at least one session")
        if not 0 <= self.exclude_recent_sessions < self.multi_year_sessions:
            raise ValueError("exclude_recent_sessions must be below multi_year_sessions")


@dataclass(frozen=True, slots=True)
class Level:
    """One resistance level: its kind, price and the session it was set on."""

    kind: LevelKind
    price: float
    set_on: pd.Timestamp
    set_index: int
    """Row position of ``set_on`` in the series the level came from (for ages in sessions)."""


@dataclass(frozen=True, slots=True)
class LevelTable:
    """For each row ``t`` (and ``t == len(closes)``, the next session): the level from rows
    strictly before ``t``. ``index[t] == -1`` means no level (too little history)."""

    kind: LevelKind
    price: FloatArray
    index: IntArray

    def at(self, t: int, dates: pd.DatetimeIndex) -> Level | None:
        """The level that session ``t`` is judged against, or ``None``."""
        pos = int(self.index[t])
        if pos < 0:
            return None
        return Level(self.kind, float(self.price[t]), dates[pos], pos)


def _first_argmax(values: FloatArray, left: IntArray, right: IntArray) -> IntArray:
    """Row of the first maximum of ``values[left[i]:right[i] + 1]`` for every ``i``.

    A sparse table (maxima of blocks of 2**k rows) answers each range with two overlapping
    blocks: O(n log n) numpy work, where a sliding-window ``argmax`` costs O(n * window)
    and took 0.2 s on 40 years of ^RUT. On a tie the left block wins, because its first
    maximum comes before anything only the right block covers.
    """
    n = len(values)
    table = [np.arange(n, dtype=np.int64)]
    k = 1
    while (1 << k) <= n:
        prev = table[-1]
        half = 1 << (k - 1)
        a = prev[: n - (1 << k) + 1]
        b = prev[half : half + len(a)]
        table.append(np.where(values[b] > values[a], b, a))
        k += 1
    length = right - left + 1
    level = np.floor(np.log2(length)).astype(np.int64)
    out = np.empty(len(left), dtype=np.int64)
    for k in np.unique(level).tolist():
        rows = np.flatnonzero(level == k)
        a = table[k][left[rows]]
        b = table[k][right[rows] - (1 << k) + 1]
        out[rows] = np.where(values[b] > values[a], b, a)
    return out


def _window_max(
    closes: FloatArray, length: int, exclude: int, min_history: int
) -> tuple[FloatArray, IntArray]:
    """Max (and its first row) of rows ``[t - length, t - exclude)`` for ``t = 0..n``."""
    n = len(closes)
    span = length - exclude
    price = np.full(n + 1, np.nan)
    where = np.full(n + 1, -1, dtype=np.int64)
    t = np.arange(n + 1)
    end = t - exclude - 1
    ok = (end >= 0) & (t >= min_history)
    if not ok.any():
        return price, where
    right = end[ok]
    left = np.maximum(right - span + 1, 0)
    rows = _first_argmax(closes, left, right)
    price[ok] = closes[rows]
    where[ok] = rows
    return price, where


def _all_time_max(closes: FloatArray, min_history: int) -> tuple[FloatArray, IntArray]:
    """Max (and its first row) of rows ``[0, t)`` for ``t = 0..n``."""
    n = len(closes)
    price = np.full(n + 1, np.nan)
    where = np.full(n + 1, -1, dtype=np.int64)
    if n == 0:
        return price, where
    running = np.maximum.accumulate(closes)
    prior = np.concatenate([[-np.inf], running[:-1]])
    # A row sets the high only when it beats every earlier close, so ties keep the first date.
    is_new = closes > prior
    first_row = np.maximum.accumulate(np.where(is_new, np.arange(n), 0))
    t = np.arange(1, n + 1)
    ok = t >= min_history
    price[1:][ok] = running[ok]
    where[1:][ok] = first_row[ok]
    return price, where


def level_tables(closes: pd.Series, settings: LevelSettings) -> dict[LevelKind, LevelTable]:
    """Level tables of every kind for a clean close series (see ``series.clean_closes``)."""
    values = closes.to_numpy(dtype="float64")
    minimum = settings.min_history_sessions
    ath = _all_time_max(values, minimum)
    multi = _window_max(
        values, settings.multi_year_sessions, settings.exclude_recent_sessions, minimum
    )
    week52 = _window_max(values, settings.week52_sessions, 0, minimum)
    return {
        "all_time_high": LevelTable("all_time_high", *ath),
        "multi_year_high": LevelTable("multi_year_high", *multi),
        "52_week_high": LevelTable("52_week_high", *week52),
    }


def current_levels(closes: pd.Series, settings: LevelSettings) -> tuple[Level, ...]:
    """The levels the next session will be judged against, most significant first."""
    tables = level_tables(closes, settings)
    dates = pd.DatetimeIndex(closes.index)
    out = []
    for kind in LEVEL_KINDS:
        level = tables[kind].at(len(closes), dates)
        if level is not None:
            out.append(level)
    return tuple(out)
