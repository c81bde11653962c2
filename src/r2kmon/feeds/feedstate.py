"""What one exchange's websockets know about themselves, and what is said about them.

Used by :class:`~r2kmon.feeds.connection.FeedConnection`, which does the I/O and keeps one
:class:`Link` per websocket (a feed with more symbols than one socket may carry has
several) and one :class:`FeedState` over them. Nothing here waits or connects: it is the
state the connection loop writes and the readers read — the health record the hub shows,
the age of each symbol failover routes by — and the log's one line per change of reason
(never a line per retry, a traceback only for a bug).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from websockets.asyncio.client import ClientConnection

from r2kmon.clock import Clock
from r2kmon.model import HealthStatus, SourceHealth, clean_text
from r2kmon.retry import Backoff

log = logging.getLogger(__name__)

_WORST_FIRST: tuple[HealthStatus, ...] = ("down", "stale", "connecting")
REFUSED_ALL = "no data: every subscription refused"


class Link:
    """State of one websocket, kept across its reconnects.

    Written on every frame by the connection's receive loop, hence ``__slots__``.
    """

    __slots__ = (
        "backoff",
        "close_reason",
        "connected",
        "fatal",
        "frames",
        "heard",
        "last_data",
        "last_frame",
        "last_ping",
        "last_seen",
        "opened_at",
        "pending",
        "productive",
        "rejected",
        "retry_at",
        "silent",
        "subscribed_at",
        "symbols",
        "waiting",
        "ws",
    )

    def __init__(self, symbols: Sequence[str], backoff: Backoff) -> None:
        self.symbols = tuple(symbols)
        self.backoff = backoff
        """Delays between attempts; reset only by a session that delivered prices."""
        self.ws: ClientConnection | None = None
        self.connected = False
        self.subscribed_at: float | None = None
        self.last_frame = 0.0
        self.last_data = 0.0
        self.heard = False
        """A frame arrived on this session: the link is more than open."""
        self.last_ping = 0.0
        self.frames = 0
        self.productive = False
        """This session delivered prices (or a subscription's heartbeat)."""
        self.close_reason: str | None = None
        self.pending: list[str] = []
        """Subscribe frames not sent yet (sent paced, at the adapter's rate)."""
        self.last_seen: dict[str, float] = {}
        self.rejected: set[str] = set()
        self.silent: set[str] = set()
        """Symbols found silent: named until they deliver, across reconnects (a new
        session's grace must not clear a venue that has never sent them)."""
        self.retry_at: float | None = None
        self.waiting = False
        self.fatal = False
        """The last failed attempt was refused in a way retrying soon would not fix."""
        self.opened_at = 0.0
        """Monotonic time the last session opened (the floor between two attempts counts
        from it)."""

    def open(self, ws: ClientConnection, now: float, pending: list[str]) -> None:
        """A new session on ``ws``: nothing heard yet, ``pending`` to subscribe."""
        self.ws, self.connected, self.productive, self.heard = ws, True, False, False
        self.opened_at = self.last_frame = self.last_ping = now
        self.close_reason = None
        self.waiting, self.retry_at = False, None
        self.pending = pending
        self.subscribed_at = now

    def close(self) -> None:
        self.connected = False
        self.ws = None

    def wait(self, retry_at: float) -> None:
        """Down until the next attempt, at wall time ``retry_at``."""
        self.connected = False
        self.waiting = True
        self.retry_at = retry_at

    def resume(self) -> None:
        self.waiting = False
        self.retry_at = None

    def status(self, now: float, stall_timeout: float) -> HealthStatus:
        if self.waiting:
            return "down"
        if not self.connected or not self.heard:
            return "connecting"
        if now - self.last_frame > stall_timeout / 2:
            return "stale"
        return "ok"


class FeedState:
    """One exchange's links as the hub, failover and the log see them."""

    def __init__(
        self,
        name: str,
        links: Sequence[Link],
        clock: Clock,
        *,
        stall_timeout: float,
        silence_timeout: float,
    ) -> None:
        self.name = name
        self.links = tuple(links)
        self.clock = clock
        self.stall_timeout = stall_timeout
        self.silence_timeout = silence_timeout
        self.bad_frames = 0
        self.last_ok: float | None = None
        self.last_error: str | None = None
        self.fault: str | None = None
        """The network class of the last failure to connect; ``None`` once a server
        answered."""
        self._logged: str | None = None
        self._frames_at_last_health = 0
        self._health_at = clock.monotonic()

    # --- what failover and health read ------------------------------------------------

    def symbol_age(self, symbol: str) -> float | None:
        """Seconds since ``symbol`` last had data on a live connection (``None``: no data
        on this connection, or not connected)."""
        for link in self.links:
            if symbol in link.last_seen or symbol in link.symbols:
                if not link.connected:
                    return None
                seen = link.last_seen.get(symbol)
                return None if seen is None else self.clock.monotonic() - seen
        return None

    def silent_symbols(self) -> tuple[str, ...]:
        """Symbols refused by the exchange, or silent since their subscription."""
        now = self.clock.monotonic()
        out: list[str] = []
        for link in self.links:
            since = link.subscribed_at
            for symbol in link.symbols:
                seen = link.last_seen.get(symbol)
                if symbol in link.rejected:
                    out.append(symbol)
                elif since is not None and seen is not None and seen >= since:
                    link.silent.discard(symbol)  # it delivered on this session
                elif symbol in link.silent or (
                    since is not None and now - since > self.silence_timeout
                ):
                    # Nothing since this session subscribed (data of an earlier session
                    # proves nothing now), or silent before the reconnect and not since.
                    link.silent.add(symbol)
                    out.append(symbol)
        return tuple(out)

    def all_refused(self) -> bool:
        """The exchange refused every symbol asked of it: the sockets are open and answer,
        but no price can ever come on them (shown as down, never as ``ok``)."""
        return all(
            bool(link.symbols) and link.rejected.issuperset(link.symbols) for link in self.links
        )

    @property
    def status(self) -> HealthStatus:
        """The worst of the links' states; ``down`` when every subscription was refused."""
        if self.all_refused():
            return "down"
        now = self.clock.monotonic()
        states = {link.status(now, self.stall_timeout) for link in self.links}
        return next((worst for worst in _WORST_FIRST if worst in states), "ok")

    def health(self) -> SourceHealth:
        now = self.clock.monotonic()
        frames = sum(link.frames for link in self.links)
        elapsed = now - self._health_at
        rate = (frames - self._frames_at_last_health) / elapsed if elapsed > 0 else 0.0
        self._frames_at_last_health, self._health_at = frames, now
        retry = [link.retry_at for link in self.links if link.retry_at is not None]
        last_data = max(link.last_data for link in self.links)
        if last_data > 0:
            # Monotonic time of the last price, expressed as wall time.
            self.last_ok = self.clock.now() - (now - last_data)
        error = self.last_error
        if self.all_refused():
            # The exchange's last refusal says why (an unknown pair, a wrong channel).
            error = f"{REFUSED_ALL} ({error})" if error else REFUSED_ALL
        return SourceHealth(
            self.name,
            "feed",
            self.status,
            last_ok=self.last_ok,
            last_error=error,
            msgs_per_s=round(rate, 1),
            retry_at=min(retry) if retry else None,
            bad_frames=self.bad_frames,
            silent_symbols=self.silent_symbols(),
            fault=self.fault,
        )

    # --- what is said -----------------------------------------------------------------

    def note_error(self, message: str) -> None:
        """Record why the feed is not streaming; log it only when the reason changes."""
        self.last_error = clean_text(message)
        if self.last_error != self._logged:
            self._logged = self.last_error
            log.warning("%s: %s", self.name, self.last_error)

    def note_streaming(self) -> None:
        """Data flows: clear the error, and say so once if a failure was logged."""
        self.last_error = None
        self.fault = None
        if self._logged is not None:
            self._logged = None
            log.info("%s: streaming again", self.name)

    def note_bad_frame(self, problem: object) -> None:
        """Count a frame the adapter rejected. A server spewing garbage must not flood the
        log: the first ten are logged, then one in a thousand (the count is in the health
        record)."""
        self.bad_frames += 1
        self.last_error = clean_text(f"bad frame: {problem}")
        if self.bad_frames <= 10 or self.bad_frames % 1000 == 0:
            log.warning("%s: %s (%d so far)", self.name, self.last_error, self.bad_frames)

    def note_bug(self, exc: BaseException) -> None:
        """A bug stopped the feed: every link down, the reason in the health record (the
        traceback is logged by whoever restarts it)."""
        self.last_error = clean_text(f"internal error: {type(exc).__name__}: {exc}")
        for link in self.links:
            link.connected = False
            link.waiting = True
