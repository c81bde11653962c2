"""A plotext chart that is replotted only when its data changed.

Used by the charts and correlation views. ``PlotextPlot.render()`` rebuilds the whole chart
on every refresh (``../shared/research/aesthetics.md`` A9), so the views prepare a frozen
:class:`ChartData` only when their data or range changed, and :meth:`Chart.draw` replots
and refreshes only when that data differs from what is on screen. Dates are plotted as day
numbers with a few labelled ticks, which is cheaper for plotext than date strings; values
get round ticks labelled with thousands separators (plotext's own labels have none).
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from rich.text import Text
from textual.app import RenderResult
from textual_plotext import PlotextPlot

DAY = 86_400.0
COLORS = ("cyan", "magenta", "yellow", "green", "blue", "red")
"""16-colour names; each line also has its own marker and a legend label, so the lines
are told apart without colour too."""
MARKERS = ("braille", "dot", "hd", "sd")
CANVAS = "default"
"""The background of a label: plotext takes the canvas colour at the time of the call, and
``clear_figure()`` has just reset it to white (the "clear" theme comes back at render
time): a red label on ANSI white is 1.6:1, and the same grey on grey under ``NO_COLOR``."""


@dataclass(frozen=True, slots=True)
class Line:
    """One series: x in UTC epoch seconds, y in its own unit."""

    label: str
    xs: tuple[float, ...]
    ys: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class ChartData:
    """Everything one chart draws. Frozen and comparable: equal data is never replotted."""

    title: str
    lines: tuple[Line, ...] = ()
    levels: tuple[tuple[str, float], ...] = ()
    """Horizontal lines (label, y): resistance levels, the zero line."""
    marks: tuple[tuple[str, tuple[float, ...], tuple[float, ...]], ...] = ()
    """Scatter marks (label, xs, ys): breakouts."""
    empty: str = ""
    """Why there is nothing to draw (loading, not configured), shown instead of axes."""
    y_range: tuple[float, float] | None = None


def thin(
    xs: Sequence[float], ys: Sequence[float], points: int
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """At most ``points`` evenly spaced samples, always keeping the last one: a chart
    ``w`` cells wide cannot show more than ``2w`` braille columns anyway."""
    n = len(xs)
    if n <= points or points < 2:
        return tuple(xs), tuple(ys)
    step = (n - 1) / (points - 1)
    picks = sorted({round(i * step) for i in range(points)})
    return tuple(xs[i] for i in picks), tuple(ys[i] for i in picks)


def last_days(
    xs: Sequence[float], ys: Sequence[float], days: float | None
) -> tuple[Sequence[float], Sequence[float]]:
    """The points of the last ``days`` calendar days up to the last point (all of them for
    ``None``); ``xs`` are ascending epoch seconds."""
    if days is None or not xs:
        return xs, ys
    start = bisect_left(xs, xs[-1] - days * DAY)
    return xs[start:], ys[start:]


def _date_label(ts: float, span_days: float) -> str:
    moment = datetime.fromtimestamp(ts, tz=timezone.utc)
    return moment.strftime("%Y" if span_days > 3 * 365 else "%Y-%m" if span_days > 60 else "%m-%d")


NICE_STEPS = (1.0, 2.0, 2.5, 5.0, 10.0)


def y_ticks(lo: float, hi: float, count: int) -> tuple[tuple[float, ...], tuple[str, ...]]:
    """About ``count`` round values from ``lo`` to ``hi`` (steps of 1, 2, 2.5 or 5 times a
    power of ten) and their labels, with thousands separators and as many decimals as the
    step needs: ``100,000``, ``0.35``."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi < lo:
        return (), ()
    if hi == lo:
        digits = 0 if abs(lo) >= 100 else 2
        return (lo,), (f"{lo:,.{digits}f}",)
    power = 10.0 ** math.floor(math.log10((hi - lo) / max(1, count - 1)))

    def multiples(step: float) -> range:
        return range(math.ceil(lo / step - 1e-9), math.floor(hi / step + 1e-9) + 1)

    # The round step whose number of ticks is nearest to ``count`` (the larger on a tie).
    step = min(
        (n * power for n in reversed(NICE_STEPS)),
        key=lambda s: abs(len(multiples(s)) - count),
    )
    digits = max(0, -math.floor(math.log10(step) + 1e-9))
    if round(step * 10**digits, 6) % 1:  # 2.5 times a power of ten: one more decimal
        digits += 1
    values = tuple(round(k * step, digits + 2) for k in multiples(step))
    return values, tuple(f"{v:,.{digits}f}" for v in values)


