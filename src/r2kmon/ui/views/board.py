"""View 2, the board: each breakout in detail, one line per symbol and level kind (price,
level, kind, the day the level was set, distance, that level's state and since, as of; the
level that matters marked), the signal journal of the symbol under that table's cursor
(from 100 columns: each change of its levels' states and each of its alerts, as the
runtime's state carries them; the view never opens the store), and the event study —
every past Russell 2000 breakout and what BTC, ETH and the alt basket did 30/90/180 days
later, losses included, with the summary against all windows of the same length.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from r2kmon.model.journal import RecentJournal
from r2kmon.model.state import AppState
from r2kmon.ui.views.base import DrawContext, View, loading_text
from r2kmon.ui.views.board_rows import (
    EARLIER_MARK,
    EVENT_COLUMNS,
    JOURNAL_COLUMNS,
    LEVEL_COLUMNS,
    MATTERS_MARK,
    SUMMARY_COLUMNS,
    TRACK_COLUMNS,
    began_before_level,
    event_rows,
    journal_placeholder,
    journal_rows,
    journal_title,
    level_rows,
    summary_rows,
    track_record_rows,
)
from r2kmon.ui.views.details import symbol_detail
from r2kmon.ui.widgets.table import ColumnTable, LineTable

EMPTY_EVENTS = (
    "no breakout after a quiet spell in the loaded history (an all-time closing high "
    "after 6 months without one)"
)


TRACK_WAITING = (
    "the gauge's track record comes once the daily history is loaded and replayed "
    "(a minute or so after start)"
)


class BoardView(View):
    """Breakouts per symbol and level, and what followed past ones."""

    TITLE = "Board"
    DIGIT = "2"
    _legend: tuple[str, bool] = ("", False)
    """The matters mark the title's legend was drawn with, and whether it explained
    :data:`EARLIER_MARK`."""
    _journal: tuple[RecentJournal | None, DrawContext] | None = None
    """The journal and the context last drawn: the pane redraws from them when the cursor
    moves to another symbol between two states."""

    def compose(self) -> ComposeResult:
        yield Static("Breakouts", id="board-title", classes="pane-title")
        yield ColumnTable(LEVEL_COLUMNS, id="board-detail")
        yield Static(journal_title(None), id="journal-title", classes="pane-title")
        yield ColumnTable(JOURNAL_COLUMNS, id="journal")
        yield Static("After past breakouts (returns from the breakout close)", classes="pane-title")
        yield ColumnTable(EVENT_COLUMNS, id="events")
        yield Static("Versus every window of the same length", classes="pane-title")
        yield ColumnTable(SUMMARY_COLUMNS, id="event-summary")
        yield Static(
            "The gauge's track record: BTC after each band, replayed on the daily history",
            id="track-title",
            classes="pane-title",
        )
        yield ColumnTable(TRACK_COLUMNS, id="track-record")

    def show(self, state: AppState, ctx: DrawContext) -> None:
        tables = (
            self.query_one("#board-detail", ColumnTable),
            self.query_one("#events", ColumnTable),
            self.query_one("#event-summary", ColumnTable),
        )
        self._journal = (state.journal, ctx)
        analytics = state.analytics
        if analytics is None:
            wait = loading_text(state.analytics_status, ascii_only=ctx.ascii_only)
            for table in (*tables, self.query_one("#track-record", ColumnTable)):
                table.set_rows([], wait)
            self._show_journal()
            return
        board, events, summary = tables
        mark = MATTERS_MARK[1 if ctx.ascii_only else 0]
        earlier = any(
            began_before_level(level)
            for row in analytics.board
            if ctx.matches(row.symbol)
            for level in row.levels
        )
        if (mark, earlier) != self._legend:  # changes with the ASCII setting and the data
            self._legend = (mark, earlier)
            legend = f"Breakouts, every level: {mark} the one that matters (dashboard, gauge)"
            if earlier:
                legend += f"; {EARLIER_MARK} state began before its level was set"
            self.query_one("#board-title", Static).update(Text(legend))
        board.set_rows(level_rows(analytics.board, ctx), ctx.empty("no board symbol"))
        board.styles.height = max(len(board.rows), 1) + 1
        self._show_journal()
        events.set_rows(event_rows(analytics.event_studies, ctx), ctx.empty(EMPTY_EVENTS))
        summary.set_rows(summary_rows(analytics.event_studies, ctx), ctx.empty(EMPTY_EVENTS))
        self._show_track_record(state, ctx)

    def _show_journal(self) -> None:
        """The journal of the symbol under the level table's cursor (hidden at 80 columns,
        where it would take the studies' rows: ``app.tcss``)."""
        if self._journal is None:
            return
        journal, ctx = self._journal
        symbol = self.query_one("#board-detail", ColumnTable).selected_key
        self.query_one("#journal-title", Static).update(Text(journal_title(symbol)))
        entries = journal.of(symbol) if journal is not None and symbol is not None else ()
        self.query_one("#journal", ColumnTable).set_rows(
            journal_rows(entries, ctx), journal_placeholder(journal, symbol)
        )

    def on_line_table_highlighted(self, event: LineTable.Highlighted) -> None:
        if event.table.id == "board-detail":
            self._show_journal()  # the pane follows the cursor

    def _show_track_record(self, state: AppState, ctx: DrawContext) -> None:
        table = self.query_one("#track-record", ColumnTable)
        record = state.track_record
        if record is None:
            table.set_rows([], Text(TRACK_WAITING, "dim"))
        else:
            coverage = (
                f", mean coverage {record.mean_coverage * 100:.0f}%"
                if record.mean_coverage is not None
                else ""
            )
            title = (
                f"The gauge's track record, BTC after each band: replayed {record.first_day} "
                f"to {record.last_day}{coverage}; n<{record.min_cases}: too few"
            )
            self.query_one("#track-title", Static).update(Text(title))
            table.set_rows(track_record_rows(record, ctx))
        table.styles.height = max(len(table.rows), 1) + 1

    def tick(self, state: AppState, ctx: DrawContext) -> None:
        """Nothing here ages by the second."""

    def detail(self, key: str, state: AppState, ctx: DrawContext) -> Text | None:
        if key.startswith(("event:", "summary:")):
            return None
        return symbol_detail(key, state, ctx)
