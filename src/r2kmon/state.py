"""What the UI and the report draw: one hub snapshot plus the analytics computed from it.

The runtime builds an :class:`AppState` on request; the UI compares :attr:`AppState.version`
with the version it last drew and redraws only when it differs.
"""

from __future__ import annotations

from dataclasses import dataclass

from r2kmon.analytics.compute import AnalyticsResult
from r2kmon.model import HubSnapshot


@dataclass(frozen=True, slots=True)
class AnalyticsStatus:
    """Where the analytics stand, so a pane can say what it is waiting for.

    ``state`` is ``waiting`` (not enough history yet), ``computing``, ``ready`` or
    ``error``; ``detail`` says what, in a sentence (e.g. "daily history: 3 of 7 symbols").
    """

    state: str = "waiting"
    detail: str = "waiting for daily history"
    done: int = 0
    total: int = 0


@dataclass(frozen=True, slots=True)
class AppState:
    """An immutable view of everything r2kmon knows at one instant."""

    hub: HubSnapshot
    analytics: AnalyticsResult | None = None
    analytics_version: int = 0
    analytics_status: AnalyticsStatus = AnalyticsStatus()

    @property
    def version(self) -> tuple[int, int]:
        """Changes whenever the hub or the analytics changed."""
        return (self.hub.version, self.analytics_version)
