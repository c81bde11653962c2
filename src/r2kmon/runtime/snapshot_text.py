"""``r2kmon snapshot`` as text: the same answer as the screen, in lines.

The gauge with its label (or why there is none, or a partial read), the breakout board's
state per symbol, then the quotes with their freshness; read from the ``snapshot --json``
document (:func:`r2kmon.runtime.snapshot.build_document`), so both formats say the same.
"""

from __future__ import annotations

from typing import Any

from r2kmon.model import FRESHNESS_MARK
from r2kmon.runtime.explain import is_partial

LEVEL_WORDS = {
    "all_time_high": "all-time high",
    "multi_year_high": "multi-year high",
    "52_week_high": "52-week high",
}


def gauge_line(document: dict[str, Any]) -> str:
    """``RISK-ON GAUGE 66.2/100 RISK-ON +2.4 vs yesterday, coverage 83%``, a partial read,
    or why there is no gauge."""
    gauge = document["gauge"]
    coverage = f"coverage {gauge['coverage'] * 100:.0f}%"
    if gauge["score"] is None:
        analytics = document["analytics"]
        why = analytics["detail"] if analytics["state"] != "ready" else "no component has data"
        return f"RISK-ON GAUGE none: {why}"
    score = f"{gauge['score']:.1f}/100"
    if is_partial(gauge["coverage"]):
        return f"RISK-ON GAUGE {score} PARTIAL, {coverage} (no verdict until half has data)"
    change = gauge["change"]
    moved = f" {change:+.1f} vs yesterday" if change is not None else ""
    return f"RISK-ON GAUGE {score} {(gauge['label'] or '-').upper()}{moved}, {coverage}"


def board_lines(document: dict[str, Any]) -> list[str]:
    """One line per board symbol: its state against the level that matters."""
    lines = []
    for row in document["board"]:
        if row["resistance"] is None:
            lines.append(f"{row['symbol']:<10} no level (too little history)")
            continue
        kind = LEVEL_WORDS.get(row["resistance_kind"] or "", "high")
        distance = row["distance_pct"]
        dist = f" {distance:+.1f}%" if distance is not None else ""
        since = f" since {row['since'][:10]}" if row["since"] else ""
        lines.append(
            f"{row['symbol']:<10} {row['state'] or '-':<10} {kind} {row['resistance']:,.2f}"
            f"{dist}{since}"
        )
    return lines


def quote_lines(document: dict[str, Any]) -> list[str]:
    """One line per symbol: price, change, source, and a mark unless it is live."""
    lines = []
    for symbol, quote in document["quotes"].items():
        if quote is None:
            lines.append(f"{symbol:<10} {'—':>14}  (no data)")
            continue
        change = quote["change_pct"]
        shown = f"{change:+.2f}%" if change is not None else "—"
        mark = FRESHNESS_MARK[quote["freshness"]]  # STALE, closed, delayed; none live
        fresh = f"  {mark}" if mark else ""
        lines.append(f"{symbol:<10} {quote['price']:>14,.2f} {shown:>8}  {quote['source']}{fresh}")
    return lines


def snapshot_text(document: dict[str, Any]) -> str:
    """The whole text report, ending in a newline."""
    lines = [gauge_line(document), ""]
    board = board_lines(document)
    if board:
        lines += ["BREAKOUT BOARD", *board, ""]
    lines += ["QUOTES", *quote_lines(document)]
    if document["simulated"]:
        lines.append("SIMULATED data (--demo)")
    return "\n".join(lines) + "\n"
