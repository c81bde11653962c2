"""Failover between exchanges: each symbol from the best exchange that is serving it now.

Used by the runtime: it builds one :class:`~r2kmon.feeds.connection.FeedSettings` per
configured exchange (in priority order, :func:`feed_settings` does it from plain values)
and runs one :class:`FailoverFeeds` as a producer.

Every exchange in the list stays connected (a hot standby): switching a symbol is then a
routing decision, not a connection to open, so a takeover costs at most one
``check_interval`` once the primary is known to be down, and nothing is lost while a
standby connects. At ticker rates the standby connections cost next to nothing.

Routing rules, per symbol:

* the highest-priority exchange with fresh data for the symbol (a tick or a per-symbol
  heartbeat within ``stale_after`` seconds, on a live connection) serves it;
* when the serving exchange disconnects, or the symbol goes quiet there past
  ``stale_after``, the next fresh exchange takes over at the next check;
* when a higher-priority exchange delivers the symbol again, it takes it back at once
  (fail-back on its first tick);
* ticks from the other exchanges are dropped, so the quote always names the exchange that
  really sent it (``Tick.source``).

Health: each exchange reports its own record; this class adds one summary record named
``settings.name`` listing symbols that no exchange serves in ``silent_symbols``.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from r2kmon.clock import Clock, SystemClock
from r2kmon.feeds.base import Channel
from r2kmon.feeds.connection import FeedConnection, FeedSettings
from r2kmon.model import Bar, ContextValue, HealthStatus, Interval, Sink, SourceHealth, Tick
from r2kmon.retry import Backoff, supervise

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FailoverSettings:
    """How eagerly symbols move between exchanges. Times are seconds."""

    name: str = "crypto-feeds"
    """Name of the summary health record."""
    stale_after: float = 15.0
    """A symbol without data this long on its exchange moves to the next fresh one."""
    check_interval: float = 0.5
    restart_initial: float = 1.0
    """First wait before restarting an exchange whose code failed (a bug), doubling up to
    ``restart_max`` (:class:`r2kmon.retry.Backoff`)."""
    restart_max: float = 60.0


def feed_settings(
    symbols: Sequence[str],
    exchanges: Sequence[str],
    *,
    urls: Mapping[str, str] | None = None,
    rest_urls: Mapping[str, str] | None = None,
    channel: Channel = "ticker",
    usdt_as_usd: bool = True,
    **overrides: Any,
) -> list[FeedSettings]:
    """One :class:`FeedSettings` per exchange, in priority order, all for ``symbols``.

    ``urls``/``rest_urls`` map an exchange key to its configured endpoint (missing or
    empty: the exchange's own). ``overrides`` set any other :class:`FeedSettings` field.
    """
    urls = urls or {}
    rest_urls = rest_urls or {}
    return [
        FeedSettings(
            name=exchange,
            exchange=exchange,
            symbols=tuple(symbols),
            url=urls.get(exchange, ""),
            rest_url=rest_urls.get(exchange, ""),
            channel=channel,
            usdt_as_usd=usdt_as_usd,
            **overrides,
        )
        for exchange in exchanges
    ]


class _RoutedSink:
    """What one exchange's connection pushes into: ticks filtered by the routing table."""

    def __init__(self, owner: FailoverFeeds, name: str, sink: Sink) -> None:
        self._owner, self._name, self._sink = owner, name, sink
        self._rank = owner.rank[name]

    def push_ticks(self, ticks: Sequence[Tick]) -> None:
        routes = self._owner.routes
        name = self._name
        # Hot path: everything in the batch is ours to forward.
        for tick in ticks:
            if routes.get(tick.symbol) != name:
                break
        else:
            self._sink.push_ticks(ticks)
            return
        kept: list[Tick] = []
        standby: list[Tick] = []
        for tick in ticks:
            (kept if self._owner.claim(tick.symbol, name, self._rank) else standby).append(tick)
        if kept:
            self._sink.push_ticks(kept)
        if standby:
            # Not this symbol's source now: kept apart, for the price per exchange.
            self._sink.push_standby(standby)

    def push_standby(self, ticks: Sequence[Tick]) -> None:
        self._sink.push_standby(ticks)

    def push_bars(self, symbol: str, interval: Interval, bars: Sequence[Bar], source: str) -> None:
        self._sink.push_bars(symbol, interval, bars, source)

    def push_health(self, health: SourceHealth) -> None:
        self._sink.push_health(health)

    def push_context(self, value: ContextValue) -> None:
        self._sink.push_context(value)


class FailoverFeeds:
    """Runs every exchange's connection and routes each symbol to the best one.

    Implements the runtime's ``Producer`` protocol (``name``, ``run(sink)``).
    """

    def __init__(
        self,
        feeds: Sequence[FeedSettings],
        settings: FailoverSettings | None = None,
        *,
        clock: Clock | None = None,
        connections: Sequence[FeedConnection] | None = None,
    ) -> None:
        if not feeds and not connections:
            raise ValueError("failover needs at least one exchange")
        self.settings = settings or FailoverSettings()
        self.clock: Clock = clock or SystemClock()
        self.connections: tuple[FeedConnection, ...] = tuple(
            connections
            if connections is not None
            else [FeedConnection(f, clock=self.clock) for f in feeds]
        )
        names = [c.name for c in self.connections]
        if len(set(names)) != len(names):
            raise ValueError(f"exchange names must be unique: {names}")
        self.rank: dict[str, int] = {name: i for i, name in enumerate(names)}
        self._by_name = {c.name: c for c in self.connections}
        symbols: list[str] = []
        for connection in self.connections:
            symbols.extend(s for s in connection.adapter.symbols if s not in symbols)
        self.symbols: tuple[str, ...] = tuple(symbols)
        self.routes: dict[str, str] = {}
        """symbol → name of the exchange whose ticks are forwarded."""

    @property
    def name(self) -> str:
        return self.settings.name

    def fresh(self, name: str, symbol: str) -> bool:
        age = self._by_name[name].symbol_age(symbol)
        return age is not None and age <= self.settings.stale_after

    def claim(self, symbol: str, name: str, rank: int) -> bool:
        """Whether a tick of ``symbol`` from ``name`` is forwarded; takes the symbol over
        when nobody serves it or ``name`` outranks the current exchange."""
        current = self.routes.get(symbol)
        if current == name:
            return True
        if current is None or rank < self.rank[current]:
            self._switch(symbol, current, name)
            return True
        return False

    def _switch(self, symbol: str, old: str | None, new: str | None) -> None:
        if new is None:
            self.routes.pop(symbol, None)
        else:
            self.routes[symbol] = new
        log.info("%s: %s → %s", symbol, old or "nobody", new or "nobody")

    def check(self) -> None:
        """Move symbols off exchanges that went down or quiet."""
        for symbol in self.symbols:
            current = self.routes.get(symbol)
            if current is not None and self.fresh(current, symbol):
                continue
            best = next(
                (
                    c.name
                    for c in self.connections
                    if symbol in c.adapter.symbols and self.fresh(c.name, symbol)
                ),
                None,
            )
            if best is not None and best != current:
                self._switch(symbol, current, best)
            elif (
                best is None
                and current is not None
                and self._by_name[current].symbol_age(symbol) is None
            ):
                # Its connection is gone and nobody else has it: the first exchange to
                # deliver it again takes it.
                self._switch(symbol, current, None)

    def health(self) -> SourceHealth:
        unserved = tuple(
            s for s in self.symbols if s not in self.routes or not self.fresh(self.routes[s], s)
        )
        status: HealthStatus
        if not unserved:
            status = "ok"
        elif len(unserved) < len(self.symbols):
            status = "stale"
        elif any(c.status == "connecting" for c in self.connections):
            status = "connecting"
        else:
            status = "down"
        error = f"no exchange serves {', '.join(unserved)}" if unserved else None
        return SourceHealth(
            self.name,
            "feed",
            status,
            last_ok=self.clock.now() if not unserved else None,
            last_error=error if status in ("stale", "down") else None,
            silent_symbols=unserved,
            summary=True,
        )

    async def run(self, sink: Sink) -> None:
        """Run every exchange and the routing checks until cancelled."""
        # One exchange's bug restarts that exchange after a growing delay (the one restart
        # policy; FeedConnection has already reported itself down with the reason); the
        # others keep serving.
        settings = self.settings
        tasks = [
            asyncio.create_task(
                supervise(
                    c.name,
                    functools.partial(c.run, _RoutedSink(self, c.name, sink)),
                    Backoff(settings.restart_initial, settings.restart_max),
                )
            )
            for c in self.connections
        ]
        try:
            while True:
                self.check()
                sink.push_health(self.health())
                await asyncio.sleep(settings.check_interval)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.wait(tasks)


def with_overrides(feeds: Sequence[FeedSettings], **changes: Any) -> list[FeedSettings]:
    """The same feeds with some settings changed (tests and the benchmark shrink timers)."""
    return [replace(f, **changes) for f in feeds]
