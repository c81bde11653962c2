"""What the UI and the report draw: one hub snapshot plus everything derived from it.

The runtime builds an :class:`AppState` on request (:meth:`r2kmon.runtime.Runtime.state`);
the UI compares :attr:`AppState.version` with the version it last drew and redraws only
when it differs, and asks for a new state when :attr:`AppState.freshness_until` has passed
(a quote's freshness moves with the clock). Plain values: readers format them and judge
nothing again; what is computed from a state (e.g. :func:`r2kmon.runtime.reaching.reaching`)
is computed by the runtime.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from r2kmon.model.alerts import Alert, RuleStatus
from r2kmon.model.analytics import AnalyticsResult
from r2kmon.model.core import HubSnapshot
from r2kmon.model.journal import RecentJournal
from r2kmon.model.portfolio import Portfolio
from r2kmon.model.session import MarketState
from r2kmon.model.signals import AnalyticsStatus, Freshness
from r2kmon.model.track_record import TrackRecord

StateVersion = tuple[int, int, int]
"""The hub's version, the analytics', the kept journal's (:attr:`AppState.version`)."""


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
    journal: RecentJournal | None = None
    """The signal journal's newest entries of each symbol, as kept in the store (``None``:
    built by a runtime that keeps no journal, or before the runtime started)."""

    def freshness_of(self, symbol: str) -> Freshness:
        """The freshness of ``symbol``'s quote. A quote this state carries no judgement for
        (a state built without the runtime) is never shown as fresh: ``stale``."""
        return self.freshness.get(symbol, "stale")

    @property
    def version(self) -> StateVersion:
        """Changes whenever the hub, the analytics or the kept journal changed."""
        journal = self.journal.version if self.journal is not None else 0
        return (self.hub.version, self.analytics_version, journal)
