"""Logging to a file under the platform log dir, set up before anything else runs.

A terminal UI owns stdout and stderr: a stray log line would paint over it. So the root
logger gets one file handler, every third-party logger (websockets, httpx, asyncio) goes
there through propagation, and warnings are routed into logging as well.

A log file that cannot be written must not cost more than the log. When the log dir
cannot be made or the file opened, the log goes to a new private temporary directory
instead; when a write fails later (a full disk), logging to the file stops. Either is
said in one ``r2kmon:`` line on stderr (before the UI starts, or into the UI's captured
stderr), never as the traceback per record that :mod:`logging` prints by default.
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import sys
import tempfile
from pathlib import Path

from r2kmon import paths
from r2kmon.model import escape_controls
from r2kmon.redact import redact

FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


class SafeFormatter(logging.Formatter):
    """Writes every character that could act on a terminal (ESC, BEL, NUL, bidi overrides,
    ...) as its escape, in the message, a traceback or a third-party library's line.

    ``tail -f`` of the log must never retitle, clear or set the clipboard of the terminal
    reading it. r2kmon's own log calls clean remote text before logging it; this is the
    net under everything else (an httpx reason phrase, remote text in an exception).

    Registered secrets (:mod:`r2kmon.redact`) are masked in the whole record too: httpx
    logs every URL it requests (a key in a query string), and a provider may echo a key
    in an error that ends up in a message or a traceback.
    """

    def format(self, record: logging.LogRecord) -> str:
        return escape_controls(redact(super().format(record)))


class LogFile(logging.handlers.RotatingFileHandler):
    """The rotating log file; the first failed write is said once, then records are
    dropped (``logging.Handler.handleError`` would print a traceback for each)."""

    broken = False

    def emit(self, record: logging.LogRecord) -> None:
        if not self.broken:
            super().emit(record)

    def handleError(self, record: logging.LogRecord) -> None:
        if self.broken:
            return
        self.broken = True
        error = sys.exc_info()[1]
        _say(f"cannot write the log file {self.baseFilename} ({_reason(error)}); logging stops")
        try:
            self.close()  # what is buffered cannot be written either
        except (OSError, ValueError):
            self.stream = None


def configure_logging(level: str = "INFO", path: Path | None = None) -> Path | None:
    """Send all logging to ``path`` (default: the platform log file); return the file
    logging goes to: ``path``, a temporary one when ``path`` cannot be written, or
    ``None`` when no file can be (the records are dropped)."""
    target = path or paths.log_file()
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
        old.close()
    handler: logging.Handler
    opened = _open(target)
    if isinstance(opened, LogFile):
        handler, used = opened, target
    else:
        try:
            fallback = Path(tempfile.mkdtemp(prefix="r2kmon-log-")) / target.name
            handler, used = LogFile(fallback, maxBytes=5_000_000, encoding="utf-8"), fallback
            _say(f"cannot write the log file {target} ({opened}); logging to {fallback}")
        except OSError as exc:
            handler, used = logging.NullHandler(), None
            _say(
                f"cannot write the log file {target} ({opened}) nor a temporary one "
                f"({_reason(exc)}); logging is off"
            )
    handler.setFormatter(SafeFormatter(FORMAT))
    root.addHandler(handler)
    root.setLevel(level.upper())
    # Reconnect chatter is useful in the file but not at DEBUG volume.
    for noisy in ("websockets", "httpx", "httpcore", "asyncio"):
        logging.getLogger(noisy).setLevel(max(root.level, logging.INFO))
    # websockets writes a line per failed reconnect attempt; the feeds log each change of
    # why they are down once themselves (r2kmon.feeds.connection).
    logging.getLogger("websockets.client").setLevel(max(root.level, logging.WARNING))
    logging.captureWarnings(True)
    return used


def _open(target: Path) -> LogFile | str:
    """The log file at ``target``, or why it cannot be opened."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        return LogFile(target, maxBytes=5_000_000, backupCount=3, encoding="utf-8")
    except OSError as exc:
        return _reason(exc)


def _reason(error: BaseException | None) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) if error is not None else "unknown error"


def _say(line: str) -> None:
    """One line on stderr, which must not fail in turn (a closed or full stderr)."""
    with contextlib.suppress(OSError, ValueError):
        print(f"r2kmon: {line}", file=sys.stderr)
