"""The signal types every layer shares: breakout states, analytics status, freshness.

Plain values: the analytics produce breakout states, the runtime the status and each quote's
freshness, the config validates rules against the states, the UI, the status line and the
snapshot document show them. Here so that none of those has to import another (the
analytics need pandas; the config and the status line must not).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

BreakoutState = Literal["below", "testing", "breakout", "confirmed", "failed", "retest"]
"""Where a symbol stands against its resistance level (:mod:`r2kmon.analytics.breakout`)."""

BREAKOUT_STATES: Final[tuple[BreakoutState, ...]] = (
    "below",
    "testing",
    "breakout",
    "confirmed",
    "failed",
    "retest",
)
"""Every :data:`BreakoutState`, in the order the board explains them."""


@dataclass(frozen=True, slots=True)
class AnalyticsStatus:
    """Where the analytics stand, so a pane can say what it is waiting for.

    ``state`` is ``waiting`` (not enough history yet), ``unavailable`` (no history, and
    every source of it failed), ``computing``, ``ready`` or ``error``; ``detail`` says
    what, in a sentence (e.g. "daily history: 3 of 7 symbols").
    """

    state: str = "waiting"
    detail: str = "waiting for daily history"
    done: int = 0
    total: int = 0
