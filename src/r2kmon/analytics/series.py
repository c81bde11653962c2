"""Input hygiene and time conventions shared by every analytic in this package.

Every public function of ``r2kmon.analytics`` passes its frames through :func:`clean_closes`
first, so gaps, unsorted rows, duplicated dates, NaN and zero prices are handled once, here,
and the analytics themselves can assume a sorted, unique, positive series.

Time convention (used by every ``as_of``, ``since`` and ``resistance_date`` this package
returns): **UTC epoch seconds as ``float``**, the same as :mod:`r2kmon.model`. A value that
comes from a daily row is stamped with 00:00 UTC of that row's date (the date is what the
data says; the exact close time belongs to the provider, not to the analytics). A value that
comes from a live price carries that price's own timestamp.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

# Defined with the symbols (no pandas needed); kept importable from here.
from r2kmon.model import is_crypto_pair as is_crypto_pair

_EPOCH = pd.Timestamp("1970-01-01")


def clean_closes(data: pd.DataFrame | pd.Series, column: str = "close") -> pd.Series:
    """Sorted, date-unique, finite, positive values indexed by naive midnight dates.

    ``data`` is a frame with a ``column`` column or a bare series, indexed by dates (naive
    or tz-aware; aware ones are converted to UTC first). Rows are dropped, never filled:
    NaN/inf and zero or negative prices are bad prints that would turn into infinite
    returns; of duplicated dates the last row wins, because a provider's later row is its
    correction. Nothing is interpolated, so a gap in the data stays a gap.
    """
    raw = data[column] if isinstance(data, pd.DataFrame) else data
    return _cleaned(raw, positive=True)


def clean_values(data: pd.Series) -> pd.Series:
    """Like :func:`clean_closes` but keeps zero and negative values (flows, spreads, levels).

    Used for context series such as reverse-repo balances, which are legitimately zero.
    """
    return _cleaned(data, positive=False)


def _cleaned(raw: pd.Series, *, positive: bool) -> pd.Series:
    """Finite values (and, if ``positive``, above zero) by naive midnight date, sorted,
    the last row of a duplicated date kept."""
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    index = pd.DatetimeIndex(raw.index)
    if index.tz is not None:
        index = index.tz_convert("UTC").tz_localize(None)
    if not _at_midnight(index):
        index = index.normalize()
    series = pd.Series(values, index=index, dtype="float64")
    kept = np.isfinite(series.to_numpy())
    if positive:
        kept &= series.to_numpy() > 0
    series = series[kept].sort_index(kind="stable")
    out: pd.Series = series[~series.index.duplicated(keep="last")]
    return out


_DAY_IN_UNIT = {"s": 86_400, "ms": 86_400_000, "us": 86_400_000_000, "ns": 86_400_000_000_000}


def _at_midnight(index: pd.DatetimeIndex) -> bool:
    """Whether every date of a naive index is already at midnight: ``normalize`` would
    change nothing, and it costs more than the rest of the cleaning (it infers the
    index's frequency), which the gauge replay pays on every day."""
    per_day = _DAY_IN_UNIT.get(str(index.unit))
    return per_day is not None and bool((index.asi8 % per_day == 0).all())


def epoch(day: pd.Timestamp) -> float:
    """UTC epoch seconds of a naive (UTC) timestamp; see the module docstring."""
    return float((day - _EPOCH).total_seconds())


def epochs(index: pd.DatetimeIndex) -> tuple[float, ...]:
    """:func:`epoch` of every date of ``index`` at once (for the series the UI draws)."""
    seconds = (index - _EPOCH) / pd.Timedelta(seconds=1)
    return tuple(float(x) for x in seconds)


def day_of(ts: float) -> pd.Timestamp:
    """The naive UTC date (midnight) that contains epoch second ``ts``."""
    return pd.Timestamp(math.floor(ts / 86_400) * 86_400, unit="s")


def value_asof(series: pd.Series, day: pd.Timestamp, max_age_days: int) -> float | None:
    """The last value on or before ``day``, if it is at most ``max_age_days`` old.

    ``series`` must be clean (sorted, unique). Returning ``None`` rather than an older value
    keeps a stale number from being shown as current.
    """
    pos = int(series.index.searchsorted(day, side="right")) - 1
    if pos < 0:
        return None
    if (day - series.index[pos]).days > max_age_days:
        return None
    return float(series.iloc[pos])


def finite_or_none(value: float | None) -> float | None:
    """``value`` as a float, or ``None`` for NaN/inf/missing (JSON has no NaN)."""
    if value is None:
        return None
    out = float(value)
    return out if math.isfinite(out) else None


class Averager:
    """Simple moving averages of a clean series that can include one provisional price.

    The live path asks "price versus its 200-day average" on every bar; a prefix-sum array
    built once per day answers that with one binary search instead of a 200-row mean.
    """

    __slots__ = ("_cumsum", "series")

    def __init__(self, series: pd.Series) -> None:
        self.series = series
        self._cumsum = np.concatenate([[0.0], np.cumsum(series.to_numpy(dtype="float64"))])

    def sma(self, window: int, price: float, day: pd.Timestamp) -> float | None:
        """Mean of ``price`` (dated ``day``) and the ``window - 1`` rows before ``day``.

        ``None`` when fewer rows exist. A row dated ``day`` itself is replaced by ``price``.
        """
        if window < 1:
            return None
        k = int(self.series.index.searchsorted(day, side="left"))
        if k < window - 1:
            return None
        total = self._cumsum[k] - self._cumsum[k - window + 1] + price
        return float(total / window)

    def last(self) -> tuple[float, pd.Timestamp] | None:
        """The last row as ``(value, day)``, if any."""
        if self.series.empty:
            return None
        return float(self.series.iloc[-1]), pd.Timestamp(self.series.index[-1])


def empty_series() -> pd.Series:
    """A series with no values but a date index, so date comparisons on it still work
    (a plain ``pd.Series(dtype=float)`` has a RangeIndex that cannot be compared with a
    date: that once failed the whole daily computation when BTC had no history yet)."""
    return pd.Series(dtype="float64", index=pd.DatetimeIndex([]))
