"""Keeping the signal journal while the engine runs, in the app and in ``r2kmon watch``.

:class:`JournalingRuntime` is the engine (:class:`~r2kmon.runtime.engine.Runtime`) with a
:class:`Recorder` beside it: every :data:`OBSERVE_EVERY_S` the recorder compares the state
with the last one (:class:`~r2kmon.runtime.journal.SignalTracker`), tells its listeners
(``watch`` prints a JSON line) and writes the new entries to the store. When the runtime is
stopped, the recorder takes a last look and writes it *before* the engine saves and closes
the store, so a change seen just before a SIGTERM is kept.

Built on the engine's public API only (``state``, ``store``, ``clock``, ``run``): the
engine does not know the journal exists.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Final

from r2kmon.runtime import Runtime
from r2kmon.runtime.journal import SignalTracker
from r2kmon.store import JournalEntry, StoreError

log = logging.getLogger(__name__)

OBSERVE_EVERY_S: Final = 0.5
"""How often the state is compared with the last one (the analytics and the rules run every
2 s; a source's health changes when it happens)."""


class Recorder:
    """Turns the runtime's states into journal entries, for listeners and the store."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.listeners: list[Callable[[JournalEntry], None]] = []
        self.pending: list[JournalEntry] = []
        self.tracker = SignalTracker(since=runtime.clock.now())
        self._looked_at: object = None

    async def start(self) -> None:
        """Pick up where the journal left off (the last state of each signal)."""
        store = self.runtime.store
        if store is None:
            return
        try:
            known = await asyncio.to_thread(store.journal_states)
        except StoreError as exc:
            log.warning("%s; the journal starts afresh", exc)
            return
        self.tracker = SignalTracker(known, since=self.tracker.since)

    def observe(self) -> None:
        """Tell the listeners what changed since the last look, and keep it for the store.
        Nothing is built while neither the data, the analytics nor the alerts moved."""
        runtime = self.runtime
        alerts = runtime.analysis.alerts
        looked_at = (runtime.version, alerts[-1] if alerts else None)
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
