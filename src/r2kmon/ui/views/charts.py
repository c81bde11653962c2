"""View 4, charts: ``^RUT``, ``IWM`` and BTC with their resistance levels drawn (and the
indices' past breakouts marked), and the IWM/SPY ratio, over 1M/6M/1Y/5Y/max (``[`` and
``]`` change it).

A formatter: the levels, the breakouts and the ratio series come from the analytics
(the ratio is :attr:`r2kmon.model.analytics.AnalyticsResult.ratio_series`, the one the
relative strength is measured on). Cheap by construction: the view computes a small key
(range, the number and date of the last daily bar of each charted symbol, the analytics
version); only when the key changed does a thread worker cut the series to the range and
thin them, and only charts whose data differs are replotted. A new price inside today's
bar does not replot anything; a new daily bar does. Nothing runs while the view is hidden.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Grid
from textual.worker import Worker, WorkerState

from r2kmon.model import Bar
from r2kmon.model.analytics import BoardRow, EventStudy, RatioSeries
from r2kmon.model.state import AppState
from r2kmon.ui.views.base import DEFAULT_RANGE, RANGES, DrawContext, View, loading_text
from r2kmon.ui.views.board_rows import KIND_WORDS
from r2kmon.ui.widgets.chart import DAY, Chart, ChartData, Line, last_days, thin
from r2kmon.ui.widgets.line import TextLine

MAX_POINTS = 400
"""Points per line after thinning: more than a 200-column braille chart can show."""

INDEX, SMALL_CAPS, LARGE_CAPS, BTC = "^RUT", "IWM", "SPY", "BTC-USD"
CHARTED = (INDEX, SMALL_CAPS, BTC, LARGE_CAPS)
EPISODE = ("breakout", "confirmed", "retest", "failed")


@dataclass(frozen=True, slots=True)
class ChartInputs:
    """References to what the charts need, taken on the UI loop (no copying)."""

    bars: Mapping[str, tuple[Bar, ...]]
    board: tuple[BoardRow, ...]
    studies: tuple[EventStudy, ...]
    waiting: str
    range_index: int
    ratio: RatioSeries | None = None
    """The analytics' IWM/SPY series (``None`` until they are ready)."""


def cut(bars: Sequence[Bar], days: float | None) -> Sequence[Bar]:
    """The bars of the last ``days`` calendar days (all of them for ``None``)."""
    if not bars or days is None:
        return bars
    start = bars[-1].start - days * DAY
    lo, hi = 0, len(bars)
    while lo < hi:  # bisect on start times
        mid = (lo + hi) // 2
        if bars[mid].start < start:
            lo = mid + 1
        else:
            hi = mid
    return bars[lo:]


def _close_near(bars: Sequence[Bar], ts: float) -> float | None:
    for bar in reversed(bars):
        if bar.start <= ts:
            return bar.close
    return None


def price_chart(symbol: str, inputs: ChartInputs) -> ChartData:
    """Closes of ``symbol`` with its resistance level, its past breakouts (the indices
    have event studies) and where its current breakout episode began."""
    label, days = RANGES[inputs.range_index]
    bars = cut(inputs.bars.get(symbol, ()), days)
    title = f"{symbol} daily close · {label}"
    if len(bars) < 2:
        return ChartData(title, empty=f"{symbol}: no daily history yet")
    xs, ys = thin([b.start for b in bars], [b.close for b in bars], MAX_POINTS)
    levels: list[tuple[str, float]] = []
    marks: list[tuple[str, tuple[float, ...], tuple[float, ...]]] = []
    row = next((r for r in inputs.board if r.symbol == symbol), None)
    if row is not None and row.resistance is not None:
        kind = KIND_WORDS.get(row.resistance_kind or "", "")
        levels.append((f"{kind} high {row.resistance:,.2f}", row.resistance))
    first = bars[0].start
    past = [
        o.event
        for s in inputs.studies
        if s.symbol == symbol
        for o in s.outcomes
        if o.event.at >= first
    ]
    if past:
        marks.append(
            (
                "breakouts (x)",
                tuple(e.at for e in past),
                tuple(e.close for e in past),
            )
        )
    if row is not None and row.state in EPISODE and row.since is not None and row.since >= first:
        close = _close_near(bars, row.since)
        if close is not None:
            marks.append((f"{row.state} since (x)", (row.since,), (close,)))
    if not levels and inputs.waiting:
        title += f" · levels: {inputs.waiting}"
    return ChartData(title, (Line(symbol, xs, ys),), tuple(levels), tuple(marks))


