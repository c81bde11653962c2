"""Relative strength: small caps against large caps, ether against bitcoin.

Used by :mod:`r2kmon.analytics.compute` (``context`` entries and the ``small_cap_rs``
gauge component, and each ratio's history as a
:class:`~r2kmon.model.analytics.RatioSeries` for the UI's ratio chart). A ratio
``numerator / denominator`` on the dates both have, compared with its own 50- and
200-observation simple moving averages. A ratio above both averages with the fast one above
the slow one is ``rising``; the mirror image is ``falling``; anything else is ``mixed``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd

from r2kmon.analytics.series import Averager, clean_closes, epoch, epochs, finite_or_none
from r2kmon.model.analytics import RatioSeries

Trend = Literal["rising", "falling", "mixed"]


@dataclass(frozen=True, slots=True)
class RelativeStrength:
    numerator: str
    denominator: str
    ratio: float | None
    sma_fast: float | None
    sma_slow: float | None
    pct_vs_fast: float | None
    """Ratio versus its fast average, in percent."""
    pct_vs_slow: float | None
    trend: Trend | None
    as_of: float | None

    @property
    def name(self) -> str:
        return f"{self.numerator}/{self.denominator}"

    def to_json(self) -> dict[str, str | float | None]:
        return {
            "name": self.name,
            "value": self.ratio,
            "sma_fast": self.sma_fast,
            "sma_slow": self.sma_slow,
            "pct_vs_fast": self.pct_vs_fast,
            "pct_vs_slow": self.pct_vs_slow,
            "trend": self.trend,
            "as_of": self.as_of,
        }


def plain_ratio(numerator: str, denominator: str, ratio: pd.Series) -> RatioSeries:
    """A :func:`ratio_series` as a :class:`~r2kmon.model.analytics.RatioSeries`."""
    days = epochs(pd.DatetimeIndex(ratio.index))
    return RatioSeries(numerator, denominator, days, tuple(ratio.to_numpy().tolist()))


def ratio_series(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """``numerator / denominator`` on the dates both series have."""
    num = clean_closes(numerator)
    den = clean_closes(denominator)
    joined = pd.concat({"n": num, "d": den}, axis=1, join="inner")
    return joined["n"] / joined["d"]


def _pct(value: float, reference: float | None) -> float | None:
    if reference is None or reference == 0:
        return None
    return finite_or_none((value / reference - 1) * 100)


def classify(ratio: float, fast: float | None, slow: float | None) -> Trend | None:
    """Trend label from the ratio and its averages (``None`` without both averages)."""
    if fast is None or slow is None:
        return None
    if ratio > fast > slow:
        return "rising"
    if ratio < fast < slow:
        return "falling"
    return "mixed"


def relative_strength_at(
    numerator_name: str,
    denominator_name: str,
    ratio: Averager,
    value: float,
    day: pd.Timestamp,
    as_of: float,
    fast: int = 50,
    slow: int = 200,
) -> RelativeStrength:
    """``value`` (the ratio on ``day``, possibly live) against its averages, which include
    it and the completed ratios before ``day``."""
    sma_fast = ratio.sma(fast, value, day)
    sma_slow = ratio.sma(slow, value, day)
    return RelativeStrength(
        numerator=numerator_name,
        denominator=denominator_name,
        ratio=value,
        sma_fast=sma_fast,
        sma_slow=sma_slow,
        pct_vs_fast=_pct(value, sma_fast),
        pct_vs_slow=_pct(value, sma_slow),
        trend=classify(value, sma_fast, sma_slow),
        as_of=as_of,
    )


def relative_strength(
    numerator_name: str,
    numerator: pd.Series,
    denominator_name: str,
    denominator: pd.Series,
    fast: int = 50,
    slow: int = 200,
) -> RelativeStrength:
    """The latest ratio and its trend; averages are ``None`` until enough observations."""
    ratio = Averager(ratio_series(numerator, denominator))
    last = ratio.last()
    if last is None:
        return RelativeStrength(
            numerator_name, denominator_name, None, None, None, None, None, None, None
        )
    value, day = last
    return relative_strength_at(
        numerator_name, denominator_name, ratio, value, day, epoch(day), fast, slow
    )
