"""View 1, the dashboard: the risk-on gauge with its components, the breakout board and
the quote table (price, change, sparkline, source, age; stale rows marked).

At 80x24 the three panes stack (gauge, board, quotes); from 100 columns the gauge and the
board sit side by side above the quotes. Only the quote table changes at the refresh rate;
the gauge and the board repaint when the analytics change.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical

from r2kmon.runtime.state import AppState
from r2kmon.ui.rows import SparkCache, quote_rows
from r2kmon.ui.track_record import reading
from r2kmon.ui.views.base import DrawContext, View, loading_text
from r2kmon.ui.views.board_rows import BOARD_COLUMNS, board_rows
from r2kmon.ui.views.details import symbol_detail
from r2kmon.ui.widgets.gauge import GaugePanel
from r2kmon.ui.widgets.quote_table import QuoteTable
from r2kmon.ui.widgets.table import ColumnTable


class DashboardView(View):
    """Gauge, board, quotes."""

    TITLE = "Dashboard"
    DIGIT = "1"
    FIRST_FOCUS = "#quotes"

    def __init__(self, *, ascii_only: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.ascii_only = ascii_only
        self._sparks = SparkCache()

    def compose(self) -> ComposeResult:
        with Horizontal(id="dash-top"):
            yield GaugePanel(ascii_only=self.ascii_only, id="gauge")
            with Vertical(id="dash-board"):
                yield ColumnTable(BOARD_COLUMNS, id="board")
        yield QuoteTable(ascii_only=self.ascii_only, id="quotes")

    def show(self, state: AppState, ctx: DrawContext) -> None:
        self._show_quotes(state, ctx)
        analytics = state.analytics
        waiting = (
            None
            if analytics is not None
            else loading_text(state.analytics_status, ascii_only=ctx.ascii_only, what="the gauge")
        )
        label = analytics.gauge.label if analytics else None
        self.query_one(GaugePanel).show(
            analytics.gauge if analytics else None, waiting, reading(state.track_record, label)
        )
        board = self.query_one("#board", ColumnTable)
        if analytics is None:
            board.set_rows(
                [],
                loading_text(state.analytics_status, ascii_only=ctx.ascii_only, what="the board"),
            )
        else:
            board.set_rows(board_rows(analytics.board, ctx), Text("no board symbol matches", "dim"))
        # The board is as tall as its rows, so the quotes get the rest of the screen.
        board.styles.height = max(len(board.rows), 1) + 1

    def tick(self, state: AppState, ctx: DrawContext) -> None:
        """Once a second only the quotes' ages (and stale marks) move; the gauge and the
        board change with the state, not with the clock."""
        self._show_quotes(state, ctx)

    def _show_quotes(self, state: AppState, ctx: DrawContext) -> None:
        rows = quote_rows(state, ctx.now, self._sparks)
        self.query_one(QuoteTable).set_rows(
            [r for r in rows if ctx.matches(r.symbol)],
            placeholder=Text(
                "no symbol matches the filter" if ctx.filter else "no symbols configured"
            ),
        )

    def detail(self, key: str, state: AppState, ctx: DrawContext) -> Text | None:
        return symbol_detail(key, state, ctx)
