"""``r2kmon snapshot --format prometheus``: the snapshot document as Prometheus text.

The text exposition format (version 0.0.4), for node_exporter's textfile collector or any
scraper that reads a file. Built from the ``snapshot --json`` document
(:func:`r2kmon.runtime.snapshot.build_document`), so both formats say the same thing and a
value the JSON has as ``null`` is simply absent here (Prometheus has no "unknown": a missing
sample is how it is said).

Names follow the Prometheus conventions: the ``r2kmon_`` prefix, base units (seconds,
ratios rather than percent), ``_seconds`` and ``_timestamp_seconds`` suffixes, and labels for
what varies (``symbol``, ``level``, ``source``, ``component``). Every family is a gauge: the
file is a snapshot, and none of its numbers only goes up across runs. Enumerations are
written two ways where a query needs both: the breakout state as a number
(:data:`BREAKOUT_STATE_VALUES`, so a graph can plot it) and the source status and quote
freshness one sample per possible value, 1 for the current one (so an alert can match it
by name).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

BREAKOUT_STATE_VALUES: Final[Mapping[str, int]] = {
    "failed": -1,
    "below": 0,
    "testing": 1,
    "breakout": 2,
    "retest": 3,
    "confirmed": 4,
}
"""``r2kmon_breakout_state``: how far along the breakout path a level is. ``failed`` (back
under the level after a breakout) is below zero so that "> 1" reads "at or past a
breakout"."""

GAUGE_BAND_VALUES: Final[Mapping[str, int]] = {"risk-off": -1, "neutral": 0, "risk-on": 1}
"""``r2kmon_gauge_band``: the gauge's label as a number."""

SOURCE_STATUSES: Final = ("ok", "connecting", "stale", "down")
FRESHNESS_VALUES: Final = ("live", "delayed", "closed", "stale")


@dataclass
class _Family:
    name: str
    help: str
    samples: list[tuple[dict[str, str], float]] = field(default_factory=list)

    def add(self, value: float | int | bool | None, **labels: str) -> None:
        """One sample; ``None`` (and NaN, which the JSON never holds) is left out."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return
        self.samples.append((labels, float(value)))


_Families = Callable[[str, str], _Family]
"""Gets (or starts) the family of a name without the prefix, with its help text."""


def escape_label(value: str) -> str:
    """A label value as the format quotes it: backslash, double quote and newline escaped
    (remote text, e.g. an error message, may hold any of them)."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(value) if not value.is_integer() else str(int(value))


def _epoch(text: str | None) -> float | None:
    """An ISO-8601 time of the document as UTC epoch seconds."""
    return datetime.fromisoformat(text).timestamp() if text else None


def _ratio(percent: float | None) -> float | None:
    return percent / 100.0 if percent is not None else None


def render(document: Mapping[str, Any]) -> str:
    """The document as Prometheus text exposition (ends with a newline)."""
    families: dict[str, _Family] = {}

    def family(name: str, help: str) -> _Family:
        return families.setdefault(name, _Family(f"r2kmon_{name}", help))

    family("snapshot_timestamp_seconds", "When the snapshot was taken, UTC epoch seconds.").add(
        _epoch(document["generated_at"])
    )
    family("simulated", "1 when the data is simulated (--demo).").add(document["simulated"])
    family("schema_version", "Version of the snapshot document these values come from.").add(
        document.get("schema_version")
    )
    _gauge(document["gauge"], family)
    _board(document["board"], family)
    _quotes(document["quotes"], family)
    _health(document["health"], family)
    context = family("context_value", "A context value (altcoin season, dominance, ...).")
    for name, entry in sorted(document["context"].items()):
        value = entry.get("value")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            context.add(value, context=name, unit=str(entry.get("unit") or ""))
    family("analytics_ready", "1 when the analytics have a result.").add(
        document["analytics"]["state"] == "ready"
    )
    return "".join(_text(f) for f in families.values())


