"""The US equity session as every layer sees it (open, closed, weekend, holiday).

Computed by :mod:`r2kmon.sources.market_hours` from the exchange calendar; read by the
runtime (freshness, the header), the UI and the snapshot document.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal
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
