"""View 1, the dashboard: the risk-on gauge with its components, the breakout board and
the quote table (price, change, sparkline, source, age; stale rows marked).

At 80x24 the three panes stack (gauge, board, quotes); from 100 columns the gauge and the
board sit side by side above the quotes. From :data:`WIDE_FROM` columns the dashboard
answers the whole question on one screen: a headline (score, label, change, coverage and
one sentence), the gauge's components as a table (``tab`` to it, ``enter`` opens one), the
"Reaching crypto?" panel beside the board, then the quotes. Only the quote table changes at
the refresh rate; the rest repaints when the state changes.
"""

from __future__ import annotations

from dataclasses import replace

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.events import Resize

from r2kmon.model.state import AppState
from r2kmon.runtime.reaching import reaching as reaching_of
from r2kmon.ui.rows import SparkCache, quote_rows
from r2kmon.ui.track_record import reading
from r2kmon.ui.views.base import DrawContext, View, loading_text
from r2kmon.ui.views.board_rows import BOARD_COLUMNS, SUMMARY_COLUMNS, board_rows, summary_rows
from r2kmon.ui.views.dashboard_rows import (
    COMPONENT_COLUMNS,
    COMPONENT_KEY,
    component_detail,
    component_rows,
    headline,
    reaching_text,
)
from r2kmon.ui.views.details import symbol_detail
from r2kmon.ui.widgets.gauge import GaugePanel
from r2kmon.ui.widgets.line import TextLine
from r2kmon.ui.widgets.quote_table import QuoteTable
from r2kmon.ui.widgets.table import ColumnTable

DASH_EVENT_COLUMNS = tuple(replace(c, flex=False) for c in SUMMARY_COLUMNS)
"""The board view's summary columns, none stretched: the numbers stay by their labels."""

WIDE_FROM = 120
"""From this many columns the dashboard shows the headline and the reaching panel."""


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
        yield TextLine(id="headline", classes="wide-only")
        with Horizontal(id="dash-top"):
            with Vertical(id="dash-gauge"):
                yield GaugePanel(ascii_only=self.ascii_only, id="gauge")
                yield ColumnTable(COMPONENT_COLUMNS, id="components", classes="wide-only")
            with Vertical(id="dash-board"):
                yield TextLine(id="reaching", classes="wide-only")
                yield ColumnTable(BOARD_COLUMNS, id="board")
        yield QuoteTable(ascii_only=self.ascii_only, id="quotes")
        yield TextLine(
            Text("AFTER PAST ^RUT/IWM BREAKOUTS: what BTC, ETH and the alts did next", "bold"),
            id="dash-events-title",
            classes="wide-only",
        )
        yield ColumnTable(DASH_EVENT_COLUMNS, id="dash-events", classes="wide-only")

    def on_resize(self, event: Resize) -> None:
        self.set_class(event.size.width >= WIDE_FROM, "-wide")

    def show(self, state: AppState, ctx: DrawContext) -> None:
        self._show_quotes(state, ctx)
        analytics = state.analytics
        waiting = (
            None
            if analytics is not None
            else loading_text(state.analytics_status, ascii_only=ctx.ascii_only, what="the gauge")
        )
        if self.has_class("-wide"):
            reaching = reaching_of(state)
            self.query_one("#headline", TextLine).set(headline(state, reaching, ctx, waiting))
            self.query_one("#reaching", TextLine).set(reaching_text(reaching, state, ctx))
            components = self.query_one("#components", ColumnTable)
            components.set_rows(
                component_rows(analytics.gauge, ctx) if analytics else [],
                loading_text(state.analytics_status, ascii_only=ctx.ascii_only, what="the gauge"),
            )
            components.styles.height = max(len(components.rows), 1) + 1
            self.query_one("#dash-events", ColumnTable).set_rows(
                summary_rows(analytics.event_studies, ctx) if analytics else [],
                loading_text(state.analytics_status, ascii_only=ctx.ascii_only)
                if analytics is None
                else ctx.empty("no breakout after a quiet spell in the loaded history"),
            )
        # The narrow layout's gauge panel carries the track record's reading; the wide
        # headline carries it on its first line (dashboard_rows.gauge_reading).
        label = analytics.gauge.label if analytics else None
        narrow_reading = None if self.has_class("-wide") else reading(state.track_record, label)
        self.query_one(GaugePanel).show(
            analytics.gauge if analytics else None, waiting, narrow_reading
        )
        board = self.query_one("#board", ColumnTable)
        if analytics is None:
            board.set_rows(
                [],
                loading_text(state.analytics_status, ascii_only=ctx.ascii_only, what="the board"),
            )
        else:
            board.set_rows(board_rows(analytics.board, ctx), ctx.empty("no board symbol"))
        # The board is as tall as its rows, so the quotes get the rest of the screen.
        board.styles.height = max(len(board.rows), 1) + 1

    def tick(self, state: AppState, ctx: DrawContext) -> None:
        """Once a second only the quotes' ages (and stale marks) move; the gauge and the
        board change with the state, not with the clock."""
        self._show_quotes(state, ctx)

    def _show_quotes(self, state: AppState, ctx: DrawContext) -> None:
        rows = [r for r in quote_rows(state, ctx.now, self._sparks) if ctx.matches(r.symbol)]
        quotes = self.query_one(QuoteTable)
        # Wide, the quotes are as tall as their rows and the past breakouts get the rest.
        quotes.styles.height = max(len(rows), 1) + 1 if self.has_class("-wide") else "1fr"
        quotes.set_rows(
            rows,
            placeholder=ctx.empty("no symbols configured"),
        )

    def detail(self, key: str, state: AppState, ctx: DrawContext) -> Text | None:
        if key.startswith(COMPONENT_KEY):
            return component_detail(key.removeprefix(COMPONENT_KEY), state, ctx)
        return symbol_detail(key, state, ctx)
