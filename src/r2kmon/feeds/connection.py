"""The one websocket loop: connect, subscribe, read, keep alive, recover — for any adapter.

Used by :mod:`r2kmon.feeds.failover` (one :class:`FeedConnection` per exchange), by the
runtime through it, and by ``bench/ingest.py``. Exchange specifics stay in the adapters;
this module only knows what an :class:`~r2kmon.feeds.base.Adapter` declares (subscribe
frames, an optional application ping, a send-rate budget, a streams-per-connection cap).

How failures are classified::

    cannot connect: DNS, refused, reset,        transient → retry after a capped exponential
      timeout, certificate rejected, TLS        backoff with jitter (websockets' reconnect
      handshake failure; HTTP 5xx / 429 / 408   iterator, with our delays); the reason in
                                                words (:mod:`r2kmon.net.failure`)
    handshake refused: other HTTP 4xx (404,     persistent → health "down" with the reason,
      451 restricted location), bad URL         retry after ``fatal_retry`` seconds
    connection closes (1000/1001/1006/1011,     reconnect: at once when the connection had
      TCP reset, 24 h limit, serverShutdown)    delivered prices, else after the backoff
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
verified). The log gets one line when the reason a link is down changes and one when it
streams again — never a line per retry (websockets' own per-retry line is silenced in
:mod:`r2kmon.logsetup`), and a traceback only for a bug.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import random
from collections.abc import AsyncGenerator, Generator, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Final, cast

from websockets.asyncio.client import ClientConnection, connect
from websockets.client import process_exception as default_process_exception
from websockets.exceptions import (
    ConnectionClosed,
    InvalidHandshake,
    InvalidProxy,
    InvalidStatus,
    InvalidURI,
    ProxyError,
)

from r2kmon.clock import Clock, SystemClock
from r2kmon.feeds.base import EARLIEST_TS, Adapter, Channel, FeedError
from r2kmon.model import HealthStatus, Sink, SourceHealth, Tick, canonical_crypto, clean_text
from r2kmon.net import NetworkPolicy, describe_failure

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


class Backoff:
    """Capped exponential delays with jitter: each delay is 50 to 100 % of the nominal one."""

    def __init__(self, initial: float, maximum: float, factor: float, rng: random.Random) -> None:
        self._initial, self._max, self._factor, self._rng = initial, maximum, factor, rng
        self._nominal = initial

    def reset(self) -> None:
        self._nominal = self._initial

    def next(self) -> float:
        delay = self._nominal * (0.5 + 0.5 * self._rng.random())
        self._nominal = min(self._max, self._nominal * self._factor)
        return delay


class _Link:
    """State of one websocket (a feed with more symbols than one socket may carry has
    several)."""

    def __init__(self, symbols: Sequence[str], backoff: Backoff) -> None:
        self.symbols = tuple(symbols)
        self.backoff = backoff
        self.ws: ClientConnection | None = None
        self.connected = False
        self.opened_at = 0.0
        self.subscribed_at: float | None = None
        self.last_frame = 0.0
        self.last_data = 0.0
        self.heard = False
        self.last_ping = 0.0
        self.frames = 0
        self.productive = False
        self.close_reason: str | None = None
        self.pending: list[str] = []
        self.last_seen: dict[str, float] = {}
        self.rejected: set[str] = set()
        self.retry_at: float | None = None
        self.waiting = False
        self.last_open_attempt = -1e9


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
        self._rng = rng or random.Random()
        per_link = adapter.max_symbols_per_connection
        symbols = adapter.symbols
        self._links = [
            _Link(
                symbols[i : i + per_link],
                Backoff(
                    settings.backoff_initial,
                    settings.backoff_max,
                    settings.backoff_factor,
                    self._rng,
                ),
            )
            for i in range(0, max(len(symbols), 1), per_link)
        ]
        interval = settings.keepalive_interval
        self._keepalive = interval if interval is not None else adapter.keepalive_interval
        self.bad_frames = 0
        self.last_ok: float | None = None
        self.last_error: str | None = None
        self.fault: str | None = None
        """The network class of the last failure to connect; ``None`` once connected."""
        self._logged: str | None = None
        self._sink: Sink | None = None
        self._frames_at_last_health = 0
        self._health_at = self.clock.monotonic()

    @property
    def name(self) -> str:
        return self.settings.name

    # --- what failover and health read ------------------------------------------------

    def symbol_age(self, symbol: str) -> float | None:
        """Seconds since ``symbol`` last had data on a live connection (``None``: no data
        on this connection, or not connected)."""
        for link in self._links:
            if symbol in link.last_seen or symbol in link.symbols:
                if not link.connected:
                    return None
                seen = link.last_seen.get(symbol)
                return None if seen is None else self.clock.monotonic() - seen
        return None

    def silent_symbols(self) -> tuple[str, ...]:
        """Symbols refused by the exchange, or silent since their subscription."""
        now = self.clock.monotonic()
        timeout = self.settings.silence_timeout
        out: list[str] = []
        for link in self._links:
            for symbol in link.symbols:
                if symbol in link.rejected or (
                    symbol not in link.last_seen
                    and link.subscribed_at is not None
                    and now - link.subscribed_at > timeout
                ):
                    out.append(symbol)
        return tuple(out)

    @property
    def status(self) -> HealthStatus:
        now = self.clock.monotonic()
        states: list[HealthStatus] = []
        for link in self._links:
            if link.waiting:
                states.append("down")
            elif not link.connected or not link.heard:
                states.append("connecting")
            elif now - link.last_frame > self.settings.stall_timeout / 2:
                states.append("stale")
            else:
                states.append("ok")
        for worst in ("down", "stale", "connecting"):
            if worst in states:
                return worst
        return "ok"

    def health(self) -> SourceHealth:
        now = self.clock.monotonic()
        frames = sum(link.frames for link in self._links)
        elapsed = now - self._health_at
        rate = (frames - self._frames_at_last_health) / elapsed if elapsed > 0 else 0.0
        self._frames_at_last_health, self._health_at = frames, now
        retry = [link.retry_at for link in self._links if link.retry_at is not None]
        last_data = max(link.last_data for link in self._links)
        if last_data > 0:
            # Monotonic time of the last price, expressed as wall time.
            self.last_ok = self.clock.now() - (now - last_data)
        return SourceHealth(
            self.name,
            "feed",
            self.status,
            last_ok=self.last_ok,
            last_error=self.last_error,
            msgs_per_s=round(rate, 1),
            retry_at=min(retry) if retry else None,
            bad_frames=self.bad_frames,
            silent_symbols=self.silent_symbols(),
            fault=self.fault,
        )

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
                    self.last_error = clean_text(f"internal error: {type(exc).__name__}: {exc}")
                    for link in self._links:
                        link.connected = False
                        link.waiting = True
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

    def _process_exception(self, exc: Exception) -> Exception | None:
        """Retry transient handshake failures; give up (for now) on the others."""
        if isinstance(exc, (InvalidHandshake, InvalidURI, InvalidProxy)):
            self.fault = None  # a server (or the proxy) answered, or the URL is wrong
            self._note_error(_describe(exc))
        else:
            failure = describe_failure(
                exc, self.adapter.connect_url(), timeout=self.settings.open_timeout
            )
            self.fault = failure.fault
            self._note_error(failure.reason)
        if isinstance(exc, InvalidStatus) and exc.response.status_code in _RETRYABLE_STATUS:
            return None
        return default_process_exception(exc)

    def _note_error(self, message: str) -> None:
        """Record why the feed is not streaming; log it only when the reason changes."""
        self.last_error = clean_text(message)
        if self.last_error != self._logged:
            self._logged = self.last_error
            log.warning("%s: %s", self.name, self.last_error)

    def _note_streaming(self) -> None:
        """Data flows: clear the error, and say so once if a failure was logged."""
        self.last_error = None
        self.fault = None
        if self._logged is not None:
            self._logged = None
            log.info("%s: streaming again", self.name)

    def _delays(self, link: _Link) -> Generator[float]:
        """websockets' reconnect delays, drawn from the link's own backoff."""
        while True:
            delay = link.backoff.next()
            self._mark_waiting(link, delay)
            if self._sink is not None:
                # Down, and why, at once (not at the next health tick): a snapshot that
                # waits for every source to answer must not wait for the clock.
                self._sink.push_health(self.health())
            yield delay
            link.waiting = False
            link.retry_at = None

    def _mark_waiting(self, link: _Link, delay: float) -> None:
        link.connected = False
        link.waiting = True
        link.retry_at = self.clock.now() + delay

    def _connect_options(self, url: str) -> dict[str, Any] | None:
        """TLS and proxy for ``url`` as websockets takes them; ``None`` (and the reason
        noted) when the configured proxy cannot be used."""
        network = self.settings.network
        proxy = network.proxy_for(url)
        if (
            proxy is not None
            and proxy.url.lower().startswith("socks")
            and importlib.util.find_spec("python_socks") is None
        ):
            self._note_error(
                f"{proxy.shown} ({proxy.origin}) is a SOCKS proxy: "
                "pip install 'r2kmon[socks]' to use it"
            )
            return None
        return {
            # websockets refuses ssl=None for wss://: the policy's context, always verified.
            "ssl": network.tls_context() if url.lower().startswith("wss:") else None,
            "proxy": proxy.url if proxy is not None else None,
        }

    async def _wait_fatal(self, link: _Link, sink: Sink) -> None:
        """After a refusal that retrying soon would not fix: say when, wait long."""
        settings = self.settings
        self._mark_waiting(link, settings.fatal_retry)
        sink.push_health(self.health())
        await asyncio.sleep(settings.fatal_retry)
        link.waiting = False
        link.retry_at = None
        link.backoff.reset()

    async def _run_link(self, link: _Link, sink: Sink) -> None:
        settings = self.settings
        url = self.adapter.connect_url()
        while True:
            options = self._connect_options(url)
            if options is None:
                await self._wait_fatal(link, sink)
                continue
            connector = connect(
                url,
                open_timeout=settings.open_timeout,
                close_timeout=settings.close_timeout,
                ping_interval=settings.ping_interval,
                ping_timeout=settings.ping_timeout,
                max_size=settings.max_frame_bytes,
                process_exception=self._process_exception,
                reconnect_delays=lambda: self._delays(link),
                **options,
            )
            try:
                # __aiter__ is an async generator; closing it closes the last connection.
                iterator = cast("AsyncGenerator[ClientConnection]", connector.__aiter__())
                async with aclosing(iterator) as connections:
                    async for ws in connections:
                        link.last_open_attempt = self.clock.monotonic()
                        await self._session(link, ws, sink)
                        delay = self._delay_after(link)
                        if delay > 0:
                            self._mark_waiting(link, delay)
                            sink.push_health(self.health())
                            await asyncio.sleep(delay)
                        link.waiting = False
                        link.retry_at = None
            except (InvalidHandshake, InvalidURI, InvalidProxy) as exc:
                # process_exception's verdict: retrying soon would not help (HTTP 404,
                # 451 restricted location, a malformed URL, a proxy refusing us). Say
                # why, come back much later.
                self._note_error(f"{_describe(exc)}; retrying in {settings.fatal_retry:g} s")
                await self._wait_fatal(link, sink)

    def _delay_after(self, link: _Link) -> float:
        """How long to wait before reconnecting after a session ended."""
        if link.productive:
            # It worked until it closed (24 h limit, serverShutdown, a blip): come back
            # at once, but never faster than the floor between attempts.
            link.backoff.reset()
            since = self.clock.monotonic() - link.last_open_attempt
            return max(0.0, self.settings.min_reconnect_interval - since)
        return link.backoff.next()

    async def _session(self, link: _Link, ws: ClientConnection, sink: Sink) -> None:
        now = self.clock.monotonic()
        self.fault = None  # the server is reachable; what follows is its answer
        link.ws, link.connected, link.productive, link.heard = ws, True, False, False
        link.opened_at = link.last_frame = link.last_ping = now
        link.close_reason = None
        link.waiting, link.retry_at = False, None
        wanted = [s for s in link.symbols if s not in link.rejected]
        # Subscribing is the first thing sent: Coinbase disconnects clients that have not
        # subscribed within 5 s.
        link.pending = self.adapter.subscribe_messages(wanted)
        link.subscribed_at = now
        sink.push_health(self.health())
        receiver = asyncio.create_task(self._receive(link, ws, sink))
        monitor = asyncio.create_task(self._monitor(link, ws))
        try:
            done, _ = await asyncio.wait({receiver, monitor}, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                exc = task.exception()
                if exc is not None:
                    raise exc
        finally:
            link.connected = False
            link.ws = None
            for task in (receiver, monitor):
                task.cancel()
            await asyncio.wait({receiver, monitor})
        if link.close_reason:
            log.info("%s: reconnecting: %s", self.name, link.close_reason)

    async def _receive(self, link: _Link, ws: ClientConnection, sink: Sink) -> None:
        parse = self.adapter.parse
        push = sink.push_ticks
        monotonic = self.clock.monotonic
        seen = link.last_seen
        # The window a tick's exchange time must fall in. Its upper end follows the wall
        # clock, read once a second rather than per frame: a second of lag is nothing
        # against a skew of minutes, and the per-tick test stays one chained comparison.
        earliest = EARLIEST_TS
        latest = recheck = -1.0
        try:
            while True:
                frame = await ws.recv(decode=False)
                now = monotonic()
                link.last_frame = now
                link.frames += 1
                link.heard = True
                try:
                    parsed = parse(frame)
                except FeedError as exc:
                    self._bad_frame(f"bad frame: {exc}")
                    continue
                kind = parsed.kind
                if kind == "ticks":
                    if now >= recheck:
                        latest = self.clock.now() + self.settings.max_clock_skew
                        recheck = now + 1.0
                    ticks = parsed.ticks
                    for tick in ticks:
                        if earliest <= tick[2] <= latest:
                            seen[tick[0]] = now
                        else:
                            ticks = self._timely(ticks, latest)
                            for kept in ticks:
                                seen[kept[0]] = now
                            break
                    if ticks:
                        push(ticks)
                        link.last_data = now
                        if not link.productive:
                            link.productive = True
                            self._note_streaming()
                elif kind == "heartbeat":
                    # A subscription's heartbeat proves it works (Coinbase sends one per
                    # product); a pong only proves the socket does.
                    for symbol in parsed.symbols:
                        seen[symbol] = now
                    link.productive = True
                elif kind == "error":
                    link.rejected.update(s for s in parsed.symbols if s in link.symbols)
                    self._note_error(parsed.message)
                    if parsed.resubscribe:
                        link.pending.extend(self.adapter.subscribe_messages(parsed.resubscribe))
                elif kind == "shutdown":
                    link.close_reason = clean_text(parsed.message) or "server asked to reconnect"
                    await ws.close(1000, "reconnecting")
                    return
        except ConnectionClosed as exc:
            if link.close_reason is None:
                # The close reason is the server's text: cleaned before it is logged.
                link.close_reason = clean_text(f"connection closed: {_describe(exc)}")
                if not link.productive:
                    self._note_error(link.close_reason)

    def _bad_frame(self, message: str) -> None:
        """Count a frame refused (it stays out of the hub; the connection stays open)."""
        self.bad_frames += 1
        self.last_error = clean_text(message)
        # A server spewing garbage must not flood the log: the first ten, then one in a
        # thousand (the count is in the health record).
        if self.bad_frames <= 10 or self.bad_frames % 1000 == 0:
            log.warning("%s: %s (%d so far)", self.name, self.last_error, self.bad_frames)

    def _timely(self, ticks: Sequence[Tick], latest: float) -> Sequence[Tick]:
        """The ticks of a frame stamped inside the window; the frame counts as bad.

        A far-future time would make the tick the newest price for good (the hub drops
        a source's older ticks as out of order, and every bar after it as late), and a
        time before any exchange existed would plant a bar decades back."""
        kept = [tick for tick in ticks if EARLIEST_TS <= tick.ts <= latest]
        wrong = next(tick for tick in ticks if not EARLIEST_TS <= tick.ts <= latest)
        if wrong.ts > latest:
            ahead = wrong.ts - (latest - self.settings.max_clock_skew)
            why = (
                f"{_age(ahead)} ahead of this machine's clock "
                f"(max_clock_skew_s = {self.settings.max_clock_skew:g})"
            )
        else:
            why = "before any crypto exchange existed"
        self._bad_frame(f"bad frame: {wrong.symbol} stamped {_when(wrong.ts)}, {why}; dropped")
        return kept

    async def _monitor(self, link: _Link, ws: ClientConnection) -> None:
        """Send subscriptions (paced), application pings, and watch for a stall."""
        try:
            await self._watch(link, ws)
        except ConnectionClosed:
            # The receiver sees the same close and records why; nothing to add here.
            return

    async def _watch(self, link: _Link, ws: ClientConnection) -> None:
        settings = self.settings
        gap = 1.0 / self.adapter.send_rate
        tick = max(0.02, min(1.0, settings.stall_timeout / 4, (self._keepalive or 60.0) / 4))
        next_send = 0.0
        while True:
            now = self.clock.monotonic()
            if link.pending and now >= next_send:
                await ws.send(link.pending.pop(0))
                next_send = now + gap
            if now - link.last_frame > settings.stall_timeout:
                link.close_reason = f"no data for {settings.stall_timeout:g} s (stalled)"
                self._note_error(link.close_reason)
                await ws.close(1000, "stalled")
                return
            if (
                self._keepalive is not None
                and now - link.last_frame >= self._keepalive
                and now - link.last_ping >= self._keepalive
            ):
                message = self.adapter.keepalive_message()
                if message is not None:
                    link.last_ping = now
                    await ws.send(message)
            await asyncio.sleep(gap if link.pending else tick)


def _when(ts: float) -> str:
    """An exchange time as UTC text, whatever its size (datetime covers years 1-9999)."""
    try:
        return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (OverflowError, OSError, ValueError):
        return f"{ts:.6g} s after 1970"


def _age(seconds: float) -> str:
    """A span as 45 s · 12 min · 3.0 h · 2.0 days · 9.99 years."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172_800:
        return f"{seconds / 3600:.1f} h"
    if seconds < 2 * 31_557_600:
        return f"{seconds / 86_400:.1f} days"
    return f"{seconds / 31_557_600:.3g} years"


def _describe(exc: BaseException) -> str:
    if isinstance(exc, InvalidStatus):
        status = exc.response.status_code
        reason = " (restricted location)" if status == 451 else ""
        return f"handshake refused: HTTP {status}{reason}"
    if isinstance(exc, (ProxyError, InvalidProxy)):
        return f"proxy: {exc}"
    if isinstance(exc, ConnectionClosed):
        rcvd = exc.rcvd
        if rcvd is None:
            return "closed without a close frame (1006)"
        return f"closed by server with code {rcvd.code}{': ' + rcvd.reason if rcvd.reason else ''}"
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"
