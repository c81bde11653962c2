"""The ``snapshot --json`` document of DESIGN.md, built from a hub snapshot.

Used by ``r2kmon snapshot`` and by tests; the keys are a contract scripts rely on. Sections
whose producers do not exist yet are present and empty (``board``, ``correlation``) or
``null`` (``gauge``): never invented. A configured symbol with no price yet is ``null``, and
its source's ``health`` entry says why.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from r2kmon.hub import quote_is_stale
from r2kmon.model import HubSnapshot, Quote, SourceHealth


def iso(ts: float | None) -> str | None:
    """UTC epoch seconds as ISO-8601 in UTC (``+00:00``), to the second; None stays None."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat(timespec="seconds")


def build_document(snapshot: HubSnapshot, now: float, stale_after_s: float) -> dict[str, Any]:
    """The whole document for one snapshot, as plain JSON-ready values."""
    return {
        "generated_at": iso(now),
        "simulated": snapshot.simulated,
        "quotes": {
            symbol: _quote(snapshot.quotes.get(symbol), snapshot, now, stale_after_s)
            for symbol in snapshot.symbols
        },
        "board": [],
        "gauge": None,
        "correlation": [],
        "context": {
            name: {
                "value": value.value,
                "unit": value.unit,
                "source": value.source,
                "as_of": iso(value.as_of),
            }
            for name, value in snapshot.context.items()
        },
        "health": {name: _health(h) for name, h in sorted(snapshot.health.items())},
    }


def _quote(
    quote: Quote | None, snapshot: HubSnapshot, now: float, stale_after_s: float
) -> dict[str, Any] | None:
    if quote is None:
        return None
    change = quote.change_pct
    return {
        "price": float(quote.price),
        "change_pct": round(change, 4) if change is not None else None,
        "source": quote.source,
        "ts": iso(quote.ts),
        "age_s": round(quote.age(now), 1),
        "stale": quote_is_stale(quote, snapshot.health.get(quote.source), now, stale_after_s),
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
    }
