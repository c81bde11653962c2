"""The signal types every layer shares: breakout states, analytics status, freshness.

Plain values: the analytics produce breakout states, the runtime the status and each quote's
freshness, the config validates rules against the states, the UI, the status line and the
snapshot document show them. Here so that none of those has to import another (the
analytics need pandas; the config and the status line must not).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from types import MappingProxyType
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


Freshness = Literal["live", "delayed", "closed", "stale"]
"""How current a quote is, judged once per state by :mod:`r2kmon.runtime.freshness` from
its source's cadence, the US session and the quote's own time:

* ``live``: as recent as its source's cadence promises;
* ``delayed``: an older price standing in while the market trades (a daily close before
  the first intraday price, FRED's close published a day late, an exchange-delayed
  quote), shown with its date or time;
* ``closed``: the last price of the most recent session, while the market is shut;
* ``stale``: older than its cadence allows (whatever the provider answered), stamped in
  the future, or its source is stale or down.
"""

FRESHNESS: Final[tuple[Freshness, ...]] = ("live", "delayed", "closed", "stale")
"""Every :data:`Freshness`, from the most current to the least."""

FRESHNESS_MARK: Final[Mapping[Freshness, str]] = MappingProxyType(
    {"live": "", "delayed": "delayed", "closed": "closed", "stale": "STALE"}
)
"""The word a quote is marked with wherever it is shown (a table's age cell, the status
line, ``snapshot``'s table): none when live, ``STALE`` in capitals as the warning it is."""


def stamp_text(ts: float, now: float) -> str:
    """When a quote that is not live was observed, short enough for a table cell: the UTC
    time (``14:45Z``) when it is from today, else its UTC date (``Feb 20``).

    >>> stamp_text(1_771_595_100.0, 1_771_858_800.0)
    'Feb 20'
    """
    moment = datetime.fromtimestamp(ts, tz=timezone.utc)
    today = datetime.fromtimestamp(now, tz=timezone.utc).date()
    if moment.date() == today:
        return moment.strftime("%H:%MZ")
    return f"{moment:%b} {moment.day}"
