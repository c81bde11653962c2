"""The status file and ``r2kmon status-line``: one line for a tmux status bar (with the
last ``[[alerts]]`` rule that fired, for :data:`ALERT_SHOWN_S`).

The running app's runtime writes a small JSON document (:func:`status_document`) to the
data dir every few seconds; ``r2kmon status-line`` reads it and prints one line
(:func:`status_line`) in milliseconds, without touching the network. tmux runs it as
``#(r2kmon status-line)`` every ``status-interval`` seconds. Where the data dir cannot be
written (read-only, or its parent is a file), the document goes to the cache dir instead
(:func:`~r2kmon.paths.status_fallback_dir`); the reader reads both and takes the newer.

Nothing is invented: a value the app did not have is left out, a quote that is not live
says so in a word (``STALE``, ``closed``, ``delayed`` with its date), and a file that
stopped being refreshed (the app is gone) shows its age. Demo mode writes its
own file, marked SIMULATED, so it never passes for live data.

    >>> status_line(
    ...     {"written_at": 100.0, "simulated": False,
    ...      "gauge": {"score": 61.2, "label": "risk-on"},
    ...      "quotes": {"^RUT": {"price": 2663.78, "change_pct": -0.05, "stale": False,
    ...                          "state": "testing"}}},
    ...     now=101.0, symbols=["^RUT"])
    'R2K 61 risk-on │ ^RUT 2,663.78 ▼-0.05% testing'
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from r2kmon import paths
from r2kmon.model import FRESHNESS, FRESHNESS_MARK, Freshness, age_text, stamp_text
from r2kmon.model.state import AppState
from r2kmon.redact import redact

STATUS_EVERY_S = 5.0
"""How often the runtime rewrites the status file when the state changed."""
REFRESH_S = 30.0
"""The longest the runtime leaves the file unchanged, even when nothing moved."""
OLD_AFTER_S = 60.0
"""A status file older than this is shown with its age (the app may have stopped)."""
DEFAULT_SYMBOLS = ("^RUT", "BTC-USD")
ALERT_SHOWN_S = 15 * 60.0
"""An ``[[alerts]]`` rule that fired is shown on the line for this long."""


def status_file(demo: bool) -> Path:
    """Where the app keeps its status: one file for live data, another for the demo."""
    return paths.data_dir() / ("status-demo.json" if demo else "status.json")


def status_document(state: AppState, now: float) -> dict[str, Any]:
    """What the status line may show: the gauge, and per symbol its price, change,
    freshness (as the state judged it), time and breakout state. Plain JSON values; times
    are epoch seconds."""
    hub = state.hub
    gauge = state.analytics.gauge if state.analytics is not None else None
    states = (
        {row.symbol: row.state for row in state.analytics.board}
        if state.analytics is not None
        else {}
    )
    quotes: dict[str, dict[str, Any]] = {}
    for symbol in hub.symbols:
        quote = hub.quotes.get(symbol)
        if quote is None:
            continue
        freshness = state.freshness_of(symbol)
        quotes[symbol] = {
            "price": float(quote.price),
            "change_pct": quote.change_pct,
            "freshness": freshness,
            "stale": freshness == "stale",  # what a status line before "freshness" reads
            "ts": quote.ts,
            "state": states.get(symbol),
        }
    return {
        "written_at": now,
        "simulated": hub.simulated,
        "gauge": (
            {"score": gauge.score, "label": gauge.label}
            if gauge is not None and gauge.score is not None
            else None
        ),
        "quotes": quotes,
        "alert": next(
            (
                {"ts": alert.ts, "message": alert.message}
                for alert in reversed(state.alerts)
                if alert.level == "alert"
            ),
            None,
        ),
    }


def fallback_path(path: Path) -> Path:
    """Where the document meant for ``path`` goes when ``path`` cannot be written."""
    return paths.status_fallback_dir() / path.name


def write_status(path: Path, document: Mapping[str, Any]) -> Path:
    """Replace ``path`` atomically (a reader never sees half a file), or its
    :func:`fallback_path` when ``path`` cannot be written; return where it went.
    Raises the first ``OSError`` when neither can (a full disk)."""
    text = redact(json.dumps(document))
    try:
        _replace(path, text)
        return path
    except OSError as failed:
        fallback = fallback_path(path)
        if fallback == path:
            raise
        try:
            _replace(fallback, text)
        except OSError:
            raise failed from None
        return fallback


def _replace(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # A temporary file of its own (two apps on one data dir each write theirs), removed
    # when the write fails: a full disk must not leave an empty file behind.
    fd, partial = tempfile.mkstemp(dir=path.parent, prefix=f"{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(partial, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(partial)
        raise


def read_status(path: Path) -> dict[str, Any] | None:
    """The newer (by ``written_at``) of the documents at ``path`` and at its
    :func:`fallback_path`, or ``None`` when neither can be read: the app writes to the
    fallback while ``path`` cannot be written, and the file it left at ``path`` before
    is older."""
    found = [d for d in (_read(path), _read(fallback_path(path))) if d is not None]
    return max(found, key=_written_at, default=None)


def _read(path: Path) -> dict[str, Any] | None:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) else None


def _written_at(document: Mapping[str, Any]) -> float:
    written = document.get("written_at")
    return float(written) if isinstance(written, (int, float)) else float("-inf")


TMUX_STYLES: dict[str, str] = {
    "risk-on": "fg=green",
    "risk-off": "fg=red",
    "up": "fg=green",
    "down": "fg=red",
    "breakout": "fg=green,bold",
    "confirmed": "fg=green",
    "retest": "fg=yellow",
    "testing": "fg=yellow",
    "failed": "fg=red",
    "not live": "fg=yellow",
    "alert": "fg=red,bold",
    "simulated": "fg=magenta",
    "old": "fg=red",
}
"""``status-line --tmux``: the tmux style of each part of the line (the rest keeps the
status bar's own colours)."""


def status_line(
    document: Mapping[str, Any],
    now: float,
    symbols: Sequence[str] = DEFAULT_SYMBOLS,
    *,
    tmux: bool = False,
) -> str:
    """One line: the gauge, then each of ``symbols`` the app had a price for. With
    ``tmux``, parts are coloured with tmux's ``#[fg=...]`` codes (:data:`TMUX_STYLES`) and
    every ``#`` of the text is doubled, so a ``#`` in a symbol or message shows as itself
    instead of starting a tmux format."""

    def paint(text: str, style: str | None = None) -> str:
        if not tmux:
            return text
        text = text.replace("#", "##")
        return f"#[{TMUX_STYLES[style]}]{text}#[default]" if style else text

    parts: list[str] = []
    gauge = document.get("gauge")
    if isinstance(gauge, dict) and isinstance(gauge.get("score"), (int, float)):
        label = str(gauge.get("label") or "")
        text = paint(f"R2K {gauge['score']:.0f}")
        parts.append(f"{text} {paint(label, label if label in TMUX_STYLES else None)}".rstrip())
    quotes = document.get("quotes")
    quotes = quotes if isinstance(quotes, dict) else {}
    for symbol in symbols:
        quote = quotes.get(symbol)
        if not isinstance(quote, dict) or not isinstance(quote.get("price"), (int, float)):
            continue
        text = paint(f"{symbol} {_price(quote['price'])}")
        change = quote.get("change_pct")
        if isinstance(change, (int, float)):
            shown = round(change, 2)
            arrow = "=" if shown == 0 else ("▲" if shown > 0 else "▼")
            if shown:
                text += " " + paint(f"{arrow}{shown:+.2f}%", "up" if shown > 0 else "down")
            else:
                text += " =0.00%"
        if quote.get("state"):
            state = str(quote["state"])
            text += " " + paint(state, state if state in TMUX_STYLES else None)
        mark = _freshness(quote, now)
        text += f" {paint(mark.lstrip(), 'not live')}" if mark else ""
        parts.append(text)
    line = " │ ".join(parts) if parts else "r2kmon: no data yet"
    alert = document.get("alert")
    if isinstance(alert, dict) and isinstance(alert.get("ts"), (int, float)):
        ago = now - alert["ts"]
        if 0 <= ago <= ALERT_SHOWN_S:
            # The rule, not the whole message: "BTC-USD above 100,000.00".
            rule = str(alert.get("message", "")).removeprefix("SIMULATED: ").split(": ")[0]
            line += " │ " + paint(f"ALERT {rule} {age_text(ago)} ago", "alert")
    if document.get("simulated"):
        line += " │ " + paint("SIMULATED", "simulated")
    written = document.get("written_at")
    if isinstance(written, (int, float)) and now - written > OLD_AFTER_S:
        # A running app rewrites the file at least every REFRESH_S: this one has stopped.
        stopped = f"r2kmon not running (last status {age_text(now - written)} old)"
        line += " │ " + paint(stopped, "old")
    return line


def _freshness(quote: Mapping[str, Any], now: float) -> str:
    """`` STALE``, `` closed``, `` delayed Feb 20`` (with the price's date, or its time
    when it is from today); nothing for a live price. A file written before freshness
    existed has only ``stale``."""
    said = quote.get("freshness")
    freshness: Freshness = said if said in FRESHNESS else "stale" if quote.get("stale") else "live"
    mark = FRESHNESS_MARK[freshness]
    ts = quote.get("ts")
    if freshness == "delayed" and isinstance(ts, (int, float)):
        mark += f" {stamp_text(ts, now)}"
    return f" {mark}" if mark else ""


def _price(value: float) -> str:
    return f"{value:,.2f}" if abs(value) >= 1 else f"{value:.6f}"