class Chart(PlotextPlot):
    """A plotext plot fed with :class:`ChartData`."""

    DEFAULT_CSS = """
    Chart { height: 1fr; min-height: 8; }
    """

    # Nothing to select in a plot; without selection, Textual adds no per-cell offsets.
    ALLOW_SELECT = False

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        # plotext's "clear" theme draws on the terminal's own colours: readable in 16-colour
        # and NO_COLOR terminals, and it needs no per-app theme built at mount time.
        self.set_reactive(PlotextPlot.theme, "clear")
        self.data: ChartData | None = None
        self._x_span: tuple[float, float] | None = None
        self._y_span: tuple[float, float] | None = None
        self._ticks_for: tuple[tuple[int, int], tuple[float, float]] | None = None
        self.replots = 0
        """How many times the chart was replotted (tests check it stays put)."""

    def draw(self, data: ChartData) -> None:
        """Replot with ``data`` unless it is what the chart already shows."""
        if data == self.data:
            return
        self.data = data
        self.replots += 1
        self._ticks_for = None  # clear_figure() below drops the ticks set by render()
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(data.title)
        xs_all = [x for line in data.lines for x in line.xs]
        if data.empty or not xs_all:  # render() shows the reason instead of a plot
            self._x_span = None
            self._y_span = None
            self.refresh()
            return
        for n, line in enumerate(data.lines):
            plt.plot(
                [x / DAY for x in line.xs],
                list(line.ys),
                label=line.label,
                color=COLORS[n % len(COLORS)],
                marker=MARKERS[n % len(MARKERS)],
            )
        for label, y in data.levels:
            plt.hline(y, color="red")
            plt.text(label, min(xs_all) / DAY, y, color="red", background=CANVAS, alignment="left")
        for label, xs, ys in data.marks:
            if xs:
                plt.scatter([x / DAY for x in xs], list(ys), marker="x", color="green", label=label)
        # Date ticks are placed in render(), where the chart's width is known for sure.
        self._x_span = (min(xs_all), max(xs_all))
        if data.y_range is not None:
            plt.ylim(*data.y_range)
            self._y_span = data.y_range
        else:
            ys_all = [
                *(y for line in data.lines for y in line.ys),
                *(y for _, y in data.levels),
                *(y for _, _, ys in data.marks for y in ys),
            ]
            self._y_span = (min(ys_all), max(ys_all))
        self.refresh()

    def render(self) -> RenderResult:
        data = self.data
        if data is not None and self._x_span is None:
            # Nothing to plot: the title and the reason, wrapped to the width (plotext
            # would print the reason on one line, cut at both edges).
            return Text.assemble(
                (data.title, "bold"), "\n\n", data.empty or "no data", justify="center"
            )
        span = self._x_span
        size = (self.size.width, self.size.height)
        if span is not None and (size, span) != self._ticks_for:
            # As many date labels as fit without touching (8 cells each plus a gap), so
            # plotext never has to drop colliding ones.
            self._ticks_for = (size, span)
            lo, hi = span
            count = max(2, min(5, (self.size.width - 10) // 11))
            ticks = [lo + (hi - lo) * i / (count - 1) for i in range(count)]
            days = (hi - lo) / DAY
            self.plt.xticks([t / DAY for t in ticks], [_date_label(t, days) for t in ticks])
            if self._y_span is not None:
                # One value label every three rows or so of the plot (title and axes
                # take about four).
                values, labels = y_ticks(*self._y_span, max(2, min(6, (size[1] - 4) // 3)))
                self.plt.yticks(list(values), list(labels))
        return super().render()
