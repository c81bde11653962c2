"""What the UI and the report draw: one hub snapshot plus the analytics computed from it.

The runtime builds an :class:`AppState` on request; the UI compares :attr:`AppState.version`
with the version it last drew and redraws only when it differs, and asks for a new state
when :attr:`AppState.freshness_until` has passed (a quote's freshness moves with the clock).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

from r2kmon.model import Alert, AnalyticsStatus, Freshness, HubSnapshot, MarketState, RuleStatus
from r2kmon.model.track_record import TrackRecord

if TYPE_CHECKING:
    # Types only: importing them would load pandas for every reader of this module.
    from r2kmon.analytics.compute import AnalyticsResult
    from r2kmon.runtime.portfolio import Portfolio
    from r2kmon.runtime.reaching import Reaching


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
    freshness: Mapping[str, Freshness] = field(default_factory=lambda: MappingProxyType({}))
    """Symbol → how current its quote is, judged when the state was built
    (:mod:`r2kmon.runtime.freshness`); readers show it, none judges again."""
    freshness_until: float | None = None
    """Once the clock is past this time, one of those judgements can change with the clock
    alone (a price ageing past its cadence, the bell): a reader holding this state asks
    for a new one then, even if no data arrived. ``None``: only new data changes them."""

    track_record: TrackRecord | None = None
    """What followed each band of the replayed gauge (``None`` until the first replay,
    which runs in the background after the first screen)."""

    def freshness_of(self, symbol: str) -> Freshness:
        """The freshness of ``symbol``'s quote. A quote this state carries no judgement for
        (a state built without the runtime) is never shown as fresh: ``stale``."""
        return self.freshness.get(symbol, "stale")

    @property
    def version(self) -> tuple[int, int]:
        """Changes whenever the hub or the analytics changed."""
        return (self.hub.version, self.analytics_version)

    def reaching(self) -> Reaching:
        """Whether risk appetite is reaching crypto, in numbers (see
        :mod:`r2kmon.runtime.reaching`); computed on each call, so readers call it once per
        change of :attr:`version`."""
        from r2kmon.runtime.reaching import reaching

        return reaching(self)
