"""View 6, macro: altcoin season, BTC dominance, net liquidity, VIX, the dollar, the
10-year yield, IWM flows (or the labelled money-flow proxy), relative strength and
sentiment — each with its trend, ``as_of`` and source.

A value that could not be had shows ``—`` and the reason (not configured, not fetched yet,
analytics still loading, or ``down: <reason>`` when the source that brings it failed),
never a guess.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from r2kmon.model import HubSnapshot, failure_headline
from r2kmon.model.analytics import Component, ContextEntry
from r2kmon.model.state import AppState
from r2kmon.ui import format as fmt
from r2kmon.ui.palette import DIM, direction_style
from r2kmon.ui.views.base import DrawContext, View
from r2kmon.ui.widgets.table import Column, ColumnTable, TableRow

MACRO_COLUMNS = (
    Column("SIGNAL", 15),
    Column("VALUE", 9, "right"),
    Column("TREND", 22),
    Column("AS OF", 10),
    Column("SOURCE", 16, drop=1),
    Column("NOTE / WHY MISSING", 12, flex=True),
)

MACRO_NARROW = (
    *MACRO_COLUMNS[:2],
    Column("TREND", 17),
    MACRO_COLUMNS[3],
    Column("SOURCE", 0),
    MACRO_COLUMNS[5],
)
"""The same columns with the source hidden (width 0), for the 80x24 layout."""

VIX, DOLLAR, TEN_YEAR = "^VIX", "DX-Y.NYB", "^TNX"
# FRED series names the hub keys its context values by (see sources/fred.py).
FRED_VIX, FRED_DOLLAR, FRED_10Y, FEAR_GREED = (
    "vix_close",
    "usd_broad_index",
    "us10y_yield",
    "fear_greed",
)


# Who brings each signal (the health record names of sources/ and feeds/): a missing value
# whose sources are all down says so, with their reason, instead of "no answer yet".
COIN_MARKET_SOURCES = ("coingecko", "coinpaprika")
"""BTC dominance, and the alt coins' history behind the altcoin season."""
LIQUIDITY_SOURCES = ("fred",)
MARKET_SOURCES = ("yahoo", "fred")
FLOW_SOURCES = ("ishares", "yahoo")
FEAR_GREED_SOURCES = ("alternative_me",)


def down_reason(hub: HubSnapshot, sources: tuple[str, ...]) -> str | None:
    """``down: <reason>`` when every one of ``sources`` that reports is down, else
    ``None`` (one still working may yet bring the value). The reason is the first one's;
    with several, their names follow it, after what 80 columns show."""
    records = [hub.health[name] for name in sources if name in hub.health]
    if not records or any(record.status != "down" for record in records):
        return None
    reason = f"down: {failure_headline(records[0])}"
    if len(records) > 1:
        reason += f" ({records[0].name}; {', '.join(r.name for r in records[1:])} too)"
    return reason


def _trend(
    value: float | None,
    unit: str,
    ctx: DrawContext,
    words: tuple[str, str] = ("rising", "falling"),
    shown: str | None = None,
) -> Text:
    """An arrow, a word and the number, so the direction never rests on colour."""
    if value is None:
        return Text("—", DIM)
    up, down = ("^", "v") if ctx.ascii_only else ("▲", "▼")
    number = shown if shown is not None else f"{value:+.1f}{unit}"
    if value == 0:
        return Text(f"= flat {number}")
    word = words[0] if value > 0 else words[1]
    return Text(f"{up if value > 0 else down} {word} {number}", direction_style(value))


def _row(
    key: str,
    name: str,
    value: str | Text,
    trend: Text,
    as_of: float | None,
    source: str,
    note: str | Text,
) -> TableRow:
    return TableRow(
        key,
        (
            name,
            value,
            trend,
            fmt.when(as_of),
            Text(source),
            note if isinstance(note, Text) else Text(note, DIM),
        ),
    )


def _missing_row(key: str, name: str, reason: str) -> TableRow:
    return TableRow(key, (name, Text("—", DIM), Text("—", DIM), "—", "", Text(reason, DIM)))


