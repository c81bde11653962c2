"""View 8, portfolio: the ``[[holdings]]`` of the config at the live prices. For each
holding its quantity, price, value, weight, cost, profit and loss, and the day's change in
dollars, with the price's source and age; the totals above, saying how many holdings they
cover. ``[general] private`` hides quantities and amounts (weights and percentages stay).
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult

from r2kmon.model.portfolio import Portfolio, Position
from r2kmon.model.state import AppState
from r2kmon.ui import format as fmt
from r2kmon.ui.palette import DIM, WARN, direction_style
from r2kmon.ui.views.base import DrawContext, View
from r2kmon.ui.widgets.line import TextLine
from r2kmon.ui.widgets.table import Column, ColumnTable, TableRow

COLUMNS = (
    Column("SYMBOL", 10),
    Column("QTY", 12, "right", drop=3),
    Column("PRICE", 12, "right"),
    Column("VALUE", 13, "right"),
    Column("WEIGHT", 7, "right", drop=3),
    Column("COST/UNIT", 11, "right", drop=2),
    Column("P&L", 13, "right", drop=1),
    Column("P&L %", 8, "right"),
    Column("DAY", 12, "right", drop=2),
    Column("SOURCE", 12, drop=4),
    Column("AGE", 9, "right"),
)

NO_HOLDINGS = "no holdings: add [[holdings]] tables to the config (see the README's Portfolio)"


def hidden(ctx: DrawContext) -> Text:
    """What private mode shows instead of a quantity or an amount."""
    return Text("***" if ctx.ascii_only else "•••", DIM)


def money(value: float | None, ctx: DrawContext, *, signed: bool = False) -> Text:
    """Dollars as ``12,345.67`` (``+`` when ``signed``); hidden in private mode."""
    if value is None:
        return Text("—", DIM)
    if ctx.private:
        return hidden(ctx)
    text = f"{value:+,.2f}" if signed else f"{value:,.2f}"
    return Text(text, direction_style(value) if signed else "")


def percent(value: float | None) -> Text:
    if value is None:
        return Text("—", DIM)
    return Text(f"{value:+.2f}%", direction_style(value))


def position_row(position: Position, ctx: DrawContext) -> TableRow:
    holding = position.holding
    quantity = hidden(ctx) if ctx.private else Text(f"{holding.quantity:,g}")
    if position.price is None:
        age = Text("no data", DIM)
    elif position.stale:
        age = Text(fmt.age(max(0.0, ctx.now - (position.ts or ctx.now))) + " STALE", WARN)
    else:
        age = Text(fmt.age(max(0.0, ctx.now - (position.ts or ctx.now))))
    return TableRow(
        holding.symbol,
        (
            Text(holding.symbol),
            quantity,
            Text(fmt.price(position.price), DIM if position.stale else "")
            if position.price is not None
            else Text("—", DIM),
            money(position.value, ctx),
            Text(f"{position.weight:.1f}%") if position.weight is not None else Text("—", DIM),
            hidden(ctx)
            if ctx.private and holding.cost is not None
            else Text(fmt.price(holding.cost))
            if holding.cost is not None
            else Text("—", DIM),
            money(position.pnl, ctx, signed=True),
            percent(position.pnl_pct),
            money(position.day, ctx, signed=True),
            Text(position.source or "—", "" if position.source else DIM),
            age,
        ),
    )


def totals_text(portfolio: Portfolio, ctx: DrawContext) -> Text:
    """``Value 12,345.67 · P&L +1,234.56 (+11.11%) · day -123.45 (-0.99%) · 3/3 priced``
    (private: the percentages only)."""
    text = Text()
    count = len(portfolio.positions)
    if portfolio.value is None:
        text.append(f"no prices yet for the {count} holdings", DIM)
        return text
    if not ctx.private:
        text.append("Value ")
        text.append(f"{portfolio.value:,.2f}", "bold")
        text.append(" · ")
    text.append("P&L ")
    if portfolio.pnl is None:
        text.append("— (no cost given)", DIM)
    else:
        if not ctx.private:
            text.append(money(portfolio.pnl, ctx, signed=True))
            text.append(" (")
        text.append(percent(portfolio.pnl_pct))
        if not ctx.private:
            text.append(")")
    if portfolio.day is not None:
        before = portfolio.value - portfolio.day
        text.append(" · day ")
        if not ctx.private:
            text.append(money(portfolio.day, ctx, signed=True))
            text.append(" (")
        text.append(percent(portfolio.day / before * 100 if before else None))
        if not ctx.private:
            text.append(")")
    style = WARN if portfolio.priced < count else DIM
    text.append(f" · {portfolio.priced}/{count} priced", style)
    return text


class PortfolioView(View):
    """The holdings at the live prices."""

    TITLE = "Portfolio"
    DIGIT = "8"
    FIRST_FOCUS = "#holdings"

    def compose(self) -> ComposeResult:
        yield TextLine(id="totals")
        yield ColumnTable(COLUMNS, id="holdings")

    def show(self, state: AppState, ctx: DrawContext) -> None:
        portfolio = state.portfolio
        table = self.query_one("#holdings", ColumnTable)
        totals = self.query_one("#totals", TextLine)
        if portfolio is None:
            totals.set(Text("Portfolio", "bold"))
            table.set_rows([], Text(NO_HOLDINGS, DIM))
            return
        line = totals_text(portfolio, ctx)
        if any(p.holding.example for p in portfolio.positions):
            # The demo's sample holdings: say so first, so nobody takes them for theirs.
            line = Text.assemble(("EXAMPLE holdings (demo, not in your config)", WARN), " · ", line)
        totals.set(line)
        rows = [position_row(p, ctx) for p in portfolio.positions if ctx.matches(p.holding.symbol)]
        table.set_rows(rows, ctx.empty("no holding"))
