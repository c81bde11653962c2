"""Keeping the signal journal while the engine runs, in the app and in ``r2kmon watch``.

:class:`JournalingRuntime` is the engine (:class:`~r2kmon.runtime.engine.Runtime`) with a
:class:`Recorder` beside it: every :data:`OBSERVE_EVERY_S` the recorder compares the state
with the last one (:class:`~r2kmon.runtime.journal.SignalTracker`), tells its listeners
(``watch`` prints a JSON line) and writes the new entries to the store. When the runtime is
stopped, the recorder takes a last look and writes it *before* the engine saves and closes
the store, so a change seen just before a SIGTERM is kept.

The recorder also keeps the newest :data:`RECENT_PER_SUBJECT` entries of each subject as
the store holds them (read at start, then each batch once written), and the runtime's
state carries them (:class:`~r2kmon.model.journal.RecentJournal`), so the board view shows
the selected symbol's journal without opening the store; with no store to keep one (the
demo, ``[store] enabled = false``), the state says why there is none.

Built on the engine's public API only (``state``, ``store``, ``clock``, ``run``): the
engine does not know the journal exists.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections import deque
from collections.abc import Callable
from types import MappingProxyType
from typing import Final

from r2kmon.model.journal import JournalEntry, JournalStatus, RecentJournal
from r2kmon.model.state import AppState, StateVersion
from r2kmon.runtime import Runtime
from r2kmon.runtime.journal import SignalTracker
from r2kmon.store import StoreError

log = logging.getLogger(__name__)

OBSERVE_EVERY_S: Final = 0.5
"""How often the state is compared with the last one (the analytics and the rules run every
2 s; a source's health changes when it happens)."""

RECENT_PER_SUBJECT: Final = 50
"""The newest entries of each subject the state carries (the board's pane shows a few and
scrolls back through these; ``r2kmon journal`` has them all)."""

DEMO_KEEPS_NONE: Final = "the demo keeps no journal (simulated data is never stored)"
NO_STORE: Final = (
    "no journal: it is kept in the store, which is off ([store] enabled = false) "
    "or could not be opened (see Health)"
)


class Recorder:
    """Turns the runtime's states into journal entries, for listeners and the store."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.listeners: list[Callable[[JournalEntry], None]] = []
        self.pending: list[JournalEntry] = []
        self.tracker = SignalTracker(since=runtime.clock.now())
        self._looked_at: object = None
        self._recent: dict[str, deque[JournalEntry]] = {}
        self._read = False
        """Whether :meth:`start` has read the kept journal (or tried to)."""
        self._read_error = ""
        self._version = 0
        self._shown: RecentJournal | None = None
        self.unkept = False
        """The runtime runs without the recorder: nothing would keep the entries."""

    async def start(self) -> None:
        """Pick up where the journal left off (the last state of each signal), and read
        the newest kept entries of each subject."""
        store = self.runtime.store
        if store is None:
            return
        try:
            known, recent = await asyncio.to_thread(
                lambda: (store.journal_states(), store.journal_recent(RECENT_PER_SUBJECT))
            )
        except StoreError as exc:
            log.warning("%s; the journal starts afresh", exc)
            self._read_error = f"the kept journal could not be read ({exc}); new changes show here"
        else:
            self.tracker = SignalTracker(known, since=self.tracker.since)
            self._remember(recent)
        self._read = True

    def _remember(self, entries: list[JournalEntry]) -> None:
        for entry in entries:
            kept = self._recent.get(entry.subject)
            if kept is None:
                kept = self._recent[entry.subject] = deque(maxlen=RECENT_PER_SUBJECT)
            kept.append(entry)
        if entries:
            self._version += 1

    def recent(self) -> RecentJournal:
        """The newest kept entries of each subject, or why there are none (cheap: built
        again only after a change)."""
        status: JournalStatus
        if self._read:
            status, detail = "kept", self._read_error
        elif self.unkept or self.runtime.store is None:
            status = "unavailable"
            detail = DEMO_KEEPS_NONE if self.runtime.demo else NO_STORE
        else:
            status, detail = "loading", "reading the journal kept in the store"
        shown = self._shown
        if shown is not None and (shown.status, shown.detail) != (status, detail):
            self._version += 1
        if shown is None or shown.version != self._version:
            entries = {s: tuple(e) for s, e in self._recent.items()}
            shown = self._shown = RecentJournal(
                status, detail, MappingProxyType(entries), self._version
            )
        return shown

    def observe(self) -> None:
        """Tell the listeners what changed since the last look, and keep it for the store.
        Nothing is built while neither the data, the analytics nor the alerts moved."""
        runtime = self.runtime
        alerts = runtime.analysis.alerts
        # The data's and the analytics' versions (the state's also moves as entries are
        # written, which is no reason to look again).
        looked_at = (runtime.hub.version, runtime.analysis.version, alerts[-1] if alerts else None)
        if looked_at == self._looked_at:
            return
        self._looked_at = looked_at
        entries = self.tracker.observe(runtime.state(), runtime.clock.now())
        for entry in entries:
            for listener in self.listeners:
                listener(entry)
        self.pending.extend(entries)

    async def save(self) -> None:
        """Write the pending entries; kept for the next try if that fails (the writes are
        idempotent)."""
        store = self.runtime.store
        if store is None:
            self.pending.clear()  # no store (demo, disabled): the listeners had them
            return
        if not self.pending:
            return
        batch = list(self.pending)
        try:
            await asyncio.to_thread(store.save_journal, batch)
        except StoreError as exc:
            log.warning("%s; the journal is written again later", exc)
            return
        del self.pending[: len(batch)]
        self._remember(batch)  # kept: the state carries them from now on

    async def run(self) -> None:
        """Observe and save until cancelled."""
        await self.start()
        while True:
            self.observe()
            await self.save()
            await asyncio.sleep(OBSERVE_EVERY_S)


class JournalingRuntime(Runtime):
    """The engine, keeping the signal journal (see the module's docstring)."""

    _recorder: Recorder | None = None

    @property
    def version(self) -> StateVersion:
        """:attr:`Runtime.version`, with the kept journal's."""
        hub, analysis, _ = super().version
        return (hub, analysis, self.journal.recent().version)

    def state(self) -> AppState:
        """:meth:`Runtime.state`, carrying the newest kept journal entries."""
        return dataclasses.replace(super().state(), journal=self.journal.recent())

    @property
    def journal(self) -> Recorder:
        """The recorder (add a listener to hear each entry as it is made)."""
        if self._recorder is None:
            self._recorder = Recorder(self)
        return self._recorder

    async def run(self) -> None:
        """:meth:`Runtime.run`, with the recorder beside it; stopped in the order that
        keeps the last entries (recorder's last look and write, then the engine)."""
        recorder = self.journal
        if self.store is None and not recorder.listeners:
            recorder.unkept = True
            await super().run()  # nothing would keep or hear the entries (the demo app)
            return
        engine = asyncio.create_task(super().run(), name="r2kmon:engine")
        looking = asyncio.create_task(recorder.run(), name="r2kmon:journal")
        try:
            # wait() does not cancel what it waits for: on our cancellation the engine is
            # still running below, with the store open.
            await asyncio.wait({engine})
        finally:
            looking.cancel()
            await asyncio.gather(looking, return_exceptions=True)
            recorder.observe()
            await recorder.save()
            engine.cancel()
            await asyncio.gather(engine, return_exceptions=True)
        engine.result()  # the engine ended on its own: its failure is ours
