"""An injectable clock, so tests, snapshots and benchmarks control time.

Producers, the hub and the UI ask a :class:`Clock` for the time instead of calling
``time.time()`` themselves; tests pass a :class:`FrozenClock`.
"""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    """Wall time in UTC epoch seconds, and a monotonic time for intervals."""

    def now(self) -> float:
        """UTC epoch seconds."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back; only differences mean anything."""
        ...


class SystemClock:
    """The real clock.

    The methods are the ``time`` functions themselves, so ``clock.monotonic()`` is one C
    call (the feeds read it per received frame).
    """

    now = staticmethod(time.time)
    monotonic = staticmethod(time.monotonic)


class FrozenClock:
    """A clock that moves only when told to (tests, SVG snapshots)."""

    def __init__(self, start: float) -> None:
        self._now = start
        self._mono = 0.0

    def now(self) -> float:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    def advance(self, seconds: float) -> None:
        """Move both clocks forward."""
        self._now += seconds
        self._mono += seconds
