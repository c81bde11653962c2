"""A recording :class:`~r2kmon.model.Sink` and a polling wait, for the producer tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from r2kmon.model import Bar, ContextValue, Interval, SourceHealth, Tick


class RecordingSink:
    """A :class:`~r2kmon.model.Sink` that keeps everything pushed into it, in order, for
    assertions. Standby ticks (failover's hot standbys) are kept apart from ``ticks``."""

    def __init__(self) -> None:
        self.ticks: list[Tick] = []
        self.standby: list[Tick] = []
        self.bars: list[tuple[str, Interval, list[Bar], str]] = []
        self.health: list[SourceHealth] = []
        self.context: list[ContextValue] = []

    def push_ticks(self, ticks: Sequence[Tick]) -> None:
        self.ticks.extend(ticks)

    def push_standby(self, ticks: Sequence[Tick]) -> None:
        self.standby.extend(ticks)

    def push_bars(self, symbol: str, interval: Interval, bars: Sequence[Bar], source: str) -> None:
        self.bars.append((symbol, interval, list(bars), source))

    def push_health(self, health: SourceHealth) -> None:
        self.health.append(health)

    def push_context(self, value: ContextValue) -> None:
        self.context.append(value)

    def last_health(self, name: str) -> SourceHealth | None:
        return next((h for h in reversed(self.health) if h.name == name), None)

    def last_context(self, name: str) -> ContextValue | None:
        return next((c for c in reversed(self.context) if c.name == name), None)

    def ticks_of(self, symbol: str, source: str | None = None) -> list[Tick]:
        """The ticks of ``symbol`` (only those from ``source`` if given), standbys excluded."""
        return [t for t in self.ticks if t.symbol == symbol and source in (None, t.source)]


async def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll ``predicate`` every 10 ms; fail the test after ``timeout`` seconds."""
    async with asyncio.timeout(timeout):
        # Polling, not an Event: the predicates read state the code under test owns.
        while not predicate():  # noqa: ASYNC110
            await asyncio.sleep(0.01)
