"""The one websocket loop: connect, subscribe, read, keep alive, recover — for any adapter.

Used by :mod:`r2kmon.feeds.failover` (one :class:`FeedConnection` per exchange), by the
runtime through it, and by ``bench/ingest.py``. Exchange specifics stay in the adapters;
this module only knows what an :class:`~r2kmon.feeds.base.Adapter` declares (subscribe
frames, an optional application ping, a send-rate budget, a streams-per-connection cap).

One reconnect loop per websocket: websockets' own (``async for ws in connect(...)``), with
``process_exception`` deciding what is retried and :class:`r2kmon.retry.Backoff` (50 to
100 % of a nominal delay doubling up to ``backoff_max``) as its ``reconnect_delays``. How
failures are classified::

    cannot connect: DNS, refused, reset,        transient → retry after the backoff; the
      timeout, certificate rejected, TLS        reason in words (:mod:`r2kmon.net.failure`)
      handshake failure; HTTP 5xx / 429 / 408
    handshake refused: other HTTP 4xx (404,     persistent → health "down" with the reason,
      451 restricted location), bad URL, a      retry after ``fatal_retry`` seconds, then
      proxy refusing us or needing the extra    the backoff starts over
    connection closes (1000/1001/1006/1011,     reconnect: at once when the connection had
      TCP reset, 24 h limit, serverShutdown)    delivered prices (never sooner than
                                                ``min_reconnect_interval`` after it opened),
                                                else after the backoff — which only such a
                                                connection resets, not a mere handshake
    open but silent for ``stall_timeout``       watchdog closes it → reconnect
    a frame the adapter rejects (FeedError),    counted in ``bad_frames``, logged, kept open
      or a tick stamped outside the window      (the frame's other ticks still count)
      [EARLIEST_TS, clock + max_clock_skew]
    anything else raised while parsing          a bug: health "down", the exception escapes
                                                ``run`` (the runtime restarts it after a
                                                growing delay), never a tight reconnect loop

A subscribed symbol that never delivers (Binance acknowledges unknown symbols, then sends
nothing) or that the exchange refuses is listed in ``SourceHealth.silent_symbols``.

TLS and proxies follow the one :class:`~r2kmon.net.NetworkPolicy` (certificates always
verified). The state of each link, the health record and the log lines (one when the
reason a link is down changes, one when it streams again, never one per retry —
websockets' own per-retry line is silenced in :mod:`r2kmon.logsetup`) live in
:mod:`r2kmon.feeds.feedstate`.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncGenerator, Generator
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Final, cast

from websockets.asyncio.client import ClientConnection, connect
from websockets.client import process_exception as default_process_exception
from websockets.exceptions import (
    InvalidHandshake,
    InvalidProxy,
    InvalidStatus,
    InvalidURI,
    ProxyError,
)

from r2kmon.clock import Clock, SystemClock
from r2kmon.feeds.base import Adapter, Channel
from r2kmon.feeds.feedstate import FeedState, Link
from r2kmon.feeds.session import Sessions
from r2kmon.model import HealthStatus, Sink, SourceHealth, canonical_crypto
from r2kmon.net import NetworkPolicy, describe_failure
from r2kmon.retry import Backoff

log = logging.getLogger(__name__)

# HTTP answers to the handshake that say "later", not "never".
_RETRYABLE_STATUS: Final = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class FeedSettings:
    """One exchange connection, as the runtime builds it from the config.

    Times are seconds. The defaults suit the real exchanges; tests shrink them.
    """

    name: str
    """Health and tick ``source`` name, e.g. ``binance`` or ``binance_us``."""
    exchange: str
    """Adapter key: ``binance``, ``coinbase``, ``kraken``, ``okx`` or ``bybit``."""
    symbols: tuple[str, ...]
    """Canonical ``BASE-QUOTE`` symbols to stream."""
    url: str = ""
    """Websocket URL; empty means the exchange's own public endpoint."""
    rest_url: str = ""
    """REST base URL for backfill; empty means the exchange's own."""
    channel: Channel = "ticker"
    """``ticker`` (24 h ticker, carries the reference price) or ``trade``."""
    usdt_as_usd: bool = True
    """Let ``X-USDT`` markets stand for ``X-USD`` where the exchange has no USD pair."""
    stall_timeout: float = 30.0
    """No frame at all for this long while connected → the connection is dropped."""
    silence_timeout: float = 30.0
    """A subscribed symbol with no data this long after subscribing is reported silent."""
    keepalive_interval: float | None = None
    """Idle seconds before an application ping; ``None`` uses the adapter's own rule."""
    ping_interval: float | None = 20.0
    """websockets control-frame ping period (detects dead TCP links); ``None`` disables."""
    ping_timeout: float | None = 20.0
    open_timeout: float = 10.0
    close_timeout: float = 2.0
    backoff_initial: float = 1.0
    backoff_max: float = 60.0
    backoff_factor: float = 2.0
    min_reconnect_interval: float = 1.0
    """Floor between two connection attempts, even after a healthy connection closed."""
    fatal_retry: float = 300.0
    """Wait after a refusal that retrying soon would not fix (HTTP 404, 451, ...)."""
    health_interval: float = 1.0
    max_clock_skew: float = 300.0
    """A tick stamped more than this many seconds ahead of the local clock is refused as
    a bad frame (``[crypto] max_clock_skew_s``): kept, it would stand as the newest price
    and hide every true one after it. Ticks older than ``EARLIEST_TS`` are refused too;
    between the two, an old time is the exchange's own (a snapshot of a quiet market)."""
    max_frame_bytes: int = 1 << 22
    """Largest frame accepted (a Kraken snapshot of many pairs is a few hundred kB)."""
    network: NetworkPolicy = field(default_factory=NetworkPolicy, compare=False)
    """Certificates trusted for ``wss://`` and the proxy, shared with every connection."""