def _market_row(
    key: str,
    name: str,
    hub: HubSnapshot,
    symbol: str,
    fred: str,
    component: Component | None,
    ctx: DrawContext,
) -> TableRow:
    """A market number from the live quote, else from FRED's daily value."""
    trend = _trend(
        component.value if component else None, "% vs avg", ctx, ("above avg", "below avg")
    )
    quote = hub.quotes.get(symbol)
    if quote is not None:
        return _row(key, name, fmt.price(quote.price), trend, quote.ts, quote.source, symbol)
    value = hub.context.get(fred)
    if value is not None and value.value is not None:
        return _row(
            key, name, fmt.number(value.value), trend, value.as_of, value.source, f"FRED {fred}"
        )
    if (down := down_reason(hub, MARKET_SOURCES)) is not None:
        reason = down
    elif symbol not in hub.symbols:
        reason = f"{symbol} is not in [markets] symbols and FRED has not answered"
    else:
        reason = f"no quote for {symbol} yet"
    return _missing_row(key, name, reason)


def _number(entry: ContextEntry, key: str) -> float | None:
    value = entry.detail.get(key)
    return value if isinstance(value, float) else None


Cells = tuple[str, str | Text, Text, str | Text]
"""What a present signal shows: its name, value, trend and note."""


@dataclass(frozen=True, slots=True)
class Signal:
    """A row drawn from one ``context`` entry of the analytics."""

    key: str
    """The entry's name, and the row's key."""
    name: str
    sources: tuple[str, ...]
    """Who brings it: when all of them are down, the row says so."""
    missing: str
    """Why it is missing when the analytics are ready and its sources are not down."""
    cells: Callable[[ContextEntry, DrawContext], Cells]


def _season(entry: ContextEntry, ctx: DrawContext) -> Cells:
    detail = entry.detail
    note = (
        f"{detail.get('beating_btc')} of {detail.get('coins')} coins beat BTC over "
        f"{detail.get('window_days')} days"
    )
    return "Altcoin season", f"{entry.value:.0f}/100", Text(entry.label or "—"), note


def _dominance(entry: ContextEntry, ctx: DrawContext) -> Cells:
    trend = _trend(_number(entry, "change_pp"), "pp", ctx)
    return "BTC dominance", f"{entry.value:.1f}%", trend, entry.label or ""


def _liquidity(entry: ContextEntry, ctx: DrawContext) -> Cells:
    trend = _trend(_number(entry, "change_4w_pct"), "% 4w", ctx)
    note = "Fed assets minus TGA and reverse repo, USD"
    return "Net liquidity", fmt.big(entry.value, ""), trend, note


def _flows(entry: ContextEntry, ctx: DrawContext) -> Cells:
    name = "IWM flows" if entry.detail.get("kind") == "implied" else "IWM flow proxy"
    week = _number(entry, "week_usd")
    shown = f"{fmt.big(week)} 1w" if week is not None else None
    note = Text(entry.label or "")
    if entry.detail.get("divergence"):
        note.append("  DIVERGENCE: flows against price", "bold yellow")
    return name, fmt.big(entry.value, ""), _trend(week, "", ctx, ("in", "out"), shown), note


SEASON, DOMINANCE, LIQUIDITY, FLOWS = (
    Signal(
        "altcoin_season", "Altcoin season", COIN_MARKET_SOURCES,
        "needs 90 days of the alt coins and BTC", _season,
    ),
    Signal(
        "btc_dominance", "BTC dominance", COIN_MARKET_SOURCES,
        "no dominance from CoinGecko/CoinPaprika yet", _dominance,
    ),
    Signal(
        "net_liquidity", "Net liquidity", LIQUIDITY_SOURCES,
        "needs FRED WALCL, WTREGEN and RRPONTSYD", _liquidity,
    ),
    Signal(
        "flows", "IWM flows", FLOW_SOURCES,
        "no iShares shares data and no IWM volume history", _flows,
    ),
)  # fmt: skip


def _signal_row(
    signal: Signal, entries: Mapping[str, ContextEntry], state: AppState, ctx: DrawContext
) -> TableRow:
    """The one row shape of a context signal: its cells, or ``—`` and why it is missing
    (its sources down, the analytics still loading, or what it needs)."""
    entry = entries.get(signal.key)
    if entry is None or entry.value is None:
        waiting = state.analytics_status.detail if state.analytics is None else signal.missing
        reason = down_reason(state.hub, signal.sources) or waiting
        return _missing_row(signal.key, signal.name, reason)
    name, value, trend, note = signal.cells(entry, ctx)
    return _row(signal.key, name, value, trend, entry.as_of, entry.source, note)


