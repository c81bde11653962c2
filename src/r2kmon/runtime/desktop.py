"""Desktop notifications: each ``[[alerts]]`` rule that fires, shown through ``notify-send``.

Off by default (``[general] desktop_notify``). When on, :func:`desktop_notifier` looks for
``notify-send`` on ``PATH`` once, when the runtime is built; the runtime says once, in the
alert log and the log file, when it is on but there is no notifier (:func:`missing_alert`),
never once per alert.

The notifier is an :class:`~r2kmon.runtime.rules.AlertCommand` with a fixed argument list,
so it runs as the alert command does: no shell, started on the loop and never waited for
(at most a few at once, each killed after a timeout), its output discarded. What it
differs in:

* the text is cleaned of control characters, then redacted of secrets, as every output
  is (a rule's note or a symbol's name is config text; a message can quote the network);
* the body is escaped for the notification server's markup (``&``, ``<``, ``>``), which
  servers such as GNOME Shell and dunst interpret in a body: the text shows as written;
* ``--`` ends the options, so a message starting with ``-`` is never read as one;
* a notifier that fails (no D-Bus session over SSH, no notification server) fails at every
  alert: only the first failure goes to the alert log, the rest to the log file.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from typing import Final

from r2kmon.model import Alert, clean_text
from r2kmon.redact import redact
from r2kmon.runtime.rules import AlertCommand

log = logging.getLogger(__name__)

NOTIFIER: Final = "notify-send"
"""The program sought on ``PATH`` (libnotify's, on every Linux desktop)."""

DESKTOP_SOURCE: Final = "desktop_notify"
"""The alert log's source for what concerns desktop notifications."""

APP_NAME: Final = "r2kmon"

BODY_CHARS: Final = 300
"""The most of an alert's message a notification shows (a bubble, not a log)."""


def _shown(text: str, limit: int) -> str:
    """Cleaned first (a key split by a zero-width space is whole only once cleaned),
    then redacted."""
    return redact(clean_text(text, limit=limit))


def _escape_markup(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class DesktopNotifier(AlertCommand):
    """Shows each alert it is called with as a desktop notification (see the module's
    docstring)."""

    def __init__(
        self, program: str, report: Callable[[Alert], None], *, timeout_s: float = 10.0
    ) -> None:
        """``program``: the notifier's path; ``report``: where the first failure goes (the
        alert log)."""
        super().__init__((program,), report, timeout_s=timeout_s)
        self._failed = False

    def command_for(self, alert: Alert) -> list[str]:
        """``notify-send --app-name=r2kmon -- "r2kmon: <symbol>" <message>``."""
        summary = f"{APP_NAME}: {_shown(alert.source, 60)}"
        body = _escape_markup(_shown(alert.message, BODY_CHARS))
        return [self.argv[0], f"--app-name={APP_NAME}", "--", summary, body]

    def _fail(self, alert: Alert, reason: str) -> None:
        message = clean_text(f"desktop notification failed: {reason}")
        log.warning("%s: %s (for: %s)", DESKTOP_SOURCE, message, alert.message)
        if not self._failed:  # the same cause fails every alert: said once
            self._failed = True
            self._report(Alert(alert.ts, "warning", DESKTOP_SOURCE, message))


def desktop_notifier(enabled: bool, report: Callable[[Alert], None]) -> DesktopNotifier | None:
    """The notifier, when ``enabled`` and ``notify-send`` is on ``PATH``."""
    if not enabled:
        return None
    program = shutil.which(NOTIFIER)
    return DesktopNotifier(program, report) if program is not None else None


def missing_alert(now: float) -> Alert:
    """What the alert log says, once at start, when notifications are on and there is no
    notifier."""
    return Alert(
        now,
        "warning",
        DESKTOP_SOURCE,
        f"[general] desktop_notify is on but {NOTIFIER} is not on PATH: "
        "no desktop notification will be shown",
    )
