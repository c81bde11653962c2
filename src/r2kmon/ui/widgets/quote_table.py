"""The quote table: one widget drawing every row through Textual's line API.

Measured in ``../shared/bench``: twenty ``Sparkline`` widgets redrawn at 4 Hz cost about a
fifth of a core. Here one widget draws all rows, keeps each row's rendered strip, and on a
new snapshot re-renders and repaints only the rows whose content changed.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.events import Resize
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from r2kmon.ui import format as fmt
from r2kmon.ui.rows import QuoteRow

SYMBOL_W, PRICE_W, CHANGE_W, SOURCE_W, AGE_W = 10, 13, 10, 14, 6
FIXED_W = SYMBOL_W + PRICE_W + CHANGE_W + SOURCE_W + AGE_W + 5  # five gaps of one cell
MIN_SPARK_W = 6

UP = Style(color="green")
DOWN = Style(color="red")
BOLD = Style(bold=True)
DIM = Style(dim=True)
HEAD = Style(bold=True, underline=True)
STALE = Style(color="yellow", bold=True)


class QuoteTable(ScrollView, can_focus=True):
    """Symbol, price, change, sparkline, source and age for every symbol."""

    DEFAULT_CSS = """
    QuoteTable {
        height: 1fr;
        scrollbar-size-vertical: 1;
    }
    """

    def __init__(self, *, ascii_only: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.ascii_only = ascii_only
        self._rows: list[QuoteRow] = []
        self._strips: dict[int, Strip] = {}

    @property
    def rows(self) -> Sequence[QuoteRow]:
        """The rows as last set."""
        return tuple(self._rows)

    def set_rows(self, rows: Sequence[QuoteRow]) -> None:
        """Show ``rows``; repaint only the lines whose row changed."""
        old = self._rows
        self._rows = list(rows)
        if len(rows) != len(old):
            self._strips.clear()
            self.virtual_size = Size(self.size.width, len(rows) + 1)
            self.refresh()
            return
        for index, (before, after) in enumerate(zip(old, rows, strict=True)):
            if before != after:
                self._strips.pop(index, None)
                self.refresh_line(index + 1)

    def on_resize(self, event: Resize) -> None:
        self._strips.clear()
        self.virtual_size = Size(event.size.width, len(self._rows) + 1)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        line = y + self.scroll_offset.y
        if line == 0:
            return self._strip(self._header(), width)
        index = line - 1
        if index >= len(self._rows):
            return Strip.blank(width, self.rich_style)
        strip = self._strips.get(index)
        if strip is None:
            strip = self._strips[index] = self._strip(self._row(self._rows[index]), width)
        return strip

    def _spark_width(self) -> int:
        return max(MIN_SPARK_W, self.size.width - FIXED_W - 1)

    def _header(self) -> Text:
        text = Text(style=HEAD)
        text.append("SYMBOL".ljust(SYMBOL_W) + " ")
        text.append("PRICE".rjust(PRICE_W) + " ")
        text.append("CHANGE".rjust(CHANGE_W) + " ")
        text.append("TREND".ljust(self._spark_width()) + " ")
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
            text.append(fmt.sparkline(row.spark, spark_w, ascii_only=self.ascii_only) + " ", DIM)
            text.append("no data".ljust(SOURCE_W) + " ", DIM)
            text.append("".rjust(AGE_W))
            return text
        base = DIM if row.stale else Style()
        text.append(fmt.price(row.price).rjust(PRICE_W) + " ", base)
        change = row.change_pct
        style = UP if change and change > 0 else DOWN if change and change < 0 else Style()
        text.append(fmt.change(change, ascii_only=self.ascii_only).rjust(CHANGE_W) + " ", style)
        spark_style = DIM if row.spark_daily or row.stale else Style()
        text.append(
            fmt.sparkline(row.spark, spark_w, ascii_only=self.ascii_only) + " ", spark_style
        )
        text.append(row.source[:SOURCE_W].ljust(SOURCE_W) + " ", base)
        if row.stale:
            text.append("STALE".rjust(AGE_W), STALE)
        else:
            text.append(fmt.age(row.age_s or 0).rjust(AGE_W), base)
        return text

    def _strip(self, text: Text, width: int) -> Strip:
        text.truncate(width, pad=True)
        segments = [
            Segment(seg.text, self.rich_style + seg.style if seg.style else self.rich_style)
            for seg in text.render(self.app.console)
            if seg.text != "\n"
        ]
        return Strip(segments, width)
