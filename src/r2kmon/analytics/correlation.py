"""Rolling correlation of daily log returns between US markets and crypto.

Used by :mod:`r2kmon.analytics.compute` (``correlation`` in ``snapshot --json``) and by the
UI's correlation chart. The grid is the **US trading-day grid**: the equity series' own
dates. Crypto is sampled on exactly those dates (its UTC-day close; no fill), so a crypto
"daily" return over a weekend spans Friday→Monday like the equity's. A date missing on
either side drops the returns that touch it. Windows count *joint observations* (30 and 90
by default), not calendar days.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from r2kmon.analytics.series import clean_closes, epoch, finite_or_none


@dataclass(frozen=True, slots=True)
class CorrelationValue:
    """One entry of ``correlation``: the latest rolling value of pair ``a``/``b``."""

    a: str
    b: str
    window_days: int
    """Window length in joint US trading-day observations."""
    value: float | None
    as_of: float | None
    """Epoch seconds (00:00 UTC) of the last date in the window."""

    def to_json(self) -> dict[str, str | float | int | None]:
        return {
            "a": self.a,
            "b": self.b,
            "window_days": self.window_days,
            "value": self.value,
            "as_of": self.as_of,
        }


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
