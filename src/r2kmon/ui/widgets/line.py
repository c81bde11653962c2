"""A one-line text widget that repaints only when its text changed.

Used by views for summary lines (breadth, chart captions). ``Static.update`` always asks
for a layout pass; at the refresh rate that is wasted work when the text is the same.
"""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget


class TextLine(Widget):
    """Shows a :class:`~rich.text.Text` (plain, never markup)."""

    DEFAULT_CSS = """
    TextLine { height: auto; padding: 0 1; }
    """

    def __init__(
        self, text: Text | None = None, *, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.text = text or Text()

    def set(self, text: Text) -> None:
        """Show ``text``; repaint (and re-measure) only when it differs."""
        if text == self.text:
            return
        relayout = text.plain.count("\n") != self.text.plain.count("\n")
        self.text = text
        self.refresh(layout=relayout)

    def render(self) -> Text:
        return self.text
