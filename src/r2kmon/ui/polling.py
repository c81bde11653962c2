"""Where the app's states come from: the runtime behind it, started after the first paint,
and a refresh timer that asks it for its state.

Used by :class:`r2kmon.ui.app.R2kApp`, which owns one :class:`StatePoller`. The timer only
*asks* the runtime for its state and posts :class:`~r2kmon.ui.messages.StateUpdated` when
the version changed, so redraw cost follows the refresh rate, never the message rate.
After :data:`QUIET_S` without a change the timer rests, and the app's once-a-second clock
polls instead (:meth:`StatePoller.wake`): an idle pane then wakes once a second, not
``refresh_hz`` times.

The CLI's start (:class:`Starter`) is two steps, each in a thread after the first paint:
the stored history first (the hub and SQLite), posted as soon as it is loaded, then the
runtime on the same hub (pandas, httpx and the feeds are imported there).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from typing import TYPE_CHECKING, Any, Protocol

from textual.app import App
from textual.timer import Timer
from textual.worker import Worker, WorkerCancelled, WorkerFailed

from r2kmon import paths
from r2kmon.model import clean_text
from r2kmon.model.state import AppState, StateVersion
from r2kmon.redact import redact
from r2kmon.ui.messages import StateUpdated

if TYPE_CHECKING:
    # Only for types: the runtime (feeds, sources, HTTP and websocket clients) is imported
    # and built after the first screen is up; see ``Starter``.
    from r2kmon.hub import Hub
    from r2kmon.runtime import Runtime

log = logging.getLogger(__name__)

QUIET_S = 2.0
"""Seconds without a change after which the refresh timer rests."""

START_FAILURE_CHARS = 300
"""The most of an exception's text the start-failure notification shows (the log has all)."""


class Starter(Protocol):
    """How the CLI starts the engine behind a running app, in two steps, each called in a
    thread after the first paint: the stored history first (light: the hub and SQLite),
    drawn as soon as it is loaded; then the runtime on the same hub (pandas, httpx and the
    feeds are imported there)."""

    def open_history(self) -> Hub:
        """The hub holding the stored history."""
        ...

    def build_runtime(self) -> Runtime:
        """The runtime on that hub, not yet running."""
        ...


class StatePoller:
    """Starts the runtime behind ``app`` and posts its state to ``app`` when it changed."""

    def __init__(
        self,
        app: App[Any],
        refresh_hz: float,
        runtime: Runtime | None = None,
        starter: Starter | None = None,
    ) -> None:
        """``runtime`` runs at once; ``starter`` builds one after the first screen is drawn
        (the CLI's way: the first screen waits for neither the stored history nor the
        runtime's imports, and the stored history waits not for the runtime)."""
        self._app = app
        self._refresh_hz = refresh_hz
        self.runtime = runtime
        self._starter = starter
        self.history: Hub | None = None
        """The hub of the stored history (the runtime's, once it is built)."""
        self._timer: Timer | None = None
        self._worker: Worker[None] | None = None
        """The worker running the runtime, once started."""
        self._quiet_polls = 0
        self._posted: StateVersion | None = None
        self.resting = False
        """The refresh timer rests after a quiet spell."""

    def start(self) -> None:
        """Run the runtime, or build one after the first refresh (so the first screen is
        painted before the runtime's imports and backfill compete with it)."""
        if self.runtime is not None:
            self._run(self.runtime)
        elif self._starter is not None:
            self._app.call_after_refresh(self._build_in_thread)

    def current(self) -> AppState | None:
        """The state now, whether it changed or not (``None`` before the stored history)."""
        if self.runtime is not None:
            state = self.runtime.state()
        elif self.history is not None:
            state = AppState(self.history.snapshot())  # stored history, runtime still loading
        else:
            return None
        self._posted = state.version
        return state

    def poll(self) -> bool:
        """Post the state if it changed since the last one posted; say whether."""
        if self.runtime is not None:
            version = self.runtime.version
        elif self.history is not None:
            version = (self.history.version, 0, 0)
        else:
            return False
        if version == self._posted:
            return False
        state = self.current()
        if state is not None:
            self._app.post_message(StateUpdated(state))
        return True

    def expire(self) -> None:
        """The posted state went out of date with the clock alone (a quote's freshness
        moved, though no data came): the next poll posts a new one."""
        self._posted = None

    def wake(self) -> None:
        """From the app's once-a-second clock: a resting timer resumes when data moved (or
        the posted state expired)."""
        if self.resting and self._timer is not None and self.poll():
            self._quiet_polls = 0
            self.resting = False
            self._timer.resume()  # data moves again: back to refresh_hz

    def _poll_fast(self) -> None:
        if self.poll():
            self._quiet_polls = 0
            return
        self._quiet_polls += 1
        if self._timer is not None and self._quiet_polls / self._refresh_hz >= QUIET_S:
            self._timer.pause()
            self.resting = True

    def _start_polling(self) -> None:
        if self._timer is None:
            self._timer = self._app.set_interval(1.0 / self._refresh_hz, self._poll_fast)

    def _run(self, runtime: Runtime) -> None:
        # Producers belong to the app (not to a screen that could be popped) and a
        # failure in them must never end the app: the runtime reports it in health.
        self._worker = self._app.run_worker(runtime.run(), name="runtime", exit_on_error=False)
        self._start_polling()

    async def stopped(self) -> None:
        """Wait until the runtime's worker has finished (cancelled as the app exits, its
        shutdown then saves the store and writes the status file one last time)."""
        if self._worker is not None:
            with contextlib.suppress(WorkerCancelled, WorkerFailed):
                await self._worker.wait()

    def _build_in_thread(self) -> None:
        self._app.run_worker(self._start_safely(), name="build-runtime", exit_on_error=False)

    async def _start_safely(self) -> None:
        try:
            await self._build_and_start()
        except Exception as exc:  # a bug, or a file we cannot read: say so, stay up
            log.exception("could not start the runtime")
            self._app.notify(
                f"could not start: {start_failure_text(exc)} (details in {paths.log_file()})",
                title="r2kmon",
                severity="error",
                timeout=60,
                markup=False,
            )

    async def _build_and_start(self) -> None:
        starter = self._starter
        assert starter is not None
        self.history = await asyncio.to_thread(starter.open_history)
        self._start_polling()
        self.poll()  # the stored history on screen now, not at the next refresh
        # Build the runtime once that screen is out: its imports (pandas, httpx, ...) hold
        # the interpreter lock, and would halve the speed of the drawing if they overlapped.
        drawn = asyncio.Event()
        self._app.call_after_refresh(drawn.set)
        await drawn.wait()
        self.runtime = await asyncio.to_thread(starter.build_runtime)
        self._run(self.runtime)


def start_failure_text(exc: Exception) -> str:
    """What the notification says of the exception that stopped the start: cleaned of
    control and format characters first (an escape sequence split by them, or a key split
    by a zero-width space, is whole again only once cleaned), then redacted, then
    shortened to :data:`START_FAILURE_CHARS` (shortening first could cut a key in half,
    and half a key is not redacted)."""
    text = redact(clean_text(f"{type(exc).__name__}: {exc}", limit=sys.maxsize))
    if len(text) <= START_FAILURE_CHARS:
        return text
    return text[: START_FAILURE_CHARS - 1] + "…"
