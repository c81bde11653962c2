"""``r2kmon watch``: the pipeline and the alert rules without a screen.

For a server or a systemd user unit: the same engine as the app (:func:`open_history`, then
a :class:`~r2kmon.runtime.recorder.JournalingRuntime` on that hub and store), and instead of
a screen one JSON line on stdout per signal change and per alert
(:mod:`r2kmon.runtime.journal` decides what those are), each also kept in the store's
journal. The rules' own actions (``alert_command``) run as in the app; no bell rings (there
is no terminal to ring).

SIGTERM or SIGINT stops it cleanly: the journal and the store are saved, and the exit code
is 0. Logging goes to the log file, never to stdout, which carries only the JSON lines.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import TextIO

from r2kmon.config import Config
from r2kmon.runtime import open_history
from r2kmon.runtime.journal import json_line
from r2kmon.runtime.recorder import JournalingRuntime
from r2kmon.store import JournalEntry

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


async def watch(config: Config, *, demo: bool, out: TextIO) -> int:
    """The ``watch`` command; returns the exit code (0 after SIGTERM or SIGINT)."""
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for signum in STOP_SIGNALS:  # from the start: a SIGTERM while the history loads too
        loop.add_signal_handler(signum, stopping.set)
    try:
        hub, store = await asyncio.to_thread(open_history, config, demo=demo)
        runtime = JournalingRuntime(config, demo=demo, hub=hub, store=store)

        def emit(entry: JournalEntry) -> None:
            out.write(json_line(entry, simulated=demo))
            out.flush()  # a line as it happens, also into a pipe or a file

        runtime.journal.listeners.append(emit)
        engine = asyncio.create_task(runtime.run(), name="r2kmon:watch")
        stop = asyncio.create_task(stopping.wait())
        try:
            await asyncio.wait({engine, stop}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
            engine.cancel()  # the recorder's last look and write, then the engine's save
            await asyncio.gather(engine, stop, return_exceptions=True)
        if not engine.cancelled() and (failure := engine.exception()) is not None:
            raise failure  # the engine itself failed (not one producer: those restart)
    finally:
        for signum in STOP_SIGNALS:
            loop.remove_signal_handler(signum)
    log.info("watch stopped")
    return 0
