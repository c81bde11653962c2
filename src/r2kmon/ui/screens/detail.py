"""The detail modal that ``enter`` opens on a table row: every field of one symbol or
source, including the full error text the tables cut short."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


class DetailScreen(ModalScreen[None]):
    """Shows one :class:`~rich.text.Text`; escape, enter or q closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close", show=False),
        Binding("enter", "dismiss", "Close", show=False),
        Binding("q", "dismiss", "Close", show=False),
    ]

    DEFAULT_CSS = """
    DetailScreen { align: center middle; }
    DetailScreen > VerticalScroll {
        width: auto; max-width: 90%; height: auto; max-height: 90%;
        border: round $accent; padding: 0 2; background: $surface;
    }
    DetailScreen #detail-text { width: auto; height: auto; }
    """

    def __init__(self, text: Text) -> None:
        super().__init__(name="detail")
        self.text = text

    def compose(self) -> ComposeResult:
        body = self.text.copy()
        body.append("\n\nescape, enter or q closes this.", style="dim")
        with VerticalScroll():
            yield Static(body, id="detail-text")

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
