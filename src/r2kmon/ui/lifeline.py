"""A bounded end once SIGTERM or SIGHUP asked r2kmon to quit.

Textual's shutdown can hang for good when the terminal goes away during the start: seen
under ``tmux kill-session`` (about one start in twelve killed within a second), the main
thread blocked in ``WriterThread.stop`` putting into the full queue of a writer thread
that never ran (the driver's second one), while the process kept its exchange connections
and its store open for as long as nobody killed it. By then the app has unmounted:
``App._shutdown`` closes the screens (the runtime's final save and last status write, see
:meth:`r2kmon.ui.app.R2kApp.on_unmount`) before it closes the driver. So, once a signal
asked for the quit, a daemon thread ends the process if it is still there after
:data:`EXIT_GRACE_S`, and says so in the log.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

EXIT_GRACE_S = 20.0
"""How long a quit asked by a signal may take before the process is ended: the runtime's
own shutdown steps are bounded well under it."""


def end_within(
    seconds: float, why: str, *, end: Callable[[int], object] = os._exit
) -> threading.Timer:
    """Start the daemon timer that calls ``end(0)`` after ``seconds`` (the process's normal
    exit ends the timer's thread with it)."""

    def run() -> None:
        log.warning(
            "still running %.0f s after %s: ending the process (the terminal went away "
            "during the shutdown?)",
            seconds,
            why,
        )
        for handler in logging.getLogger().handlers:
            with contextlib.suppress(Exception):  # ending anyway; the log is best effort
                handler.flush()
        end(0)

    timer = threading.Timer(seconds, run)
    timer.name = "r2kmon-lifeline"
    timer.daemon = True
    timer.start()
    return timer
