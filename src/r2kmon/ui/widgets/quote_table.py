"""The quote table: one widget drawing every row through Textual's line API.

Used by the dashboard. Measured in ``../shared/bench``: twenty ``Sparkline`` widgets redrawn
at 4 Hz cost about a fifth of a core. Here one :class:`~r2kmon.ui.widgets.table.LineTable`
draws all rows, keeps each row's rendered strip, and on a new snapshot re-renders and
repaints only the rows whose content changed.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text

from r2kmon.ui import format as fmt
from r2kmon.ui.rows import SPAN_WORDS, QuoteRow, Spark
from r2kmon.ui.widgets.table import LineTable

SYMBOL_W, PRICE_W, CHANGE_W, SOURCE_W, AGE_W = 10, 13, 10, 14, 6
FIXED_W = SYMBOL_W + PRICE_W + CHANGE_W + SOURCE_W + AGE_W + 5  # five gaps of one cell
MIN_SPARK_W = 6

UP = Style(color="green")
DOWN = Style(color="red")
BOLD = Style(bold=True)
DIM = Style(dim=True)
HEAD = Style(bold=True, underline=True)
STALE = Style(color="yellow", bold=True)


class QuoteTable(LineTable[QuoteRow]):
    """Symbol, price, change, sparkline, source and age for every symbol; a quote that is
    not live says so instead of its age (``STALE``, ``closed``, ``delayed``)."""

    def __init__(self, *, ascii_only: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.ascii_only = ascii_only
        self._drawn: dict[str, tuple[Spark, int, tuple[float | None, ...], str]] = {}
        """Each row's sparkline as last drawn (spark, width, cells, line): a row redrawn for
        its age (every second) reuses the line while its bars and the width are the same,
        and a tick inside the newest bar moves only the last cell."""
        self.sparks_drawn = 0
        """How many sparklines were resampled whole (tests check an age tick or a tick
        inside the newest bar resamples none)."""

    def render_header(self, width: int) -> Text:
        return self._header()

    def render_row(self, row: QuoteRow, width: int) -> Text:
        return self._row(row)

    def key_of(self, row: QuoteRow) -> str:
        return row.symbol

    def _spark_width(self) -> int:
        return max(MIN_SPARK_W, self.size.width - FIXED_W - 1)

    def _spark(self, row: QuoteRow, width: int) -> str:
        spark = row.spark
        kept = self._drawn.get(row.symbol)
        cells = None
        if kept is not None and kept[1] == width:
            if kept[0] is spark:
                return kept[3]
            cells = spark.cells_after(kept[0], kept[2])
        if cells is None:
            self.sparks_drawn += 1
            cells = spark.cells(width)
        line = fmt.sparkline(cells, width, ascii_only=self.ascii_only)
        self._drawn[row.symbol] = (spark, width, cells, line)
        return line

    def cursor_exempt(self, width: int) -> tuple[int, int] | None:
        """The trend cells keep their look under the cursor (a reversed sparkline reads
        as its negative)."""
        start = SYMBOL_W + PRICE_W + CHANGE_W + 3
        return (start, start + self._spark_width())

    def _header(self) -> Text:
        text = Text(style=HEAD)
        text.append("SYMBOL".ljust(SYMBOL_W) + " ")
        text.append("PRICE".rjust(PRICE_W) + " ")
        text.append("CHANGE".rjust(CHANGE_W) + " ")
        spark_w = self._spark_width()
        trend = f"TREND {SPAN_WORDS}" if spark_w > len(SPAN_WORDS) + 6 else "TREND"
        text.append(trend.ljust(spark_w) + " ")
        text.append("SOURCE".ljust(SOURCE_W) + " ")
        text.append("AGE".rjust(AGE_W))
        return text

    def _row(self, row: QuoteRow) -> Text:
        text = Text()
        # Symbols come from config or the network: appended as plain text, never markup.
        text.append(row.symbol[:SYMBOL_W].ljust(SYMBOL_W) + " ", BOLD)
        spark_w = self._spark_width()
        if row.price is None:
            text.append("—".rjust(PRICE_W) + " ", DIM)
            text.append("".rjust(CHANGE_W) + " ")
            text.append(self._spark(row, spark_w) + " ", DIM)
            text.append("no data".ljust(SOURCE_W) + " ", DIM)
            text.append("".rjust(AGE_W))
            return text
        base = DIM if row.stale else Style()
        text.append(fmt.price(row.price).rjust(PRICE_W) + " ", base)
        change = row.change_pct
        style = UP if change and change > 0 else DOWN if change and change < 0 else Style()
        text.append(fmt.change(change, ascii_only=self.ascii_only).rjust(CHANGE_W) + " ", style)
        text.append(self._spark(row, spark_w) + " ", DIM if row.stale else Style())
        age = row.age_cell
        # "delayed" is one cell wider than the column: it borrows that cell from SOURCE.
        borrowed = max(0, len(age) - AGE_W)
        source_w = SOURCE_W - borrowed
        text.append(source_cell(row.source, row.stamp, source_w).ljust(source_w) + " ", base)
        age_style = STALE if row.stale else base if row.freshness == "live" else DIM
        text.append(age.rjust(AGE_W + borrowed), age_style)
        return text


def source_cell(source: str, stamp: str, width: int) -> str:
    """The source, and after it the date (or time) of a delayed price, in ``width``
    cells: ``fred Feb 20``; the source gives way when both do not fit."""
    if not stamp:
        return source[:width]
    return f"{source[: width - len(stamp) - 1]} {stamp}"
