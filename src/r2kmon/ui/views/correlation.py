"""View 5, correlation: the rolling 30- and 90-day correlation of the Russell 2000 and of
SPY with BTC and ETH over time (two charts), and a table of every symbol against every
other over the last 90 joint daily returns.

The rolling series and the matrix are pandas work: they run in a thread worker, only when
the daily bars or the analytics changed (a key like the charts view's), never on the UI
loop. The returns are aligned on the US trading-day grid exactly as the analytics do it
(:func:`r2kmon.analytics.correlation.aligned_log_returns`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.worker import Worker, WorkerState

from r2kmon.analytics.correlation import CorrelationValue, aligned_log_returns, rolling_correlation
from r2kmon.analytics.series import is_crypto_pair
from r2kmon.model import Bar
from r2kmon.state import AppState
from r2kmon.ui import format as fmt
from r2kmon.ui.palette import DIM, TITLE, direction_style
from r2kmon.ui.views.base import DrawContext, View
from r2kmon.ui.views.charts import RANGES, bars_key
from r2kmon.ui.widgets.chart import DAY, Chart, ChartData, Line, thin
from r2kmon.ui.widgets.line import TextLine
from r2kmon.ui.widgets.table import Column, ColumnTable, TableRow

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


def closes(bars: Sequence[Bar]) -> pd.Series:
    """Daily closes indexed by naive UTC midnight dates, as the analytics expect."""
    index = pd.to_datetime([b.start for b in bars], unit="s")
    return pd.Series([b.close for b in bars], index=index, dtype="float64")


def _corr(a: pd.Series, b: pd.Series, window: int) -> float | None:
    # Align on the equity's dates when one side is an equity (the US trading-day grid).
    first, second = (
        (b, a) if is_crypto_pair(str(a.name)) and not is_crypto_pair(str(b.name)) else (a, b)
    )
    returns = aligned_log_returns(first, second).tail(window)
    if len(returns) < window:
        return None
    with np.errstate(invalid="ignore", divide="ignore"):
        value = float(np.corrcoef(returns["a"].to_numpy(), returns["b"].to_numpy())[0, 1])
    return value if math.isfinite(value) else None


def build_correlation(bars: Mapping[str, tuple[Bar, ...]], range_index: int) -> CorrelationData:
    """Rolling series for the charts and the all-symbols matrix (runs in a thread)."""
    series = {s: closes(b).rename(s) for s, b in bars.items() if len(b) >= 3}
    label, days = RANGES[range_index]
    charts = []
    for equity in EQUITIES:
        title = f"{equity} vs BTC/ETH · rolling correlation · {label}"
        if equity not in series:
            charts.append(ChartData(title, empty=f"{equity}: no daily history yet"))
            continue
        lines = []
        for coin in CRYPTO:
            if coin not in series:
                continue
            for window in WINDOWS:
                rolled = rolling_correlation(series[equity], series[coin], window).dropna()
                if rolled.empty:
                    continue
                xs = [float(t.timestamp()) for t in rolled.index]
                ys = [float(v) for v in rolled.to_numpy()]
                if days is not None:
                    start = xs[-1] - days * DAY
                    keep = [i for i, x in enumerate(xs) if x >= start]
                    xs, ys = [xs[i] for i in keep], [ys[i] for i in keep]
                if len(xs) >= 2:
                    xs_t, ys_t = thin(xs, ys, MAX_POINTS)
                    lines.append(Line(f"{coin.split('-')[0]} {window}d", xs_t, ys_t))
        if not lines:
            charts.append(ChartData(title, empty="not enough joint history for a 30-day window"))
        else:
            charts.append(ChartData(title, tuple(lines), (("0", 0.0),), y_range=(-1.0, 1.0)))
    symbols = tuple(series)
    matrix = tuple(
        tuple(1.0 if a == b else _corr(series[a], series[b], MATRIX_WINDOW) for b in symbols)
        for a in symbols
    )
    return CorrelationData(tuple(charts), symbols, matrix)


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
        self.range_index = 2
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
            lambda: build_correlation(wanted, self.range_index),
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
