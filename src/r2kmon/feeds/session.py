"""One open websocket, from its subscription to its close.

Used by :class:`~r2kmon.feeds.connection.FeedConnection`, which opens the connections and
decides when to come back; a session only runs one of them: every frame read and parsed
(the hot path: prices pushed in the batch the adapter made), the subscriptions sent at the
adapter's pace, application pings while the link is quiet, and the stall watchdog. It
ends when the connection closes, or when the server or the watchdog asks for a new one;
why, and whether prices came (the reconnect rule), is left on the
:class:`~r2kmon.feeds.feedstate.Link`. An exception other than the connection closing is
a bug and escapes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime, timezone

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from r2kmon.clock import Clock
from r2kmon.feeds.base import EARLIEST_TS, Adapter, FeedError
from r2kmon.feeds.feedstate import FeedState, Link
from r2kmon.model import Sink, Tick, clean_text
from r2kmon.net import RESET_BY_SERVER, is_reset

log = logging.getLogger(__name__)


class Sessions:
    """Runs a session on each connection of one exchange's links."""

    def __init__(
        self,
        adapter: Adapter,
        state: FeedState,
        clock: Clock,
        *,
        stall_timeout: float,
        keepalive: float | None,
        max_clock_skew: float = 300.0,
    ) -> None:
        self.adapter, self.state, self.clock = adapter, state, clock
        self.stall_timeout = stall_timeout
        self.max_clock_skew = max_clock_skew
        self.keepalive = keepalive
        """Idle seconds before an application ping; ``None``: the exchange needs none."""

    async def run(self, link: Link, ws: ClientConnection, sink: Sink) -> None:
        """Stream on ``ws`` until it closes or is closed for a reconnect."""
        self.state.fault = None  # the server is reachable; what follows is its answer
        wanted = [s for s in link.symbols if s not in link.rejected]
        # Subscribing is the first thing sent: Coinbase disconnects clients that have not
        # subscribed within 5 s.
        link.open(ws, self.clock.monotonic(), self.adapter.subscribe_messages(wanted))
        sink.push_health(self.state.health())
        receiver = asyncio.create_task(self._receive(link, ws, sink))
        monitor = asyncio.create_task(self._monitor(link, ws))
        try:
            done, _ = await asyncio.wait({receiver, monitor}, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                exc = task.exception()
                if exc is not None:
                    raise exc
        finally:
            link.close()
            for task in (receiver, monitor):
                task.cancel()
            await asyncio.wait({receiver, monitor})
        if link.close_reason:
            log.info("%s: reconnecting: %s", self.state.name, link.close_reason)

    async def _receive(self, link: Link, ws: ClientConnection, sink: Sink) -> None:
        state = self.state
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
                    state.note_bad_frame(exc)
                    continue
                kind = parsed.kind
                if kind == "ticks":
                    if now >= recheck:
                        latest = self.clock.now() + self.max_clock_skew
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
                            state.note_streaming()
                elif kind == "heartbeat":
                    # A subscription's heartbeat proves it works (Coinbase sends one per
                    # product); a pong only proves the socket does.
                    for symbol in parsed.symbols:
                        seen[symbol] = now
                    link.productive = True
                elif kind == "error":
                    link.rejected.update(s for s in parsed.symbols if s in link.symbols)
                    state.note_error(parsed.message)
                    if parsed.resubscribe:
                        link.pending.extend(self.adapter.subscribe_messages(parsed.resubscribe))
                elif kind == "shutdown":
                    link.close_reason = clean_text(parsed.message) or "server asked to reconnect"
                    await ws.close(1000, "reconnecting")
                    return
        except ConnectionClosed as exc:
            if link.close_reason is None:
                # The close reason is the server's text: cleaned before it is logged.
                link.close_reason = clean_text(_describe_close(exc))
                if not link.productive:
                    state.note_error(link.close_reason)

    def _timely(self, ticks: Sequence[Tick], latest: float) -> Sequence[Tick]:
        """The ticks of a frame stamped inside the window; the frame counts as bad.

        A far-future time would make the tick the newest price for good (the hub drops
        a source's older ticks as out of order, and every bar after it as late), and a
        time before any exchange existed would plant a bar decades back."""
        kept = [tick for tick in ticks if EARLIEST_TS <= tick.ts <= latest]
        wrong = next(tick for tick in ticks if not EARLIEST_TS <= tick.ts <= latest)
        if wrong.ts > latest:
            ahead = wrong.ts - (latest - self.max_clock_skew)
            why = (
                f"{_age(ahead)} ahead of this machine's clock "
                f"(max_clock_skew_s = {self.max_clock_skew:g})"
            )
        else:
            why = "before any crypto exchange existed"
        self.state.note_bad_frame(f"{wrong.symbol} stamped {_when(wrong.ts)}, {why}; dropped")
        return kept

    async def _monitor(self, link: Link, ws: ClientConnection) -> None:
        """Send subscriptions (paced), application pings, and watch for a stall."""
        try:
            await self._watch(link, ws)
        except ConnectionClosed:
            # The receiver sees the same close and records why; nothing to add here.
            return

    async def _watch(self, link: Link, ws: ClientConnection) -> None:
        stall, keepalive = self.stall_timeout, self.keepalive
        gap = 1.0 / self.adapter.send_rate
        tick = max(0.02, min(1.0, stall / 4, (keepalive or 60.0) / 4))
        next_send = 0.0
        while True:
            now = self.clock.monotonic()
            if link.pending and now >= next_send:
                await ws.send(link.pending.pop(0))
                next_send = now + gap
            if now - link.last_frame > stall:
                link.close_reason = f"no data for {stall:g} s (stalled)"
                self.state.note_error(link.close_reason)
                await ws.close(1000, "stalled")
                return
            if (
                keepalive is not None
                and now - link.last_frame >= keepalive
                and now - link.last_ping >= keepalive
            ):
                message = self.adapter.keepalive_message()
                if message is not None:
                    link.last_ping = now
                    await ws.send(message)
            await asyncio.sleep(gap if link.pending else tick)


def _describe_close(exc: ConnectionClosed) -> str:
    if is_reset(exc):
        return RESET_BY_SERVER  # the TCP connection ended under it, no close frame (1006)
    rcvd = exc.rcvd
    if rcvd is None:
        return "connection closed: closed without a close frame (1006)"
    reason = f": {rcvd.reason}" if rcvd.reason else ""
    return f"connection closed: closed by server with code {rcvd.code}{reason}"


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
