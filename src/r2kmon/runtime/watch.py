"""``r2kmon watch``: the pipeline and the alert rules without a screen.

For a server or a systemd user unit: the same engine as the app (:func:`open_history`, then
a :class:`Runtime` on that hub and store), and instead of a screen one JSON line on stdout
per signal change and per alert (:mod:`r2kmon.runtime.journal` decides what those are),
each also kept in the store's journal. The rules' own actions (``alert_command``) run as in
the app; the bell does not ring (there is no terminal to ring).

SIGTERM or SIGINT stops it cleanly: the journal and the store are saved, and the exit code
is 0. Logging goes to the log file, never to stdout, which carries only the JSON lines.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from typing import TextIO

from r2kmon.config import Config
from r2kmon.runtime.engine import Runtime, open_history
from r2kmon.runtime.journal import SignalTracker, json_line
from r2kmon.store import JournalEntry, StoreError

log = logging.getLogger(__name__)

OBSERVE_EVERY_S = 0.5
"""How often the state is compared with the last one (the analytics and the rules run every
2 s, a source's health changes when it happens)."""

JOURNAL_EVERY_S = 10.0
"""How often new journal entries are written to the store (and once more at the end)."""


class Watch:
    """One ``watch`` run: the runtime, the tracker, and the lines not yet in the store."""

    def __init__(self, runtime: Runtime, out: TextIO) -> None:
        self.runtime = runtime
        self.out = out
        self.pending: list[JournalEntry] = []
        self.tracker = SignalTracker(since=runtime.clock.now())
        self.stopping = asyncio.Event()

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
        self.tracker = SignalTracker(known, since=self.runtime.clock.now())

    def observe(self) -> None:
        """Print what changed since the last look, and keep it for the journal."""
        entries = self.tracker.observe(self.runtime.state(), self.runtime.clock.now())
        for entry in entries:
            self.out.write(json_line(entry, simulated=self.runtime.demo))
        if entries:
            self.out.flush()
            self.pending.extend(entries)

    async def save(self) -> None:
        """Write the pending entries to the store; kept for the next try if that fails
        (the writes are idempotent)."""
        store = self.runtime.store
        if not self.pending or store is None:
            self.pending.clear()  # no store (demo, disabled): printed is all there is
            return
        batch = list(self.pending)
        try:
            await asyncio.to_thread(store.save_journal, batch)
        except StoreError as exc:
            log.warning("%s; the journal is written again later", exc)
            return
        del self.pending[: len(batch)]

    def stop(self) -> None:
        self.stopping.set()

    async def run(self) -> None:
        """Until :meth:`stop` (or the runtime ends): observe, save now and then; at the
        end, one last look and save before the runtime saves and closes the store."""
        await self.start()
        engine = asyncio.create_task(self.runtime.run(), name="r2kmon:runtime")
        loop = asyncio.get_running_loop()
        saved_at = loop.time()
        try:
            while not self.stopping.is_set() and not engine.done():
                self.observe()
                if loop.time() - saved_at >= JOURNAL_EVERY_S:
                    await self.save()
                    saved_at = loop.time()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stopping.wait(), OBSERVE_EVERY_S)
            self.observe()
            await self.save()
        finally:
            engine.cancel()
            await asyncio.gather(engine, return_exceptions=True)
        if not engine.cancelled() and (failure := engine.exception()) is not None:
            raise failure  # the engine itself failed (not one producer: those restart)


async def watch(config: Config, *, demo: bool, out: TextIO) -> int:
    """The ``watch`` command; returns the exit code (0 after SIGTERM or SIGINT)."""
    hub, store = await asyncio.to_thread(open_history, config, demo=demo)
    runner = Watch(Runtime(config, demo=demo, hub=hub, store=store), out)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, runner.stop)
    try:
        await runner.run()
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
    return 0
