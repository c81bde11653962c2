"""Logging to a file under the platform log dir, set up before anything else runs.

A terminal UI owns stdout and stderr: a stray log line would paint over it. So the root
logger gets one file handler, every third-party logger (websockets, httpx, asyncio) goes
there through propagation, and warnings are routed into logging as well.
"""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from r2kmon import paths
from r2kmon.model import escape_controls

FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


class SafeFormatter(logging.Formatter):
    """Writes every character that could act on a terminal (ESC, BEL, NUL, bidi overrides,
    ...) as its escape, in the message, a traceback or a third-party library's line.

    ``tail -f`` of the log must never retitle, clear or set the clipboard of the terminal
    reading it. r2kmon's own log calls clean remote text before logging it; this is the
    net under everything else (an httpx reason phrase, remote text in an exception).
    """

    def format(self, record: logging.LogRecord) -> str:
        return escape_controls(super().format(record))


def configure_logging(level: str = "INFO", path: Path | None = None) -> Path:
    """Send all logging to ``path`` (default: the platform log file); return the path."""
    target = path or paths.log_file()
    target.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    handler = logging.handlers.RotatingFileHandler(
        target, maxBytes=5_000_000, backupCount=3, encoding="utf-8"
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
    return target
