"""What ``enter`` shows about a row: a symbol or a source, every field spelled out.

Used by the views' :meth:`~r2kmon.ui.views.base.View.detail`; the app puts the text in a
modal. Remote text (symbols, source names, errors) is appended as plain text.
"""

from __future__ import annotations

from rich.text import Text

from r2kmon.model import SourceHealth
from r2kmon.model.state import AppState
from r2kmon.ui import format as fmt
from r2kmon.ui.palette import (
    BREAKOUT_STYLE,
    DIM,
    HEALTH_STYLE,
    TITLE,
    WARN,
    breakout_word,
    health_word,
)
from r2kmon.ui.views.base import DrawContext
from r2kmon.ui.views.board_rows import KIND_WORDS

FRESHNESS_SAID = {
    "delayed": "delayed: an earlier price stands in while the market trades",
    "closed": "closed: the market is shut; this is its last price",
}
"""What the detail says of a delayed or closed quote (``STALE`` keeps its line)."""


def _line(text: Text, label: str, value: str | Text) -> None:
    text.append(f"\n{label:<16}", DIM)
    if isinstance(value, Text):
        text.append_text(value)
    else:
        text.append(value)


def symbol_detail(symbol: str, state: AppState, ctx: DrawContext) -> Text:
    """The quote, the board row, correlations and the live source of ``symbol``."""
    hub = state.hub
    text = Text()
    text.append(symbol, TITLE)
    quote = hub.quotes.get(symbol)
    if quote is None:
        _line(text, "price", "— no quote yet")
    else:
        _line(text, "price", fmt.price(quote.price))
        _line(text, "change", fmt.change(quote.change_pct, ascii_only=ctx.ascii_only))
        _line(text, "source", quote.source)
        _line(text, "observed", fmt.when(quote.ts, with_time=True) + " UTC")
        _line(text, "age", fmt.age(quote.age(ctx.now)))
        freshness = state.freshness_of(symbol)
        if freshness == "stale":
            _line(text, "", Text("STALE: no fresh price from its source", WARN))
        elif freshness != "live":
            _line(text, "", Text(FRESHNESS_SAID[freshness], DIM))
    _line(text, "1-min bars", str(len(hub.bars_1m.get(symbol, ()))))
    _line(text, "daily bars", str(len(hub.bars_1d.get(symbol, ()))))
    analytics = state.analytics
    if analytics is None:
        _line(text, "analytics", state.analytics_status.detail)
        return text
    for row in analytics.board:
        if row.symbol != symbol:
            continue
        _line(
            text,
            "breakout",
            Text(
                breakout_word(row.state, ascii_only=ctx.ascii_only),
                BREAKOUT_STYLE.get(row.state or "", DIM),
            ),
        )
        level = "—" if row.resistance is None else fmt.price(row.resistance)
        kind = KIND_WORDS.get(row.resistance_kind or "", "—")
        _line(text, "resistance", f"{level} ({kind} high set {fmt.when(row.resistance_date)})")
        _line(text, "distance", fmt.signed(row.distance_pct, 2, "%"))
        _line(text, "state since", fmt.when(row.since))
    for corr in analytics.correlation:
        if symbol in (corr.a, corr.b):
            value = "—" if corr.value is None else f"{corr.value:+.2f}"
            _line(
                text,
                f"corr {corr.window_days}d",
                f"{corr.a} / {corr.b}: {value} (as of {fmt.when(corr.as_of)})",
            )
    return text


def source_detail(record: SourceHealth, ctx: DrawContext) -> Text:
    """Everything the health record of one source says."""
    text = Text()
    text.append(record.name, TITLE)
    text.append(f"  ({record.kind})", DIM)
    _line(
        text,
        "status",
        Text(health_word(record.status, ascii_only=ctx.ascii_only), HEALTH_STYLE[record.status]),
    )
    _line(text, "last ok", fmt.when(record.last_ok, with_time=True))
    if record.last_ok is not None:
        _line(text, "age", fmt.age(max(0.0, ctx.now - record.last_ok)))
    _line(text, "msgs/s", f"{record.msgs_per_s:.1f}")
    _line(text, "bad frames", str(record.bad_frames))
    if record.retry_at is not None:
        _line(text, "next attempt", fmt.countdown(record.retry_at - ctx.now))
    if record.silent_symbols:
        _line(text, "silent symbols", ", ".join(record.silent_symbols))
    _line(text, "last error", record.last_error or "—")
    if record.simulated:
        _line(text, "", Text("simulated (--demo)", DIM))
    return text
