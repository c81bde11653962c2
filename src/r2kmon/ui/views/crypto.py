"""View 3, crypto: every streamed pair with its live price, 24 h change, the exchange it
comes from, age, latency (tick time versus snapshot time) and that exchange's message
rate; each exchange feed with its state and the pairs it serves; 24 h breadth.

The live quote of a pair comes from the exchange serving it (after failover); the other
exchanges that stream it (hot standbys) are shown beside it with their own price and the
spread in basis points. An exchange without a price says its state instead.
"""

from __future__ import annotations

from collections.abc import Mapping

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from r2kmon.model import HubSnapshot, Quote, SourceHealth, is_crypto_pair
from r2kmon.model.state import AppState
from r2kmon.ui import format as fmt
from r2kmon.ui.palette import DIM, HEALTH_STYLE, TITLE, WARN, direction_style, health_word
from r2kmon.ui.rows import age_cell
from r2kmon.ui.views.base import DrawContext, View
from r2kmon.ui.views.details import source_detail, symbol_detail
from r2kmon.ui.widgets.line import TextLine
from r2kmon.ui.widgets.table import Column, ColumnTable, TableRow

PAIR_COLUMNS = (
    Column("PAIR", 10),
    Column("PRICE", 13, "right"),
    Column("24H", 9, "right"),
    Column("SOURCE", 12),
    # Streamed pairs are live or STALE; "closed" fits too, a polled "delayed" would be cut.
    Column("AGE", 6, "right"),
    Column("LATENCY", 8, "right", drop=1),
    Column("MSG/S", 6, "right", drop=2),
    Column("OTHER EXCHANGES / SPREAD", 20, flex=True, drop=3),
)

FEED_COLUMNS = (
    Column("EXCHANGE", 15),  # binance-breadth
    Column("STATE", 13),
    Column("MSG/S", 7, "right"),
    Column("BAD", 5, "right", drop=2),
    Column("PAIRS SERVED", 20, flex=True),
)

BREADTH_CONTEXT = ("crypto_breadth_up_pct", "alts_beating_btc_pct")
"""Hub context values the breadth feed pushes (percent), used when analytics lack them."""


def latency_text(seconds: float) -> str:
    """Tick-to-snapshot delay: ``120ms`` / ``3.4s`` / ``5m``."""
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 60:
        return f"{seconds:.1f}s"
    return fmt.age(seconds)


def pair_rows(state: AppState, ctx: DrawContext) -> list[TableRow]:
    """Every configured pair, data or not; a price that is not live says how in its age
    cell (the state's freshness: ``STALE``, ...)."""
    hub = state.hub
    feeds = [h for h in hub.health.values() if h.kind == "feed"]
    rows = []
    for symbol in hub.symbols:
        if not is_crypto_pair(symbol) or not ctx.matches(symbol):
            continue
        quote = hub.quotes.get(symbol)
        if quote is None:
            rows.append(TableRow(symbol, (Text(symbol), Text("—", DIM), "", Text("no data", DIM))))
            continue
        health = hub.health.get(quote.source)
        freshness = state.freshness_of(symbol)
        stale = freshness == "stale"
        other_text = others_text(quote, hub.standby.get(symbol, {}), feeds)
        change = quote.change_pct
        rows.append(
            TableRow(
                symbol,
                (
                    Text(symbol),
                    Text(fmt.price(quote.price), DIM if stale else ""),
                    Text(fmt.change(change, ascii_only=ctx.ascii_only), direction_style(change)),
                    Text(quote.source),
                    Text(
                        age_cell(freshness, quote.age(ctx.now)),
                        WARN if stale else "" if freshness == "live" else DIM,
                    ),
                    latency_text(max(0.0, hub.taken_at - quote.ts)),
                    f"{health.msgs_per_s:.1f}" if health else "—",
                    other_text,
                ),
            )
        )
    return rows


