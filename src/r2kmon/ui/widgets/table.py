"""Tables drawn through Textual's line API: one widget, many rows, cached strips.

Used by every view (quotes, board, crypto pairs, correlations, macro, health, alerts).
Measured in ``../shared/bench``: twenty small widgets redrawn at 4 Hz cost about a fifth of
a core. A :class:`LineTable` is one widget whatever its row count: it keeps the rendered
:class:`~textual.strip.Strip` of every row and, when new rows arrive, re-renders and
repaints only the rows that compare unequal to the ones before. The header line stays put
while the rows scroll; a cursor (shown while the table has focus) picks the row that
``enter`` opens in detail.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, Literal, TypeVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.events import Resize
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

RowT = TypeVar("RowT")

HEAD = Style(bold=True, underline=True)
DIM = Style(dim=True)
CURSOR = Style(reverse=True)


class LineTable(ScrollView, Generic[RowT], can_focus=True):
    """Rows of ``RowT`` under a fixed header; subclasses say how a row looks.

    Rows must compare equal exactly when they would draw the same (frozen dataclasses do):
    equality is how the table decides which lines to repaint.
    """

    DEFAULT_CSS = """
    LineTable {
        height: 1fr;
        scrollbar-size-vertical: 1;
        scrollbar-size-horizontal: 0;
    }
    """

    # Arrows move the cursor; j/k are app bindings (remappable) that call the same actions.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "cursor_home", "First", show=False),
        Binding("end", "cursor_end", "Last", show=False),
    ]

    class Highlighted(Message):
        """The cursor moved to another row (a pane that shows the row's detail follows)."""

        def __init__(self, table: LineTable[Any]) -> None:
            super().__init__()
            self.table = table

        @property
        def control(self) -> LineTable[Any]:
            return self.table

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._rows: list[RowT] = []
        self._strips: dict[int, Strip] = {}
        self._header_strip: Strip | None = None
        self._placeholder: Text | None = None
        self.cursor = 0

    # --- data -----------------------------------------------------------------------------

    @property
    def rows(self) -> Sequence[RowT]:
        """The rows as last set."""
        return tuple(self._rows)

    @property
    def selected(self) -> RowT | None:
        """The row under the cursor, if any."""
        if 0 <= self.cursor < len(self._rows):
            return self._rows[self.cursor]
        return None

    def set_rows(self, rows: Sequence[RowT], placeholder: Text | None = None) -> None:
        """Show ``rows``; repaint only the lines whose row changed.

        ``placeholder`` is drawn under the header while there are no rows (what is loading,
        or why there is nothing), so an empty table always says why it is empty.
        """
        if placeholder != self._placeholder:
            self._placeholder = placeholder
            if not rows:
                self._strips.clear()
                self.refresh()
        old = self._rows
        self._rows = list(rows)
        if len(rows) != len(old):
            self._strips.clear()
            self.cursor = min(self.cursor, max(len(rows) - 1, 0))
            self.virtual_size = Size(self.size.width, len(rows) + 1)
            self.refresh()
            return
        top = self.scroll_offset.y
        for index, (before, after) in enumerate(zip(old, rows, strict=True)):
            if before != after:
                self._strips.pop(index, None)
                self.refresh_line(index + 1 - top)

    def invalidate(self) -> None:
        """Forget every cached line (the look changed, not the data)."""
        self._strips.clear()
        self._header_strip = None
        self.refresh()

    # --- subclass hooks --------------------------------------------------------------------

    def render_header(self, width: int) -> Text:
        """The header line."""
        raise NotImplementedError

    def render_row(self, row: RowT, width: int) -> Text:
        """One row as text; plain :meth:`Text.append` only, never markup."""
        raise NotImplementedError

    def key_of(self, row: RowT) -> str:
        """What ``enter`` on this row opens (a symbol, a source name...)."""
        raise NotImplementedError

    @property
    def selected_key(self) -> str | None:
        """The key of the row under the cursor."""
        row = self.selected
        return None if row is None else self.key_of(row)

    # --- drawing ---------------------------------------------------------------------------

    def on_resize(self, event: Resize) -> None:
        self._strips.clear()
        self._header_strip = None
        self.virtual_size = Size(event.size.width, len(self._rows) + 1)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()
        self._header_strip = None

    def render_line(self, y: int) -> Strip:
        # The scrollbar takes a column: draw only in what is left of the width.
        width = self.scrollable_content_region.width
        if y == 0:
            if self._header_strip is None:
                self._header_strip = self._strip(self.render_header(width), width)
            return self._header_strip
        index = y - 1 + self.scroll_offset.y
        if index >= len(self._rows):
            if index == 0 and self._placeholder is not None:
                return self._strip(self._placeholder.copy(), width)
            return Strip.blank(width, self.rich_style)
        strip = self._strips.get(index)
        if strip is None:
            strip = self._strips[index] = self._strip(
                self.render_row(self._rows[index], width), width
            )
        if index == self.cursor and self.has_focus:
            exempt = self.cursor_exempt(width)
            if exempt is None:
                return strip.apply_style(CURSOR)
            start, end = exempt
            return Strip.join(
                [
                    strip.crop(0, start).apply_style(CURSOR),
                    strip.crop(start, end),
                    strip.crop(end, width).apply_style(CURSOR),
                ]
            )
        return strip

    def cursor_exempt(self, width: int) -> tuple[int, int] | None:
        """Cells (start, end) of a row that the cursor does not reverse; none by default."""
        return None

    def _strip(self, text: Text, width: int) -> Strip:
        text.no_wrap = True
        text.truncate(width, pad=True)
        base = self.rich_style
        segments = [
            Segment(seg.text, base + seg.style if seg.style else base)
            for seg in text.render(self.app.console)
            if seg.text != "\n"
        ]
        return Strip(segments, width)

    # --- cursor ----------------------------------------------------------------------------

    def _move(self, to: int) -> None:
        if not self._rows:
            return
        to = max(0, min(len(self._rows) - 1, to))
        if to == self.cursor:
            return
        top = self.scroll_offset.y
        self.refresh_line(self.cursor + 1 - top)
        self.cursor = to
        visible = max(self.size.height - 1, 1)
        if to < top:
            self.scroll_to(y=to, animate=False)
        elif to >= top + visible:
            self.scroll_to(y=to - visible + 1, animate=False)
        self.refresh_line(self.cursor + 1 - self.scroll_offset.y)
        self.post_message(self.Highlighted(self))

    def action_cursor_down(self) -> None:
        self._move(self.cursor + 1)

    def action_cursor_up(self) -> None:
        self._move(self.cursor - 1)

    def action_page_down(self) -> None:
        self._move(self.cursor + max(self.size.height - 2, 1))

    def action_page_up(self) -> None:
        self._move(self.cursor - max(self.size.height - 2, 1))

    def action_cursor_home(self) -> None:
        self._move(0)

    def action_cursor_end(self) -> None:
        self._move(len(self._rows) - 1)

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()


# --- generic column tables ------------------------------------------------------------------

Align = Literal["left", "right"]
Cell = str | Text


@dataclass(frozen=True, slots=True)
class Column:
    """One column: a fixed width, or ``flex`` to take what is left.

    ``drop`` orders what goes first when the table is too narrow (higher drops first;
    0 never drops), so an 80-column terminal keeps the columns that matter.
    """

    name: str
    width: int
    align: Align = "left"
    flex: bool = False
    drop: int = 0
    most: int = 0
    """A flexible column grows to at most this width (0: no limit), so a text column in
    front of numbers does not push them far from their labels on a wide terminal."""


@dataclass(frozen=True, slots=True)
class TableRow:
    """A row of cells. ``key`` names what ``enter`` opens (a symbol, a source...)."""

    key: str
    cells: tuple[Cell, ...]
    style: Style | None = None


def layout(columns: Sequence[Column], width: int) -> list[int]:
    """Each column's width (0: dropped) so the columns fit in ``width`` with one-cell gaps."""
    widths = [c.width for c in columns]

    def used() -> int:
        shown = [w for w in widths if w > 0]
        return sum(shown) + max(len(shown) - 1, 0)

    for rank in sorted({c.drop for c in columns if c.drop}, reverse=True):
        if used() <= width:
            break
        for i, column in enumerate(columns):
            if column.drop == rank:
                widths[i] = 0
    flex = [i for i, c in enumerate(columns) if c.flex and widths[i] > 0]
    while flex and (spare := width - used()) > 0:
        share, extra = divmod(spare, len(flex))
        for n, i in enumerate(flex):
            widths[i] += share + (1 if n < extra else 0)
        capped = [i for i in flex if columns[i].most and widths[i] >= columns[i].most]
        for i in capped:
            widths[i] = columns[i].most
        flex = [i for i in flex if i not in capped]
    return widths


def fit(cell: Cell, width: int, align: Align) -> Text:
    """``cell`` cut or padded to exactly ``width`` cells (remote strings stay plain text)."""
    text = cell.copy() if isinstance(cell, Text) else Text(cell)
    text.no_wrap = True
    if text.cell_len > width:
        text.truncate(width, overflow="ellipsis")
    pad = width - text.cell_len
    if pad > 0:
        if align == "right":
            text = Text(" " * pad) + text
        else:
            text.append(" " * pad)
    return text


def join_cells(columns: Sequence[Column], widths: Sequence[int], cells: Sequence[Cell]) -> Text:
    """The cells laid out in their columns."""
    out = Text(no_wrap=True)
    first = True
    for column, width, cell in zip(columns, widths, cells, strict=False):
        if width <= 0:
            continue
        if not first:
            out.append(" ")
        first = False
        out.append_text(fit(cell, width, column.align))
    return out


class ColumnTable(LineTable[TableRow]):
    """A :class:`LineTable` of :class:`TableRow` laid out in :class:`Column` s."""

    def __init__(
        self,
        columns: Sequence[Column],
        *,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.columns = tuple(columns)
        self._widths: tuple[int, list[int]] | None = None

    def set_columns(self, columns: Sequence[Column]) -> None:
        """Change the columns (e.g. a correlation matrix that gained a symbol)."""
        if tuple(columns) != self.columns:
            self.columns = tuple(columns)
            self._widths = None
            self.invalidate()

    def widths(self, width: int) -> list[int]:
        if self._widths is None or self._widths[0] != width:
            self._widths = (width, layout(self.columns, width))
        return self._widths[1]

    def render_header(self, width: int) -> Text:
        text = join_cells(self.columns, self.widths(width), [Text(c.name) for c in self.columns])
        text.stylize(HEAD)
        return text

    def key_of(self, row: TableRow) -> str:
        return row.key

    def render_row(self, row: TableRow, width: int) -> Text:
        text = join_cells(self.columns, self.widths(width), row.cells)
        if row.style is not None:
            text.stylize_before(row.style)
        return text
