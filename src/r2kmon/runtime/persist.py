"""The engine's loops beside the producers: the store written every ``persist_every_s``
(its failures reported once and the app going on without it, or with a fresh file, until
it can be opened and written again), and
the status-line file rewritten while the state moves. Each reads the hub on the event loop
and writes its file in a thread: the hub is never iterated while ticks are pushed."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from r2kmon.clock import Clock
from r2kmon.hub import Hub
from r2kmon.model import Alert, AlertLevel, DatedSeries, SourceHealth
from r2kmon.model.state import AppState, StateVersion
from r2kmon.runtime.history import load_history, report_store
from r2kmon.store import (
    STORE_SOURCE,
    Store,
    StoreError,
    StoreEvent,
    after_failure,
    open_store,
)

log = logging.getLogger(__name__)

PERSIST_EVERY_S = 60.0
"""How often new bars and context values are written to the store."""


def store_alert(event: StoreEvent, now: float) -> Alert:
    """A store event as the alert log keeps it."""
    level: AlertLevel = "error" if event.status == "down" else "warning"
    return Alert(now, level, STORE_SOURCE, event.message)


def startup_store_event(hub: Hub) -> StoreEvent | None:
    """What happened to the store before the run began (opening it here or in
    :func:`~r2kmon.runtime.history.open_history`, loading it), from the ``store`` source's
    health: the alert log notes changes of a status it has seen, and it has seen none yet."""
    startup = hub.snapshot().health.get(STORE_SOURCE)
    if startup is None or not startup.last_error:
        return None
    return StoreEvent(startup.status, startup.last_error)


class Persistence:
    """The runtime's store: loaded before the producers start, written every
    ``every_s`` seconds and once more at the end, replaced when damaged. A store that
    could not be opened (at the start, or a fresh one after a damaged file) is opened
    again at each write, so the end of the fault (a data dir writable again) ends the
    ``down`` by itself.

    ``store`` is the store at ``path`` if it could be opened, else None. ``note`` puts
    an alert in the alert log; ``alerts`` is the alert log's list, saved with the bars.
    """

    def __init__(
        self,
        store: Store | None,
        hub: Hub,
        clock: Clock,
        *,
        path: Path,
        every_s: float,
        note: Callable[[Alert], None],
        alerts: Callable[[], Sequence[Alert]],
    ) -> None:
        self.store: Store | None = store
        """The store written to; another after a damaged file, None while none can be
        opened."""
        self._path = path
        self._hub = hub
        self._clock = clock
        self._every_s = every_s
        self._note = note
        self._alerts = alerts
        self._read_failure: tuple[Store, StoreError] | None = None
        """A read that failed in the analysis thread, handled at the next write."""

    async def load(self, alerts_kept: int) -> list[Alert]:
        """Load the whole stored history into the hub (in a thread) and return the newest
        ``alerts_kept`` stored alerts."""
        stored: list[Alert] = []
        if self.store is not None:
            now = self._clock.now()
            self.store, stored, event = await asyncio.to_thread(
                load_history, self.store, self._hub, now, alerts_kept
            )
            if event is not None:
                report_store(event, self._hub, now)
        return stored

    async def run(self) -> None:
        """Write what is new to the store every ``every_s`` seconds."""
        while True:
            await asyncio.sleep(self._every_s)
            await self.save_now()

    async def close(self) -> None:
        """Write what is new one last time and close the store."""
        if self.store is not None:
            await self.save_now()
        if self.store is not None:
            self.store.close()

    async def save_now(self) -> None:
        """Write what is new; on a failure, go on without (or with a fresh) store and say
        so. Runs on the event loop: the hub is read and told here, the file is written in
        a thread."""
        if self._read_failure is not None:
            failed, error = self._read_failure
            self._read_failure = None
            if failed is self.store:
                await self._store_failed(failed, error)
        if self.store is None:
            await self._reopen()
        # Twice at most: a damaged file replaced by a fresh one gets what the hub holds
        # at once (the fresh store has saved nothing yet, so that is everything).
        for _ in range(2):
            store = self.store
            if store is None:
                return
            try:
                written = await asyncio.to_thread(store.save, self._hub.snapshot(), self._alerts())
            except StoreError as exc:
                await self._store_failed(store, exc)
                if self.store is store:
                    return  # kept for the next round: a full disk may have room by then
                continue
            log.debug("stored %d rows", written)
            health = self._hub.snapshot().health.get(STORE_SOURCE)
            if health is not None and health.status == "down":
                log.info("the store %s is written again", store.path)
                self._hub.push_health(
                    SourceHealth(
                        STORE_SOURCE,
                        "source",
                        "ok",
                        last_ok=self._clock.now(),
                        last_error=health.last_error,
                    )
                )
            return

    async def _reopen(self) -> None:
        """Try to open the store that could not be opened; a success is written to at
        once (and the ``down`` ends with that write), a failure said only if it changed."""
        now = self._clock.now()
        self.store, event = await asyncio.to_thread(open_store, self._path, now)
        if self.store is not None:
            log.info("the store %s is open again", self._path)
        if event is not None:
            self._tell(event, now)

    async def _store_failed(self, store: Store, error: StoreError) -> None:
        now = self._clock.now()
        self.store, event = await asyncio.to_thread(after_failure, store, error, now)
        self._tell(event, now)

    def _tell(self, event: StoreEvent, now: float) -> None:
        """Report ``event`` (health, log, alert log), unless it is what health says."""
        before = self._hub.snapshot().health.get(STORE_SOURCE)
        if before is not None and (before.status, before.last_error) == (
            event.status,
            event.message,
        ):
            return  # the same failure at every write (a disk that stays full): said once
        report_store(event, self._hub, now)
        # The alert log notes a change of status by itself ("down: ...", "back to ok");
        # the rest (a first failure, a damaged file replaced while the store was ok) is
        # noted here, so each event is said once.
        if before is None or before.status == event.status:
            self._note(store_alert(event, self._clock.now()))

    def context_history(self, series: Sequence[str]) -> Mapping[str, DatedSeries]:
        """Earlier context values for the analytics (called in their thread). A failed
        read leaves them without and is handled at the next write, on the event loop."""
        store = self.store
        if store is None:
            return {}
        try:
            return store.context_history(series)
        except StoreError as exc:
            log.warning("%s; the analytics go on without stored context history", exc)
            self._read_failure = (store, exc)
            return {}


async def write_status_loop(
    path: Path,
    clock: Clock,
    version: Callable[[], StateVersion],
    state: Callable[[], AppState],
) -> None:
    """Rewrite the status-line file every few seconds while the state moves (``version``
    changed) or a quote's freshness changed with the clock, and at least every
    :data:`~r2kmon.runtime.statusline.REFRESH_S` (a file that stops changing must mean
    the app stopped). The state is built here, on the loop; the file written in a thread."""
    from r2kmon.runtime.statusline import (
        REFRESH_S,
        STATUS_EVERY_S,
        status_document,
        write_status,
    )

    written: StateVersion | None = None
    written_at = float("-inf")
    changes_at: float | None = None
    while True:
        now = clock.now()
        moved = changes_at is not None and now > changes_at  # a quote's freshness
        if version() != written or now - written_at >= REFRESH_S or moved:
            current = state()
            written, written_at, changes_at = version(), now, current.freshness_until
            await asyncio.to_thread(write_status, path, status_document(current, now))
        await asyncio.sleep(STATUS_EVERY_S)


async def write_final_status(path: Path, clock: Clock, state: Callable[[], AppState]) -> None:
    """The status file as the run ends (quit, SIGTERM, SIGHUP): what changed since the
    last periodic write is not lost."""
    from r2kmon.runtime.statusline import status_document, write_status

    document = status_document(state(), clock.now())
    try:
        await asyncio.to_thread(write_status, path, document)
    except OSError as exc:  # a full disk: said, and the exit goes on
        log.warning("could not write the status file %s: %s", path, exc)
