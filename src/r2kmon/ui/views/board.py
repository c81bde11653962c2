"""View 2, the board: each breakout in detail (price, level, kind, the day the level was
set, distance, state, since, as of), and the event study — every past Russell 2000
breakout and what BTC, ETH and the alt basket did 30/90/180 days later, losses included,
with the summary against all windows of the same length.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from r2kmon.state import AppState
from r2kmon.ui.views.base import DrawContext, View, loading_text
from r2kmon.ui.views.board_rows import (
    BOARD_DETAIL_COLUMNS,
    EVENT_COLUMNS,
    SUMMARY_COLUMNS,
    board_rows,
    event_rows,
    summary_rows,
)
from r2kmon.ui.views.details import symbol_detail
from r2kmon.ui.widgets.table import ColumnTable

EMPTY_EVENTS = (
    "no breakout after a quiet spell in the loaded history (an all-time closing high "
    "after 6 months without one)"
)


class BoardView(View):
    """Breakouts per symbol, and what followed past ones."""

    TITLE = "Board"
    DIGIT = "2"

    def compose(self) -> ComposeResult:
        yield Static("Breakouts", classes="pane-title")
        yield ColumnTable(BOARD_DETAIL_COLUMNS, id="board-detail")
        yield Static("After past breakouts (returns from the breakout close)", classes="pane-title")
        yield ColumnTable(EVENT_COLUMNS, id="events")
        yield Static("Versus every window of the same length", classes="pane-title")
        yield ColumnTable(SUMMARY_COLUMNS, id="event-summary")

    def show(self, state: AppState, ctx: DrawContext) -> None:
        tables = (
            self.query_one("#board-detail", ColumnTable),
            self.query_one("#events", ColumnTable),
            self.query_one("#event-summary", ColumnTable),
        )
        analytics = state.analytics
        if analytics is None:
            wait = loading_text(state.analytics_status, ascii_only=ctx.ascii_only)
            for table in tables:
                table.set_rows([], wait)
            return
        board, events, summary = tables
        board.set_rows(board_rows(analytics.board, ctx, detail=True), Text("no board symbol"))
        board.styles.height = max(len(board.rows), 1) + 1
        events.set_rows(event_rows(analytics.event_studies, ctx), Text(EMPTY_EVENTS, "dim"))
        summary.set_rows(summary_rows(analytics.event_studies, ctx), Text(EMPTY_EVENTS, "dim"))

    def tick(self, state: AppState, ctx: DrawContext) -> None:
        """Nothing here ages by the second."""

    def detail(self, key: str, state: AppState, ctx: DrawContext) -> Text | None:
        if key.startswith(("event:", "summary:")):
            return None
        return symbol_detail(key, state, ctx)
