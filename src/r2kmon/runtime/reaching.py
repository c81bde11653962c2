"""Is risk appetite reaching crypto? The numbers the dashboard's panel answers it with.

BTC, ETH and the altcoins against ``^RUT`` and SPY over a week and a month; the latest
rolling 30/90-day correlation of ``^RUT`` and SPY with BTC; live 24 h breadth; the
altcoin-season index; the BTC dominance trend — each with the time it describes, and a
reason instead of a number when there is none.

Built from an :class:`~r2kmon.model.state.AppState` (the hub's bars and quotes plus the
analytics' results) in plain Python, into the plain values of :mod:`r2kmon.model.reaching`:
the dashboard calls :func:`reaching` once per new state and formats what it returns.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence

from r2kmon.model import Bar, HubSnapshot, is_crypto_pair
from r2kmon.model.reaching import (
    CORRELATION_WINDOWS,
    SPANS,
    Correlation,
    Move,
    Reaching,
    Reading,
)
from r2kmon.model.state import AppState

DAY = 86_400.0
EQUITIES = ("^RUT", "SPY")
CRYPTO = ("BTC-USD", "ETH-USD")
ALTS = "alts"
"""The row of the equal-weighted average of every other configured crypto pair."""
CORRELATED = ("^RUT", "SPY")
BREADTH_CONTEXT = "crypto_breadth_up_pct"
"""The breadth feed's own value (percent), used while the analytics have no breadth."""


def _latest(snapshot: HubSnapshot, symbol: str) -> tuple[float, float] | None:
    """The newest price of ``symbol`` and its time: the live quote, else the last stored
    minute bar, else the last daily close (the stored history, before any feed answers)."""
    quote = snapshot.quotes.get(symbol)
    if quote is not None and quote.price > 0:
        return float(quote.price), quote.ts
    for bars in (snapshot.bars_1m.get(symbol, ()), snapshot.bars_1d.get(symbol, ())):
        if bars and bars[-1].close > 0:
            return bars[-1].close, bars[-1].start
    return None


def _close_at(bars: Sequence[Bar], ts: float) -> float | None:
    """The last close of a bar starting at or before ``ts`` (``None`` if none is that old)."""
    i = bisect_right([bar.start for bar in bars], ts)
    if i == 0:
        return None
    close = bars[i - 1].close
    return close if close > 0 else None


def _changes(snapshot: HubSnapshot, symbol: str) -> Move:
    latest = _latest(snapshot, symbol)
    if latest is None:
        return Move(symbol, (None,) * len(SPANS), None, "no price yet")
    price, as_of = latest
    bars = snapshot.bars_1d.get(symbol, ())
    changes: list[float | None] = []
    for _, days in SPANS:
        then = _close_at(bars, as_of - days * DAY)
        changes.append(None if then is None else (price / then - 1.0) * 100.0)
    why = "" if any(c is not None for c in changes) else "no daily history that old yet"
    return Move(symbol, tuple(changes), as_of, why)


def _alts(snapshot: HubSnapshot) -> Move:
    """The equal-weighted mean change of the altcoins (every crypto pair but BTC and ETH)."""
    names = [s for s in snapshot.symbols if is_crypto_pair(s) and s not in CRYPTO]
    if not names:
        return Move(ALTS, (None,) * len(SPANS), None, "no altcoin configured")
    moves = [_changes(snapshot, s) for s in names]
    changes: list[float | None] = []
    for i in range(len(SPANS)):
        known = [m.changes[i] for m in moves if m.changes[i] is not None]
        changes.append(sum(k for k in known if k is not None) / len(known) if known else None)
    stamps = [m.as_of for m in moves if m.as_of is not None]
    why = "" if any(c is not None for c in changes) else "no altcoin history yet"
    return Move(f"{ALTS} ({len(names)})", tuple(changes), min(stamps) if stamps else None, why)


WAITING = {
    "waiting": "waiting for daily history",
    "unavailable": "no daily history",
    "error": "analytics failed (see health)",
}
"""What a panel row without analytics says, by :attr:`AnalyticsStatus.state`: "loading"
only while they are being computed, never when they cannot be."""


def reaching(state: AppState) -> Reaching:
    """The panel's numbers at ``state`` (cheap: a handful of bisections and lookups)."""
    snapshot = state.hub
    moves = (*(_changes(snapshot, s) for s in (*CRYPTO, *EQUITIES)), _alts(snapshot))
    analytics = state.analytics
    waiting = "" if analytics else WAITING.get(state.analytics_status.state, "analytics loading")
    correlations = []
    for equity in CORRELATED:
        values: list[float | None] = []
        stamps: list[float] = []
        for window in CORRELATION_WINDOWS:
            found = next(
                (
                    c
                    for c in (analytics.correlation if analytics else ())
                    if c.a == equity and c.b == CRYPTO[0] and c.window_days == window
                ),
                None,
            )
            values.append(found.value if found else None)
            if found is not None and found.as_of is not None:
                stamps.append(found.as_of)
        why = waiting or ("" if any(v is not None for v in values) else "too little joint history")
        correlations.append(
            Correlation(equity, CRYPTO[0], tuple(values), max(stamps) if stamps else None, why)
        )
    entries = {c.name: c for c in analytics.context} if analytics else {}
    breadth_entry = entries.get("breadth_24h")
    if breadth_entry is not None and breadth_entry.value is not None:
        share = breadth_entry.value * 100.0
        beating = breadth_entry.detail.get("beating_btc_share")
        words = f"{share:.0f}% of coins up"
        if isinstance(beating, float):
            words += f", {beating * 100:.0f}% beat BTC"
        breadth = Reading("breadth", share, words, breadth_entry.as_of, breadth_entry.source)
    else:
        fed = snapshot.context.get(BREADTH_CONTEXT)
        if fed is not None and fed.value is not None:
            breadth = Reading(
                "breadth", fed.value, f"{fed.value:.0f}% of coins up", fed.as_of, fed.source
            )
        else:
            breadth = Reading("breadth", None, "", None, missing="no 24 h changes streamed yet")
    season_entry = entries.get("altcoin_season")
    if season_entry is not None and season_entry.value is not None:
        season = Reading(
            "season",
            season_entry.value,
            season_entry.label or "",
            season_entry.as_of,
            season_entry.source,
        )
    else:
        season = Reading("season", None, "", None, missing=waiting or "too few coins with history")
    dom_entry = entries.get("btc_dominance")
    if dom_entry is not None and dom_entry.value is not None:
        change = dom_entry.detail.get("change_pp")
        words = dom_entry.label or ""
        if isinstance(change, float):
            words = f"{words} {change:+.1f} pp/30d".strip()
        dominance = Reading("dominance", dom_entry.value, words, dom_entry.as_of, dom_entry.source)
    else:
        dominance = Reading("dominance", None, "", None, missing=waiting or "not fetched yet")
    return Reaching(moves, tuple(correlations), breadth, season, dominance)