def _relative_strength_row(entry: ContextEntry) -> TableRow:
    pct = _number(entry, "pct_vs_slow")
    return _row(
        entry.name, entry.name[3:], "—" if entry.value is None else f"{entry.value:.4f}",
        Text(entry.label or "—"), entry.as_of, entry.source,
        "" if pct is None else f"{pct:+.1f}% vs 200-day average",
    )  # fmt: skip


def _fear_greed_row(hub: HubSnapshot, component: Component | None) -> TableRow:
    """From the provider's latest value, else from what the analytics last had."""
    name, note = "Fear & greed", "crypto sentiment"
    fg = hub.context.get(FEAR_GREED)
    if fg is not None and fg.value is not None:
        value, as_of, source = fg.value, fg.as_of, fg.source
    elif component is not None and component.value is not None:
        value, as_of, source = component.value, component.as_of, "analytics"
    else:
        reason = down_reason(hub, FEAR_GREED_SOURCES) or "no answer from alternative.me yet"
        return _missing_row("fear_greed", name, reason)
    return _row("fear_greed", name, f"{value:.0f}/100", Text("—", DIM), as_of, source, note)


def macro_rows(state: AppState, ctx: DrawContext) -> list[TableRow]:
    """Every macro signal, present or with the reason it is missing."""
    hub = state.hub
    analytics = state.analytics
    entries: Mapping[str, ContextEntry] = (
        {c.name: c for c in analytics.context} if analytics is not None else {}
    )
    components: Mapping[str, Component] = (
        {c.name: c for c in analytics.gauge.components} if analytics is not None else {}
    )
    rows = [_signal_row(signal, entries, state, ctx) for signal in (SEASON, DOMINANCE, LIQUIDITY)]
    rows.append(_market_row("vix", "VIX", hub, VIX, FRED_VIX, components.get("vix_trend"), ctx))
    rows.append(
        _market_row(
            "dollar", "Dollar", hub, DOLLAR, FRED_DOLLAR, components.get("dollar_trend"), ctx
        )
    )
    rows.append(_market_row("us10y", "10-year yield", hub, TEN_YEAR, FRED_10Y, None, ctx))
    rows.append(_signal_row(FLOWS, entries, state, ctx))
    rows += [_relative_strength_row(e) for name, e in entries.items() if name.startswith("rs:")]
    rows.append(_fear_greed_row(hub, components.get("fear_greed")))
    return [r for r in rows if ctx.matches(r.key, str(r.cells[0]))]


class MacroView(View):
    """Market context, each number with its age and source."""

    TITLE = "Macro"
    DIGIT = "6"

    def compose(self) -> ComposeResult:
        yield Static(
            "Market context (— means not available, with the reason)", classes="pane-title"
        )
        yield ColumnTable(MACRO_COLUMNS, id="macro")

    def show(self, state: AppState, ctx: DrawContext) -> None:
        table = self.query_one("#macro", ColumnTable)
        # 80 columns: the source gives way to the note, which says why a value is missing.
        table.set_columns(MACRO_NARROW if ctx.narrow else MACRO_COLUMNS)
        self.query_one("#macro", ColumnTable).set_rows(
            macro_rows(state, ctx), ctx.empty("no signal yet")
        )

    def tick(self, state: AppState, ctx: DrawContext) -> None:
        """Dates only; nothing ages by the second."""

    def detail(self, key: str, state: AppState, ctx: DrawContext) -> Text | None:
        """Every cell of the signal, uncut (the note is often wider than 80 columns)."""
        row = next((r for r in macro_rows(state, ctx) if r.key == key), None)
        if row is None:
            return None
        text = Text()
        for column, cell in zip(MACRO_COLUMNS, row.cells, strict=False):
            text.append(f"{column.name.lower():<20}", DIM)
            text.append_text(cell if isinstance(cell, Text) else Text(cell))
            text.append("\n")
        return text
