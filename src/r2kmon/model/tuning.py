"""The analytics' tunable settings: the gauge's weights and bands, the breakout thresholds.

The config loader validates ``[gauge]`` and ``[breakout]`` against these, and the
analytics (:mod:`r2kmon.analytics.gauge`, :mod:`r2kmon.analytics.breakout`) run with them.
Here, plain and without pandas, so the config needs nothing above the model.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

GaugeLabel = Literal["risk-off", "neutral", "risk-on"]

DEFAULT_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {
        "breakout": 2.0,
        "small_cap_rs": 1.0,
        "index_trend": 1.0,
        "btc_trend": 1.0,
        "btc_momentum": 1.0,
        "alt_season": 1.0,
        "btc_dominance_trend": 0.5,
        "vix_level": 1.0,
        "vix_trend": 0.5,
        "dollar_trend": 0.5,
        "liquidity_trend": 1.0,
        "flows": 0.5,
        "fear_greed": 0.5,
    }
)
"""Component names the gauge knows, and their default weights. The breakout states weigh
double because they are the thesis; the rest are equal, with the noisier or second-order
signals (dominance, VIX trend, dollar, flows, sentiment) at half weight."""


@dataclass(frozen=True, slots=True)
class GaugeSettings:
    weights: Mapping[str, float] = field(default_factory=lambda: DEFAULT_WEIGHTS)
    """Component name → weight. A name missing here (or weighted 0) is not part of the gauge."""
    risk_off_below: float = 40.0
    risk_on_above: float = 60.0

    def __post_init__(self) -> None:
        if any(not math.isfinite(w) or w < 0 for w in self.weights.values()):
            raise ValueError("gauge weights must be finite and not negative")
        if not 0 <= self.risk_off_below <= self.risk_on_above <= 100:
            raise ValueError("need 0 <= risk_off_below <= risk_on_above <= 100")


@dataclass(frozen=True, slots=True)
class BreakoutSettings:
    """Thresholds of the state machine; percentages are of the level's price."""

    band_pct: float = 3.0
    """Width of the ``testing`` band under the level, and of the ``retest`` band around it."""
    buffer_pct: float = 0.0
    """How far a close must clear the level to count as a breakout. Zero by default: the
    first close above the Aug-2018 ^RUT high (2020-11-13) cleared it by only 0.19 % and held,
    so the confirmation rule, not the buffer, is what filters false starts."""
    confirm_closes: int = 3
    """N: consecutive closes above the level that confirm a breakout."""
    confirm_pct: float = 3.0
    """X: one close this far above the level confirms at once."""
    fail_sessions: int = 10
    """M: a close back below the level within this many sessions is a failed breakout."""
    failed_hold_sessions: int = 5
    """How long ``failed`` stays on the board before the machine re-arms."""
    rearm_sessions: int = 20
    """A newer high must stand this long before it replaces a confirmed level."""

    def __post_init__(self) -> None:
        if min(self.band_pct, self.buffer_pct, self.confirm_pct) < 0:
            raise ValueError("band, buffer and confirm percentages must not be negative")
        if min(self.confirm_closes, self.fail_sessions, self.rearm_sessions) < 1:
            raise ValueError("confirm_closes, fail_sessions and rearm_sessions must be >= 1")
        if self.failed_hold_sessions < 0:
            raise ValueError("failed_hold_sessions must not be negative")
