"""The signal journal: what the signals said, and when.

:class:`SignalTracker` compares each :class:`~r2kmon.model.state.AppState` with what it
saw before and turns the differences into :class:`~r2kmon.store.JournalEntry` s: a breakout
state changing at one level of a symbol (every level, not only the one the board shows),
the gauge moving into another band, a source going down or coming back, one of the user's
``[[alerts]]`` rules firing. ``r2kmon watch`` prints each as a JSON line and keeps them in
the store; ``r2kmon journal`` prints the kept ones.

A first sight is no change: the tracker starts from the states the journal kept last
(:meth:`r2kmon.store.Store.journal_states`), so a restart journals what changed while
nothing ran and nothing that did not. A source seen down at once is the exception, as in
the alert log: a source that never worked is worth a line.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from typing import Any, Final

from r2kmon.model import GAUGE, Alert
from r2kmon.model.state import AppState
from r2kmon.runtime.snapshot import iso
from r2kmon.store import JournalEntry

UP: Final = "up"
DOWN: Final = "down"
FIRED: Final = "fired"

Key = tuple[str, str, str]


class SignalTracker:
    """Turns successive states into journal entries (see the module's docstring)."""

    def __init__(self, known: Mapping[Key, str] | None = None, since: float = float("-inf")):
        """``known``: the last kept state of each key; ``since``: alerts older than this
        (the alert log's lines loaded from the store at start) were journaled before."""
        self._states: dict[Key, str] = dict(known or {})
        self.since = since
        self._alerts_seen: set[Alert] = set()

    def observe(self, state: AppState, now: float) -> list[JournalEntry]:
        """What changed since the last call, in the order: sources, breakouts, gauge,
        alerts."""
        out: list[JournalEntry] = []
        for name, health in sorted(state.hub.health.items()):
            if health.status not in ("ok", "down"):
                continue  # connecting, stale: neither up nor down yet
            new = UP if health.status == "ok" else DOWN
            message = (health.last_error or "no reason given") if new == DOWN else ""
            self._step(out, ("source", name, ""), new, now, message=message, first=new == DOWN)
        result = state.analytics
        if result is not None:
            # What the gauge said when a level changed state, on the breakout's own line.
            gauge_said = (
                f"gauge {result.gauge.score:.0f} {result.gauge.label}"
                if result.gauge.score is not None and result.gauge.label is not None
                else ""
            )
            for row in result.board:
                for level in row.levels:
                    if level.state is None:
                        continue
                    self._step(
                        out,
                        ("breakout", row.symbol, level.kind),
                        level.state,
                        now,
                        value=row.price,
                        reference=level.price,
                        message=gauge_said,
                    )
            gauge = result.gauge
            if gauge.label is not None:
                self._step(out, ("gauge", GAUGE, ""), gauge.label, now, value=gauge.score)
        for alert in state.alerts:
            if alert.level != "alert" or alert.ts < self.since or alert in self._alerts_seen:
                continue
            self._alerts_seen.add(alert)
            out.append(JournalEntry(alert.ts, "alert", alert.source, "", None, FIRED,
                                    message=alert.message))  # fmt: skip
        return out

    def _step(
        self,
        out: list[JournalEntry],
        key: Key,
        new: str,
        now: float,
        *,
        value: float | None = None,
        reference: float | None = None,
        message: str = "",
        first: bool = False,
    ) -> None:
        old = self._states.get(key)
        self._states[key] = new
        if old == new or (old is None and not first):
            return
        kind, subject, level = key
        out.append(JournalEntry(now, kind, subject, level, old, new, value, reference, message))


# --- output --------------------------------------------------------------------------

FORMATS: Final = ("text", "json", "csv")
FIELDS: Final = ("ts", "type", "subject", "level", "from", "to", "value", "reference", "message")


def to_json(entry: JournalEntry, *, simulated: bool = False) -> dict[str, Any]:
    """One entry as ``watch`` prints it and ``journal --format json`` lists it."""
    document: dict[str, Any] = {
        "ts": iso(entry.ts),
        "type": entry.kind,
        "subject": entry.subject,
        "level": entry.level or None,
        "from": entry.old,
        "to": entry.new,
        "value": entry.value,
        "reference": entry.reference,
        "message": entry.message,
    }
    if simulated:
        document["simulated"] = True
    return document


def json_line(entry: JournalEntry, *, simulated: bool = False) -> str:
    """One JSON object on one line (JSON Lines), ``\\n`` included."""
    return json.dumps(to_json(entry, simulated=simulated), ensure_ascii=False) + "\n"


def text_line(entry: JournalEntry) -> str:
    """``2026-11-17 15:00:00  ^RUT 52w  testing → breakout  2,512.30 (level 2,500.00)``."""
    when = (iso(entry.ts) or "").replace("T", " ").removesuffix("+00:00")
    what = " ".join(part for part in (entry.subject, entry.level) if part)
    change = f"{entry.old} → {entry.new}" if entry.old is not None else entry.new
    parts = [when, what, change]
    if entry.kind == "gauge" and entry.value is not None:
        parts.append(f"score {entry.value:.1f}")
    elif entry.value is not None:
        level = f" (level {entry.reference:,.2f})" if entry.reference is not None else ""
        parts.append(f"{entry.value:,.2f}{level}")
    if entry.message:
        parts.append(entry.message)
    # Remote text (an error message, a symbol) is data: control characters go.
    return "  ".join(_printable(p) for p in parts) + "\n"


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() else " " for c in text)


def render(entries: Iterable[JournalEntry], fmt: str) -> str:
    """The entries in ``fmt`` (one of :data:`FORMATS`)."""
    if fmt == "json":
        return "".join(json_line(e) for e in entries)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, FIELDS, lineterminator="\n")
        writer.writeheader()
        for entry in entries:
            writer.writerow({k: "" if v is None else v for k, v in to_json(entry).items()})
        return buffer.getvalue()
    return "".join(text_line(e) for e in entries)
