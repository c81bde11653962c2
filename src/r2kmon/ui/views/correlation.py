"""View 5, correlation: the rolling 30- and 90-day correlation of the Russell 2000 and of
SPY with BTC and ETH over time (two charts), and a table of every symbol against every
other over the last 90 joint daily returns.

The rolling series and the matrix are pandas work (:mod:`r2kmon.ui.views.correlation_work`,
imported by the worker so the UI starts without pandas): they run in a thread worker, only
when the daily bars or the analytics changed (a key like the charts view's), never on the
UI loop. The returns are aligned on the US trading-day grid exactly as the analytics do it
(:func:`r2kmon.analytics.correlation.aligned_log_returns`).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.worker import Worker, WorkerState

from r2kmon.model import Bar
from r2kmon.runtime.state import AppState
from r2kmon.ui import format as fmt
from r2kmon.ui.palette import DIM, TITLE, direction_style
from r2kmon.ui.views.base import DEFAULT_RANGE, DrawContext, View
from r2kmon.ui.views.charts import bars_key
from r2kmon.ui.widgets.chart import Chart, ChartData
from r2kmon.ui.widgets.line import TextLine
from r2kmon.ui.widgets.table import Column, ColumnTable, TableRow

if TYPE_CHECKING:
    from r2kmon.analytics.correlation import CorrelationValue

EQUITIES = ("^RUT", "SPY")
CRYPTO = ("BTC-USD", "ETH-USD")
WINDOWS = (30, 90)
MATRIX_WINDOW = 90
MAX_POINTS = 300


@dataclass(frozen=True, slots=True)
class CorrelationData:
    """What the worker hands back: two charts and the matrix."""

    charts: tuple[ChartData, ...]
    symbols: tuple[str, ...]
    matrix: tuple[tuple[float | None, ...], ...]


def _build_in_thread(bars: Mapping[str, tuple[Bar, ...]], range_index: int) -> CorrelationData:
    # pandas is imported here, in the worker thread, not when the UI starts.
    from r2kmon.ui.views.correlation_work import build_correlation

    return build_correlation(bars, range_index)


def matrix_columns(symbols: Sequence[str]) -> list[Column]:
    cols = [Column("SYMBOL", 9)]
    cols += [Column(s[:7], 7, "right", drop=len(symbols) - n) for n, s in enumerate(symbols)]
    return cols


def matrix_rows(data: CorrelationData, ctx: DrawContext) -> list[TableRow]:
    rows = []
    for a, values in zip(data.symbols, data.matrix, strict=True):
        if not ctx.matches(a):
            continue
        cells: list[str | Text] = [Text(a)]
        for b, value in zip(data.symbols, values, strict=True):
            if a == b:
                cells.append(Text("·", DIM))
            elif value is None:
                cells.append(Text("n/a", DIM))
            else:
                cells.append(Text(f"{value:+.2f}", direction_style(value)))
        rows.append(TableRow(a, tuple(cells)))
    return rows


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
        self.range_index = DEFAULT_RANGE
        self._key: tuple[object, ...] | None = None
        self.data: CorrelationData | None = None
        self.builds = 0
        self._ctx = DrawContext(now=0.0)

    def compose(self) -> ComposeResult:
        yield TextLine(id="corr-latest")
        with Horizontal(id="corr-charts"):
            yield Chart(id="corr-rut")
            yield Chart(id="corr-spy")
        yield ColumnTable(matrix_columns(()), id="corr-matrix")

    def show(self, state: AppState, ctx: DrawContext) -> None:
        self.range_index = ctx.range_index
        analytics = state.analytics
        self.query_one("#corr-latest", TextLine).set(
            latest_text(analytics.correlation if analytics else ())
        )
        table = self.query_one("#corr-matrix", ColumnTable)
        if self.data is not None:
            table.set_rows(matrix_rows(self.data, ctx), Text("no symbol matches", DIM))
        else:
            table.set_rows(
                [], Text(f"computing the {MATRIX_WINDOW}-day correlation of every pair…", DIM)
            )
        bars = state.hub.bars_1d
        symbols = tuple(s for s in state.hub.symbols if bars.get(s))
        key = (self.range_index, bars_key(bars, symbols))
        if key == self._key:
            return
        self._key = key
        wanted = {s: bars[s] for s in symbols}
        self.builds += 1
        self.run_worker(
            functools.partial(_build_in_thread, wanted, self.range_index),
            thread=True, exclusive=True, group="correlation", exit_on_error=False,
        )  # fmt: skip
        self._ctx = ctx

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "correlation" or event.state != WorkerState.SUCCESS:
            return
        data = event.worker.result
        if not isinstance(data, CorrelationData):
            return
        self.data = data
        with self.app.batch_update():
            for chart, chart_data in zip(self.query(Chart), data.charts, strict=False):
                chart.draw(chart_data)
            table = self.query_one("#corr-matrix", ColumnTable)
            table.set_columns(matrix_columns(data.symbols))
            table.set_rows(matrix_rows(data, self._ctx), Text("no symbol matches", DIM))

    def tick(self, state: AppState, ctx: DrawContext) -> None:
        """Daily data: nothing moves by the second."""