def _gauge(gauge: Mapping[str, Any], family: _Families) -> None:
    family("gauge_score", "The risk-on gauge, 0-100 (absent when it cannot be computed).").add(
        gauge["score"]
    )
    family("gauge_coverage_ratio", "Share 0-1 of the gauge's weight backed by data.").add(
        gauge["coverage"]
    )
    band = family("gauge_band", "The gauge's band: -1 risk-off, 0 neutral, 1 risk-on.")
    band.add(GAUGE_BAND_VALUES.get(gauge["label"]) if gauge["label"] else None)
    score = family("gauge_component_score", "A gauge component's score, 0-100.")
    weight = family("gauge_component_weight", "A gauge component's configured weight.")
    points = family(
        "gauge_component_contribution", "Points of the gauge's score a component supplies."
    )
    value = family("gauge_component_value", "A gauge component's raw value.")
    for component in gauge["components"]:
        name = str(component["name"])
        score.add(component["score"], component=name)
        weight.add(component["weight"], component=name)
        points.add(component["contribution"], component=name)
        value.add(component["value"], component=name)


def _board(board: Iterable[Mapping[str, Any]], family: _Families) -> None:
    mapping = ", ".join(f"{v} {k}" for k, v in BREAKOUT_STATE_VALUES.items())
    state = family("breakout_state", f"Breakout state of a symbol at a level: {mapping}.")
    matters = family("breakout_level_matters", "1 on the level that matters now for a symbol.")
    resistance = family("breakout_resistance", "The resistance level, in the quote currency.")
    distance = family(
        "breakout_distance_ratio", "Price versus the level (0.01 = 1 % above; negative: under)."
    )
    since = family("breakout_since_timestamp_seconds", "Since when the state holds, epoch s.")
    for row in board:
        symbol = str(row["symbol"])
        for level in row.get("levels", []):
            kind = str(level["resistance_kind"] or "")
            labels = {"symbol": symbol, "level": kind}
            state.add(BREAKOUT_STATE_VALUES.get(level["state"] or ""), **labels)
            matters.add(level["matters"], **labels)
            resistance.add(level["resistance"], **labels)
            distance.add(_ratio(level["distance_pct"]), **labels)
            since.add(_epoch(level["since"]), **labels)


def _quotes(quotes: Mapping[str, Mapping[str, Any] | None], family: _Families) -> None:
    price = family("quote_price", "Last price, in the quote currency.")
    change = family("quote_change_ratio", "Change (24 h crypto, day markets); 0.01 = 1 %.")
    age = family("quote_age_seconds", "Age of the last price when the snapshot was taken.")
    ts = family("quote_timestamp_seconds", "Time of the last price, UTC epoch seconds.")
    fresh = family("quote_freshness", "1 for the quote's freshness (live/delayed/closed/stale).")
    for symbol, quote in quotes.items():
        if quote is None:
            continue
        labels = {"symbol": symbol, "source": str(quote["source"])}
        price.add(quote["price"], **labels)
        change.add(_ratio(quote["change_pct"]), **labels)
        age.add(quote["age_s"], **labels)
        ts.add(_epoch(quote["ts"]), **labels)
        for value in FRESHNESS_VALUES:
            fresh.add(quote["freshness"] == value, symbol=symbol, freshness=value)


def _health(health: Mapping[str, Mapping[str, Any]], family: _Families) -> None:
    up = family("source_up", "1 while a source works (status ok).")
    status = family("source_status", "1 for the source's status (ok/connecting/stale/down).")
    fault = family("source_fault", "1 while a source cannot reach its server at all.")
    last_ok = family("source_last_ok_timestamp_seconds", "Last time the source worked, epoch s.")
    rate = family("source_messages_per_second", "Messages per second from the source.")
    bad = family("source_bad_frames", "Frames the source sent that could not be read.")
    for name, record in health.items():
        up.add(record["status"] == "ok", source=name, kind=str(record["kind"]))
        for value in SOURCE_STATUSES:
            status.add(record["status"] == value, source=name, status=value)
        fault.add(record["fault"] is not None, source=name)
        last_ok.add(_epoch(record["last_ok"]), source=name)
        rate.add(record["msgs_per_s"], source=name)
        bad.add(record["bad_frames"], source=name)


def _text(family: _Family) -> str:
    lines = [f"# HELP {family.name} {_escape_help(family.help)}", f"# TYPE {family.name} gauge"]
    for labels, value in family.samples:
        inner = ",".join(f'{k}="{escape_label(v)}"' for k, v in labels.items())
        lines.append(
            f"{family.name}{{{inner}}} {_number(value)}"
            if inner
            else f"{family.name} {_number(value)}"
        )
    return "\n".join(lines) + "\n"
