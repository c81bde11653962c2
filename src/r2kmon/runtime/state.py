"""What the UI and the report draw: one hub snapshot plus the analytics computed from it.

The runtime builds an :class:`AppState` on request; the UI compares :attr:`AppState.version`
with the version it last drew and redraws only when it differs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from r2kmon.model import Alert, AnalyticsStatus, HubSnapshot, MarketState, RuleStatus

if TYPE_CHECKING:
    # Types only: importing them would load pandas for every reader of this module.
    from r2kmon.analytics.compute import AnalyticsResult
    from r2kmon.runtime.portfolio import Portfolio


@dataclass(frozen=True, slots=True)
class AppState:
    """An immutable view of everything r2kmon knows at one instant."""

    hub: HubSnapshot
    analytics: AnalyticsResult | None = None
    analytics_version: int = 0
    analytics_status: AnalyticsStatus = field(default_factory=AnalyticsStatus)
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