def ratio_chart(inputs: ChartInputs) -> ChartData:
    """IWM/SPY on the days both closed: small caps against large caps."""
    label, days = RANGES[inputs.range_index]
    title = f"{SMALL_CAPS}/{LARGE_CAPS} ratio · {label}"
    ratio = inputs.ratio
    xs, ys = last_days(ratio.days, ratio.values, days) if ratio is not None else ((), ())
    if len(xs) < 2:
        bars = inputs.bars
        if ratio is None and inputs.waiting and bars.get(SMALL_CAPS) and bars.get(LARGE_CAPS):
            return ChartData(title, empty=f"{SMALL_CAPS}/{LARGE_CAPS}: {inputs.waiting}")
        return ChartData(title, empty=f"needs daily history of {SMALL_CAPS} and {LARGE_CAPS}")
    xs, ys = thin(xs, ys, MAX_POINTS)
    return ChartData(title, (Line(f"{SMALL_CAPS}/{LARGE_CAPS}", xs, ys),))


def build_charts(inputs: ChartInputs) -> tuple[ChartData, ...]:
    """The four charts (runs in a thread worker)."""
    return (
        price_chart(INDEX, inputs),
        price_chart(SMALL_CAPS, inputs),
        price_chart(BTC, inputs),
        ratio_chart(inputs),
    )


def bars_key(bars: Mapping[str, tuple[Bar, ...]], symbols: Sequence[str]) -> tuple[object, ...]:
    """Changes when a daily bar is added, not when today's bar moves."""
    return tuple(
        (s, len(bars.get(s, ())), bars[s][-1].start if bars.get(s) else None) for s in symbols
    )


class ChartsView(View):
    """Four charts over the app's range (:attr:`DrawContext.range_index`), which the
    correlation view shares."""

    TITLE = "Charts"
    DIGIT = "4"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.range_index = DEFAULT_RANGE
        self._key: tuple[object, ...] | None = None
        self.builds = 0
        """Worker runs so far (tests check that unchanged data starts none)."""

    def compose(self) -> ComposeResult:
        yield TextLine(id="chart-caption")
        with Grid(id="chart-grid"):
            for name in ("rut", "iwm", "btc", "ratio"):
                yield Chart(id=f"chart-{name}")

    def _caption(self) -> Text:
        text = Text("range ")
        for n, (label, _) in enumerate(RANGES):
            text.append(
                f"[{label}]" if n == self.range_index else f" {label} ",
                "bold reverse" if n == self.range_index else "dim",
            )
        text.append("  [ ] range · x breakout · red: resistance", "dim")
        return text

    def show(self, state: AppState, ctx: DrawContext) -> None:
        self.range_index = ctx.range_index
        self.query_one("#chart-caption", TextLine).set(self._caption())
        bars = state.hub.bars_1d
        key = (
            self.range_index,
            bars_key(bars, CHARTED),
            state.analytics_version,
            state.analytics is None,
        )
        if key == self._key:
            return
        self._key = key
        analytics = state.analytics
        inputs = ChartInputs(
            bars={s: bars.get(s, ()) for s in CHARTED},
            board=analytics.board if analytics else (),
            studies=analytics.event_studies if analytics else (),
            waiting="" if analytics else loading_text(state.analytics_status).plain,
            range_index=self.range_index,
            ratio=next(
                (
                    r
                    for r in (analytics.ratio_series if analytics else ())
                    if (r.numerator, r.denominator) == (SMALL_CAPS, LARGE_CAPS)
                ),
                None,
            ),
        )
        self.builds += 1
        self.run_worker(
            lambda: build_charts(inputs),
            thread=True,
            exclusive=True,
            group="charts",
            exit_on_error=False,
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "charts" or event.state != WorkerState.SUCCESS:
            return
        result = event.worker.result
        if not isinstance(result, tuple):
            return
        charts = list(self.query(Chart))
        with self.app.batch_update():
            for chart, data in zip(charts, result, strict=False):
                if isinstance(data, ChartData):
                    chart.draw(data)

    def tick(self, state: AppState, ctx: DrawContext) -> None:
        """Charts change with daily bars, not with the clock."""
