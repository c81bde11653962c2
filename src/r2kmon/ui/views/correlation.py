"""View 5, correlation: the rolling 30- and 90-day correlation of the Russell 2000 and of
SPY with BTC and ETH over time (two charts), and a table of every symbol against every
other over the last 90 joint daily returns.

A formatter: the analytics compute the rolling series and the matrix with the rest of the
daily state (:attr:`r2kmon.model.analytics.AnalyticsResult.correlation_series` and
``correlation_matrix``, aligned on the US trading-day grid); this view cuts the series to
the chart range, thins them to what a chart can show and draws them, only when the range
or the analytics changed.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal

from r2kmon.model.analytics import CorrelationMatrix, CorrelationSeries, CorrelationValue
from r2kmon.model.state import AppState
from r2kmon.ui import format as fmt
from r2kmon.ui.palette import DIM, TITLE, direction_style
from r2kmon.ui.views.base import RANGES, DrawContext, View, loading_text
from r2kmon.ui.widgets.chart import Chart, ChartData, Line, last_days, thin
from r2kmon.ui.widgets.line import TextLine
from r2kmon.ui.widgets.table import Column, ColumnTable, TableRow

EQUITIES = ("^RUT", "SPY")
CRYPTO = ("BTC-USD", "ETH-USD")
WINDOWS = (30, 90)
MAX_POINTS = 300


def matrix_columns(symbols: Sequence[str]) -> list[Column]:
    cols = [Column("SYMBOL", 9)]
    cols += [Column(s[:7], 7, "right", drop=len(symbols) - n) for n, s in enumerate(symbols)]
    return cols


def matrix_rows(matrix: CorrelationMatrix, ctx: DrawContext) -> list[TableRow]:
    rows = []
    for a, values in zip(matrix.symbols, matrix.values, strict=True):
        if not ctx.matches(a):
            continue
        cells: list[str | Text] = [Text(a)]
        for b, value in zip(matrix.symbols, values, strict=True):
            if a == b:
                cells.append(Text("·", DIM))
            elif value is None:
                cells.append(Text("n/a", DIM))
            else:
                cells.append(Text(f"{value:+.2f}", direction_style(value)))
        rows.append(TableRow(a, tuple(cells)))
    return rows


def correlation_chart(
    equity: str, series: Sequence[CorrelationSeries], range_index: int, has_history: bool
) -> ChartData:
    """The rolling correlations of ``equity`` with the coins, over the chart range."""
    label, days = RANGES[range_index]
    title = f"{equity} vs BTC/ETH · rolling correlation · {label}"
    if not has_history:
        return ChartData(title, empty=f"{equity}: no daily history yet")
    lines = []
    for coin in CRYPTO:
        for window in WINDOWS:
            found = next(
                (s for s in series if (s.a, s.b, s.window_days) == (equity, coin, window)), None
            )
            if found is None or not found.days:
                continue
            xs, ys = last_days(found.days, found.values, days)
            if len(xs) >= 2:
                xs_t, ys_t = thin(xs, ys, MAX_POINTS)
                lines.append(Line(f"{coin.split('-')[0]} {window}d", xs_t, ys_t))
    if not lines:
        return ChartData(title, empty="not enough joint history for a 30-day window")
    return ChartData(title, tuple(lines), (("0", 0.0),), y_range=(-1.0, 1.0))


def latest_text(values: Sequence[CorrelationValue]) -> Text:
    """The analytics' own latest values, one line per window, with their date."""
    text = Text(no_wrap=True, overflow="ellipsis")
    shown = [v for v in values if v.a in EQUITIES and v.b in CRYPTO]
    if not shown:
        text.append("latest  — analytics not ready", DIM)
        return text
    for n, window in enumerate(sorted({v.window_days for v in shown})):
        text.append(("\n" if n else "") + f"latest {window}d ", TITLE)
        for v in (v for v in shown if v.window_days == window):
            text.append(f" {v.a}/{v.b.split('-')[0]} ")
            text.append("n/a" if v.value is None else f"{v.value:+.2f}", direction_style(v.value))
    text.append(f"  as of {fmt.when(max((v.as_of or 0) for v in shown) or None)}", DIM)
    return text


class CorrelationView(View):
    """Rolling correlations over time and the all-symbols table."""

    TITLE = "Correlation"
    DIGIT = "5"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._key: tuple[object, ...] | None = None
        self.builds = 0
        """Times the charts were rebuilt (tests check that unchanged data rebuilds none)."""

    def compose(self) -> ComposeResult:
        yield TextLine(id="corr-latest")
        with Horizontal(id="corr-charts"):
            yield Chart(id="corr-rut")
            yield Chart(id="corr-spy")
        yield ColumnTable(matrix_columns(()), id="corr-matrix")

    def show(self, state: AppState, ctx: DrawContext) -> None:
        analytics = state.analytics
        self.query_one("#corr-latest", TextLine).set(
            latest_text(analytics.correlation if analytics else ())
        )
        table = self.query_one("#corr-matrix", ColumnTable)
        matrix = analytics.correlation_matrix if analytics else None
        if matrix is not None:
            table.set_columns(matrix_columns(matrix.symbols))
            table.set_rows(matrix_rows(matrix, ctx), ctx.empty("no symbol with daily history"))
        else:
            waiting = loading_text(state.analytics_status, what="the correlations")
            table.set_rows([], waiting)
        key = (ctx.range_index, state.analytics_version, analytics is None)
        if key == self._key:
            return
        self._key = key
        self.builds += 1
        if analytics is None:
            waiting_text = loading_text(state.analytics_status, what="the correlations").plain
            charts = [ChartData(f"{e} vs BTC/ETH", empty=waiting_text) for e in EQUITIES]
        else:
            bars = state.hub.bars_1d
            charts = [
                correlation_chart(
                    equity, analytics.correlation_series, ctx.range_index, bool(bars.get(equity))
                )
                for equity in EQUITIES
            ]
        for chart, data in zip(self.query(Chart), charts, strict=True):
            chart.draw(data)

    def tick(self, state: AppState, ctx: DrawContext) -> None:
        """Daily data: nothing moves by the second."""
