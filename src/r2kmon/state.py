"""What the UI and the report draw: one hub snapshot plus the analytics computed from it.

The runtime builds an :class:`AppState` on request; the UI compares :attr:`AppState.version`
with the version it last drew and redraws only when it differs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from r2kmon.model import HubSnapshot

if TYPE_CHECKING:
    # Types only: importing them would load pandas for every reader of this module (and
    # r2kmon.alerts imports this module).
    from r2kmon.alerts import RuleStatus
    from r2kmon.analytics.compute import AnalyticsResult
    from r2kmon.portfolio import Portfolio
    from r2kmon.sources.market_hours import MarketState


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


AlertLevel = Literal["info", "warning", "error", "alert"]
"""``alert``: one of the user's ``[[alerts]]`` rules fired (:mod:`r2kmon.alerts`)."""


@dataclass(frozen=True, slots=True)
class Alert:
    """One line of the alert log: a breakout state change, a source going down or back, a
    rule of the user's firing."""

    ts: float
    level: AlertLevel
    source: str
    message: str


@dataclass(frozen=True, slots=True)
class AppState:
    """An immutable view of everything r2kmon knows at one instant."""

    hub: HubSnapshot
    analytics: AnalyticsResult | None = None
    analytics_version: int = 0
    analytics_status: AnalyticsStatus = AnalyticsStatus()
    market: MarketState | None = None
    """The US session state (open / closed / weekend / holiday, next open) at the hub's time."""
    alerts: tuple[Alert, ...] = ()
    """The alert log, oldest first (bounded by the runtime)."""
    rules: tuple[RuleStatus, ...] = ()
    """Where each of the user's ``[[alerts]]`` rules stands."""
    portfolio: Portfolio | None = None
    """The ``[[holdings]]`` valued at the hub's prices (``None``: no holdings configured)."""

    @property
    def version(self) -> tuple[int, int]:
        """Changes whenever the hub or the analytics changed."""
        return (self.hub.version, self.analytics_version)