class FeedConnection:
    """Streams one exchange's symbols into a :class:`~r2kmon.model.Sink` until cancelled.

    Implements the runtime's ``Producer`` protocol (``name``, ``run(sink)``). Failover
    reads :meth:`symbol_age` and :attr:`status` to route each symbol.
    """

    def __init__(
        self,
        settings: FeedSettings,
        *,
        clock: Clock | None = None,
        adapter: Adapter | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        if adapter is None:
            from r2kmon.feeds import ADAPTERS  # the registry imports this module's peers

            try:
                factory = ADAPTERS[settings.exchange]
            except KeyError:
                raise ValueError(
                    f"unknown exchange {settings.exchange!r}; known: {', '.join(ADAPTERS)}"
                ) from None
            adapter = factory(
                [canonical_crypto(s) for s in settings.symbols],
                source=settings.name,
                channel=settings.channel,
                usdt_as_usd=settings.usdt_as_usd,
                url=settings.url or None,
            )
        self.adapter = adapter
        rng = rng or random.Random()
        per_link = adapter.max_symbols_per_connection
        symbols = adapter.symbols
        self._links = [
            Link(
                symbols[i : i + per_link],
                # 50 to 100 % of the nominal delay: links that failed together (one
                # outage) do not come back in step.
                Backoff(
                    settings.backoff_initial,
                    settings.backoff_max,
                    factor=settings.backoff_factor,
                    jitter=0.5,
                    rng=rng,
                ),
            )
            for i in range(0, max(len(symbols), 1), per_link)
        ]
        self.state = FeedState(
            settings.name,
            self._links,
            self.clock,
            stall_timeout=settings.stall_timeout,
            silence_timeout=settings.silence_timeout,
        )
        interval = settings.keepalive_interval
        self._sessions = Sessions(
            adapter,
            self.state,
            self.clock,
            stall_timeout=settings.stall_timeout,
            keepalive=interval if interval is not None else adapter.keepalive_interval,
            max_clock_skew=settings.max_clock_skew,
        )
        self._sink: Sink | None = None

    @property
    def name(self) -> str:
        return self.settings.name

    # --- what failover and health read (kept in FeedState) ------------------------------

    def symbol_age(self, symbol: str) -> float | None:
        """Seconds since ``symbol`` last had data on a live connection (``None``: no data
        on this connection, or not connected)."""
        return self.state.symbol_age(symbol)

    @property
    def status(self) -> HealthStatus:
        return self.state.status

    def health(self) -> SourceHealth:
        return self.state.health()

    # --- running ------------------------------------------------------------------------

    async def run(self, sink: Sink) -> None:
        """Connect every link and stream until cancelled; only a bug escapes."""
        self._sink = sink
        sink.push_health(SourceHealth(self.name, "feed", "connecting"))
        tasks = [asyncio.create_task(self._run_link(link, sink)) for link in self._links]
        tasks.append(asyncio.create_task(self._report_health(sink)))
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            for task in done:
                exc = task.exception()
                if exc is not None:
                    self.state.note_bug(exc)
                    sink.push_health(self.health())
                    raise exc
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.wait(tasks)

    async def _report_health(self, sink: Sink) -> None:
        while True:
            await asyncio.sleep(self.settings.health_interval)
            sink.push_health(self.health())

    async def _run_link(self, link: Link, sink: Sink) -> None:
        """One websocket for ever: websockets' reconnecting iterator, a session on each
        connection it yields."""
        connector = await self._connector(link)
        # __aiter__ is an async generator; closing it closes the last connection.
        iterator = cast("AsyncGenerator[ClientConnection]", connector.__aiter__())
        async with aclosing(iterator) as connections:
            async for ws in connections:
                try:
                    await self._sessions.run(link, ws, sink)
                except asyncio.CancelledError:
                    # Shutting down. Closing the iterator would close this socket from
                    # inside an exception, which websockets does with 1011 (internal
                    # error); a client that simply leaves says 1000 (within close_timeout).
                    await ws.close(1000, "client closing")
                    raise
                # websockets reconnects at once after any connection that opened; whether
                # this one delivered prices decides the wait, so it is taken here.
                await self._pause(link, self._delay_after(link))

    async def _connector(self, link: Link) -> connect:
        """websockets' reconnecting connector for ``link``, TLS and proxy as the policy
        says.

        Every wait between attempts is one of its ``reconnect_delays`` (:meth:`_delays`),
        the long one after a refusal included. The one exception is a URL websockets
        cannot parse: ``connect()`` raises it before there is an iterator to retry, so
        that refusal waits ``fatal_retry`` here.
        """
        settings = self.settings
        url = self.adapter.connect_url()
        proxy = settings.network.proxy_for(url)
        while True:
            try:
                return connect(
                    url,
                    open_timeout=settings.open_timeout,
                    close_timeout=settings.close_timeout,
                    ping_interval=settings.ping_interval,
                    ping_timeout=settings.ping_timeout,
                    max_size=settings.max_frame_bytes,
                    process_exception=lambda exc: self._verdict(link, url, exc),
                    reconnect_delays=lambda: self._delays(link),
                    # websockets refuses ssl=None for wss://: the policy's context, always
                    # verified. The policy's proxy, or None: websockets must not read the
                    # environment a second time.
                    ssl=settings.network.tls_context() if url.lower().startswith("wss:") else None,
                    proxy=proxy.url if proxy is not None else None,
                )
            except (InvalidURI, ValueError) as exc:  # ValueError: e.g. a port not a number
                self.state.note_error(f"{_describe(exc)}; retrying in {settings.fatal_retry:g} s")
            await self._pause(link, settings.fatal_retry)

    def _verdict(self, link: Link, url: str, exc: Exception) -> Exception | None:
        """websockets' ``process_exception`` for ``link``: a failed attempt is retried
        (``None``) — after the backoff, or after ``fatal_retry`` when retrying soon would
        not help (``link.fatal``, read by :meth:`_delays`). Anything unforeseen is
        returned: it ends the iterator and escapes :meth:`run` as a bug."""
        state = self.state
        retry = default_process_exception(exc) is None
        proxy = self.settings.network.proxy_for(url)
        if (
            isinstance(exc, ImportError)
            and proxy is not None
            and proxy.url.lower().startswith("socks")
        ):
            # websockets needs python-socks for a SOCKS proxy.
            state.fault = None
            reason = f"{proxy.shown} ({proxy.origin}) is a SOCKS proxy: "
            reason += "pip install 'r2kmon[socks]' to use it"
            link.fatal = True
        elif isinstance(exc, (InvalidHandshake, InvalidURI, InvalidProxy)):
            state.fault = None  # a server (or the proxy) answered, or the URL is wrong
            reason = _describe(exc)
            link.fatal = not retry and not (
                isinstance(exc, InvalidStatus) and exc.response.status_code in _RETRYABLE_STATUS
            )
        else:
            failure = describe_failure(exc, url, timeout=self.settings.open_timeout)
            state.fault = failure.fault
            state.note_error(failure.reason)
            link.fatal = False
            return None if retry else exc
        if link.fatal:
            reason = f"{reason}; retrying in {self.settings.fatal_retry:g} s"
        state.note_error(reason)
        return None

    def _delays(self, link: Link) -> Generator[float]:
        """websockets' reconnect delays for ``link``: its backoff, or ``fatal_retry`` after
        a refusal (the backoff then starts over). The backoff outlives the generator:
        websockets asks for a fresh one after each connection that opened, and only a
        session that delivered prices resets it (:meth:`_delay_after`)."""
        while True:
            if link.fatal:
                link.backoff.reset()
                delay = self.settings.fatal_retry
            else:
                delay = link.backoff.next()
            self._mark_waiting(link, delay)
            yield delay

    def _mark_waiting(self, link: Link, delay: float) -> None:
        link.wait(self.clock.now() + delay)
        if self._sink is not None:
            # Down, and why, at once (not at the next health tick): a snapshot that
            # waits for every source to answer must not wait for the clock.
            self._sink.push_health(self.health())

    async def _pause(self, link: Link, delay: float) -> None:
        if delay > 0:
            self._mark_waiting(link, delay)
            await asyncio.sleep(delay)
        link.resume()

    def _delay_after(self, link: Link) -> float:
        """How long to wait before reconnecting after a session ended."""
        if link.productive:
            # It worked until it closed (24 h limit, serverShutdown, a blip): come back
            # at once, but never faster than the floor between attempts.
            link.backoff.reset()
            since = self.clock.monotonic() - link.opened_at
            return max(0.0, self.settings.min_reconnect_interval - since)
        return link.backoff.next()


def _describe(exc: Exception) -> str:
    """A refused handshake in words."""
    if isinstance(exc, InvalidStatus):
        status = exc.response.status_code
        reason = " (restricted location)" if status == 451 else ""
        return f"handshake refused: HTTP {status}{reason}"
    if isinstance(exc, (ProxyError, InvalidProxy)):
        return f"proxy: {exc}"
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"
