"""The ``snapshot --json`` document of DESIGN.md, built from an :class:`AppState`.

Used by ``r2kmon snapshot`` (its ``json`` and, through :mod:`r2kmon.runtime.prometheus`,
its ``prometheus`` format) and by tests; the keys are a contract scripts rely on, versioned
by ``schema_version`` and with every unit named in ``units``. Sections the analytics could
not fill are present and empty (``board``, ``correlation``); the ``gauge`` object is always
there, with ``score: null`` and coverage 0 until it can be computed: never invented. A
configured symbol with no price yet is ``null``, and its source's ``health`` entry says
why. Every time in the document is ISO-8601 UTC.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from r2kmon.model import Freshness, Quote, SourceHealth
from r2kmon.model.state import AppState

SCHEMA_VERSION = 2
"""The document's version: 1 had no ``schema_version``, ``units`` or ``gauge.coverage_pct``
and a ``gauge`` of ``null`` before the analytics ran. Raised when a key changes meaning or
goes away; new keys do not raise it."""

UNITS: dict[str, str] = {
    "quotes.price": "the quote currency (USD for -USD pairs, USDT for USDT pairs, index points)",
    "quotes.change_pct": "percent (24 h for crypto, since the previous close for markets)",
    "quotes.age_s": "seconds",
    "board.price": "the quote currency",
    "board.resistance": "the quote currency",
    "board.distance_pct": "percent of the resistance (negative: under it)",
    "gauge.score": "points, 0-100 (100: fully risk-on)",
    "gauge.change": "points since the previous day's score",
    "gauge.coverage": "fraction 0-1 of the configured weight backed by data",
    "gauge.coverage_pct": "percent 0-100: gauge.coverage on the scores' scale",
    "gauge.components.score": "points, 0-100",
    "gauge.components.contribution": "points of gauge.score (they add up to it)",
    "gauge.components.weight": "the configured weight (relative)",
    "correlation.value": "Pearson coefficient, -1 to 1",
    "health.msgs_per_s": "messages per second",
    "times": "ISO-8601 in UTC",
}
"""What each number of the document is measured in (in the document as ``units``)."""

EMPTY_GAUGE: dict[str, Any] = {
    "score": None,
    "label": None,
    "coverage": 0.0,
    "change": None,
    "components": [],
}
"""The gauge before the analytics could compute one: no score, nothing covered."""

TIME_KEYS = frozenset({"as_of", "since", "resistance_date", "date", "prior_high_date"})
"""Keys of the analytics' JSON that hold UTC epoch seconds, shown here as ISO-8601."""


def iso(ts: float | None) -> str | None:
    """UTC epoch seconds as ISO-8601 in UTC (``+00:00``), to the second; None stays None."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat(timespec="seconds")


def build_document(state: AppState, now: float) -> dict[str, Any]:
    """The whole document for one state, as plain JSON-ready values (``now`` only dates
    it and ages the quotes: their freshness is the state's)."""
    snapshot = state.hub
    analytics = state.analytics.to_json() if state.analytics is not None else {}
    context: dict[str, Any] = {
        name: {
            "value": value.value,
            "unit": value.unit,
            "source": value.source,
            "as_of": iso(value.as_of),
        }
        for name, value in snapshot.context.items()
    }
    # Derived values (altcoin season, net liquidity, flows, ...) come from the analytics;
    # where a name is in both, the analytics' entry carries the trend as well.
    context.update(_times(analytics.get("context", {})))
    gauge: dict[str, Any] = dict(_times(analytics.get("gauge")) or EMPTY_GAUGE)
    gauge["coverage_pct"] = round(100.0 * gauge["coverage"], 4)
    return {
        "schema_version": SCHEMA_VERSION,
        "units": UNITS,
        "generated_at": iso(now),
        "simulated": snapshot.simulated,
        "quotes": {
            symbol: _quote(snapshot.quotes.get(symbol), state.freshness_of(symbol), now)
            for symbol in snapshot.symbols
        },
        "board": _times(analytics.get("board", [])),
        "gauge": gauge,
        "correlation": _times(analytics.get("correlation", [])),
        "context": context,
        "event_study": _times(analytics.get("event_study", [])),
        "analytics": {
            "state": state.analytics_status.state,
            "detail": state.analytics_status.detail,
        },
        "market": (
            {"state": state.market.state, "label": state.market.label()}
            if state.market is not None
            else None
        ),
        "health": {name: _health(h) for name, h in sorted(snapshot.health.items())},
        "portfolio": _times(state.portfolio.to_json()) if state.portfolio is not None else None,
        # The replayed gauge's record; null until its background replay finished.
        "track_record": state.track_record.to_json() if state.track_record is not None else None,
    }


def _times(value: Any) -> Any:
    """The analytics' JSON with its epoch-second times as ISO-8601 strings."""
    if isinstance(value, dict):
        return {
            k: iso(v) if k in TIME_KEYS and isinstance(v, (int, float)) else _times(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_times(v) for v in value]
    return value


def _quote(quote: Quote | None, freshness: Freshness, now: float) -> dict[str, Any] | None:
    if quote is None:
        return None
    change = quote.change_pct
    return {
        "price": float(quote.price),
        "change_pct": round(change, 4) if change is not None else None,
        "source": quote.source,
        "ts": iso(quote.ts),
        "age_s": round(quote.age(now), 1),
        "freshness": freshness,
        # Kept for scripts written before "freshness": the same judgement, as a flag.
        "stale": freshness == "stale",
    }


def _health(health: SourceHealth) -> dict[str, Any]:
    return {
        "kind": health.kind,
        "status": health.status,
        "last_ok": iso(health.last_ok),
        "last_error": health.last_error,
        "msgs_per_s": health.msgs_per_s,
        "retry_at": iso(health.retry_at),
        "bad_frames": health.bad_frames,
        "silent_symbols": list(health.silent_symbols),
        "simulated": health.simulated,
        "fault": health.fault,
        "summary": health.summary,
    }
