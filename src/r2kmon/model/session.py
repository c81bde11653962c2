"""The US equity session as every layer sees it (open, closed, weekend, holiday), and the
calendar interface that answers it.

:class:`MarketCalendar` is what a session lookup looks like to its users; the one in use is
:class:`r2kmon.analytics.market_hours.MarketHours`, computed from the exchange calendar. The
runtime loads it (it takes most of a second) and hands the poller a
:data:`CalendarLoader`, so the sources schedule by the session without importing the
analytics. :class:`MarketState` is read by the runtime (freshness, the header), the UI and
the snapshot document.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

NEW_YORK = ZoneInfo("America/New_York")

SessionState = Literal["open", "closed", "weekend", "holiday"]


@dataclass(frozen=True, slots=True)
class MarketState:
    """Where the market stands at ``at`` (all times UTC epoch seconds).

    ``half_day`` is true when today's session (the one open now, or the one that already
    ran today) closes early. ``next_open`` is ``None`` beyond the calendar's horizon.
    """

    at: float
    state: SessionState
    half_day: bool
    session_close: float | None
    next_open: float | None
    session_open: float | None = None
    """When the session in progress opened; ``None`` while the market is shut."""
    last_close: float | None = None
    """The close of the most recent completed session (``None`` before the calendar's
    first): the price of record while the market is shut."""
    prior_close: float | None = None
    """The close of the completed session before that one: FRED publishes a day's close
    on the next business day, so its latest can be this one."""

    @property
    def is_open(self) -> bool:
        return self.state == "open"

    def label(self) -> str:
        """Header text, e.g. ``open (half day)`` or ``holiday · opens Mon 09:30 ET``."""
        text = self.state + (" (half day)" if self.half_day else "")
        if not self.is_open and self.next_open is not None:
            local = datetime.fromtimestamp(self.next_open, NEW_YORK)
            text += f" · opens {local:%a %H:%M} ET"
        return text


class MarketCalendar(Protocol):
    """Session lookups on one exchange's calendar."""

    def state(self, now: float) -> MarketState:
        """Where the market stands at ``now`` (UTC epoch seconds); cheap (no I/O)."""
        ...


CalendarLoader = Callable[[], MarketCalendar]
"""Loads (or returns the already loaded) calendar; may take most of a second the first
time, so callers on an event loop run it in a thread."""
