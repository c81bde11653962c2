"""Rolling correlation of daily log returns between US markets and crypto.

Used by :mod:`r2kmon.analytics.compute`: the latest values (``correlation`` in ``snapshot
--json``), and for the UI's correlation view the rolling series over the whole history
(:class:`~r2kmon.model.analytics.CorrelationSeries`) and every symbol against every
other (:class:`~r2kmon.model.analytics.CorrelationMatrix`), which the view only cuts to its
range and draws.

The grid is the **US trading-day grid**: the equity series' own dates. Crypto is sampled
on exactly those dates (its UTC-day close; no fill), so a crypto "daily" return over a
weekend spans Friday→Monday like the equity's. A date missing on either side drops the
returns that touch it. Windows count *joint observations* (30 and 90 by default), not
calendar days.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from r2kmon.analytics.series import clean_closes, epoch, epochs, finite_or_none, is_crypto_pair
from r2kmon.model.analytics import CorrelationMatrix, CorrelationSeries, CorrelationValue


def aligned_log_returns(equity: pd.Series, crypto: pd.Series) -> pd.DataFrame:
    """Columns ``a`` (equity) and ``b`` (crypto): log returns on the equity's dates, rows
    with either side missing dropped."""
    eq = clean_closes(equity)
    cr = clean_closes(crypto).reindex(eq.index)
    prices = pd.DataFrame({"a": eq, "b": cr})
    returns = pd.DataFrame(
        np.log(prices.to_numpy() / prices.shift(1).to_numpy()),
        index=prices.index,
        columns=["a", "b"],
    )
    return returns.dropna()


def rolling_correlation(equity: pd.Series, crypto: pd.Series, window: int) -> pd.Series:
    """Rolling correlation over ``window`` joint observations (NaN until the window fills)."""
    if window < 2:
        raise ValueError("a correlation needs a window of at least 2 observations")
    returns = aligned_log_returns(equity, crypto)
    return returns["a"].rolling(window, min_periods=window).corr(returns["b"])


def latest_correlation(
    a: str, equity: pd.Series, b: str, crypto: pd.Series, window: int
) -> CorrelationValue:
    """The most recent full-window correlation of ``a`` and ``b``, or ``None`` values."""
    returns = aligned_log_returns(equity, crypto).tail(window)
    if len(returns) < window:
        return CorrelationValue(a, b, window, None, None)
    # Zero variance (a flat series) has no correlation: numpy gives NaN, reported as None.
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.corrcoef(returns["a"].to_numpy(), returns["b"].to_numpy())[0, 1]
    return CorrelationValue(a, b, window, finite_or_none(float(value)), epoch(returns.index[-1]))


def rolling_series(
    a: str, equity: pd.Series, b: str, crypto: pd.Series, windows: Sequence[int]
) -> tuple[CorrelationSeries, ...]:
    """:func:`rolling_correlation` of one pair for each of ``windows``, as plain series."""
    returns = aligned_log_returns(equity, crypto)
    out = []
    for window in windows:
        rolled = returns["a"].rolling(window, min_periods=window).corr(returns["b"]).dropna()
        days = epochs(pd.DatetimeIndex(rolled.index))
        out.append(CorrelationSeries(a, b, window, days, tuple(rolled.to_numpy().tolist())))
    return tuple(out)


_Dated = tuple[np.ndarray, np.ndarray]
"""A clean series as two arrays: its dates (``datetime64``) and its values."""


def _last_window(first: _Dated, second: _Dated, window: int) -> float | None:
    """The correlation of the last ``window`` joint log returns of two clean series on
    ``first``'s dates: :func:`latest_correlation` on plain arrays, since the matrix asks
    for every pair of the same series (with 20 symbols, 380 pairs: pandas' alignment,
    at a tenth of a millisecond per call, would be most of the daily recompute).

    Only the end of ``first`` is aligned at first (twice the window: a coin on an equity's
    dates misses none), and all of it when that end holds too few joint returns; the
    answer is the same either way."""
    days, values = first
    other_days, other_values = second
    for rows in (2 * window + 1, len(days)):
        part = days[-rows:]
        at = np.searchsorted(other_days, part).clip(max=len(other_days) - 1)
        found = other_days[at] == part
        a = values[-rows:]
        b = np.where(found, other_values[at], np.nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            ra = np.log(a[1:] / a[:-1])
            rb = np.log(b[1:] / b[:-1])
            joint = ~(np.isnan(ra) | np.isnan(rb))
            ra, rb = ra[joint][-window:], rb[joint][-window:]
            if len(ra) == window:
                return finite_or_none(float(np.corrcoef(ra, rb)[0, 1]))
        if rows >= len(days):
            break
    return None


def correlation_matrix(closes: Mapping[str, pd.Series], window: int) -> CorrelationMatrix:
    """Every symbol of ``closes`` (clean closes, in the order given) against every other.
    A pair of an equity and a coin is aligned on the equity's dates (the US trading-day
    grid, as everywhere in this module); any other pair on the first symbol's."""
    symbols = tuple(closes)
    arrays = {
        s: (series.index.to_numpy(), series.to_numpy(dtype="float64"))
        for s, series in closes.items()
        if not series.empty
    }
    rows = []
    for a in symbols:
        row: list[float | None] = []
        for b in symbols:
            if a == b:
                row.append(1.0)
            elif a not in arrays or b not in arrays:
                row.append(None)
            elif is_crypto_pair(a) and not is_crypto_pair(b):
                row.append(_last_window(arrays[b], arrays[a], window))
            else:
                row.append(_last_window(arrays[a], arrays[b], window))
        rows.append(tuple(row))
    return CorrelationMatrix(symbols, window, tuple(rows))