def others_text(quote: Quote, standby: Mapping[str, Quote], feeds: list[SourceHealth]) -> Text:
    """The other exchanges' prices and their spread to the live one, in basis points:
    ``kraken 87,370.10 (+1.2bp)``; an exchange without a price says its state instead."""
    text = Text()
    for record in feeds:
        if record.summary or record.name == quote.source or record.name.endswith("-breadth"):
            continue  # a summary (crypto-feeds) is no exchange with a price of its own
        if text:
            text.append(", ", DIM)
        other = standby.get(record.name)
        if other is None:
            text.append(f"{record.name} {record.status}", DIM)
            continue
        spread_bp = float((other.price - quote.price) / quote.price * 10_000)
        text.append(f"{record.name} {fmt.price(other.price)} ({spread_bp:+.1f}bp)")
    if not text:
        text.append("single feed", DIM)
    return text


def feed_rows(hub: HubSnapshot, ctx: DrawContext) -> list[TableRow]:
    """Each exchange feed: state, message rate, bad frames, the pairs it serves now."""
    served: dict[str, list[str]] = {}
    for symbol, quote in hub.quotes.items():
        if is_crypto_pair(symbol):
            served.setdefault(quote.source, []).append(symbol)
    rows = []
    for record in hub.health.values():
        if record.kind != "feed" or not ctx.matches(record.name):
            continue
        rows.append(
            TableRow(
                f"src:{record.name}",
                (
                    Text(record.name),
                    Text(
                        health_word(record.status, ascii_only=ctx.ascii_only),
                        HEALTH_STYLE[record.status],
                    ),
                    f"{record.msgs_per_s:.1f}",
                    str(record.bad_frames),
                    Text(", ".join(served.get(record.name, [])) or "none"),
                ),
            )
        )
    return rows


def breadth_text(state: AppState, ctx: DrawContext) -> Text:
    """24 h breadth from the analytics, else from the breadth feed's context values."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append("24h breadth  ", TITLE)
    entry = None
    if state.analytics is not None:
        entry = next((c for c in state.analytics.context if c.name == "breadth_24h"), None)
    if entry is not None and entry.value is not None:
        text.append(f"{entry.value * 100:.0f}% advancing")
        beating = entry.detail.get("beating_btc_share")
        if isinstance(beating, float):
            text.append(f" · {beating * 100:.0f}% beating BTC")
        coins = entry.detail.get("coins")
        if coins is not None:
            text.append(f" · {coins} coins", DIM)
        text.append(f" · {entry.source} as of {fmt.when(entry.as_of, with_time=True)}", DIM)
        return text
    up, alts = (state.hub.context.get(name) for name in BREADTH_CONTEXT)
    if up is not None and up.value is not None:
        text.append(f"{up.value:.0f}% advancing")
        if alts is not None and alts.value is not None:
            text.append(f" · {alts.value:.0f}% of alts beating BTC")
        text.append(f" · {up.source} as of {fmt.when(up.as_of, with_time=True)}", DIM)
        return text
    text.append("— no 24 h changes streamed yet (needs the breadth feed or analytics)", DIM)
    return text


class CryptoView(View):
    """Every streamed pair and the exchanges behind them."""

    TITLE = "Crypto"
    DIGIT = "3"

    def compose(self) -> ComposeResult:
        yield TextLine(id="breadth")
        yield ColumnTable(PAIR_COLUMNS, id="pairs")
        yield Static("Exchange feeds", classes="pane-title")
        yield ColumnTable(FEED_COLUMNS, id="feeds")

    def show(self, state: AppState, ctx: DrawContext) -> None:
        hub = state.hub
        line = breadth_text(state, ctx)
        # Binance and most venues quote BTC in USDT, not USD: say which rule is in force.
        line.append("  ·  ", DIM)
        line.append(
            "USDT pairs stand for USD (usdt_as_usd)" if ctx.usdt_as_usd else "USD pairs only",
            DIM,
        )
        self.query_one("#breadth", TextLine).set(line)
        pairs = self.query_one("#pairs", ColumnTable)
        pairs.set_rows(pair_rows(state, ctx), ctx.empty("no crypto pair configured"))
        feeds = self.query_one("#feeds", ColumnTable)
        feeds.set_rows(feed_rows(hub, ctx), ctx.empty("no exchange feed has reported yet"))

    def detail(self, key: str, state: AppState, ctx: DrawContext) -> Text | None:
        if key.startswith("src:"):
            record = state.hub.health.get(key[4:])
            return source_detail(record, ctx) if record else None
        return symbol_detail(key, state, ctx)
