"""The help screen: every binding with the key it has now (after remapping).

Used by the app's ``help`` action; the rows come from the app's and the main screen's
bindings, so a binding added there is listed here without further work.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


class HelpScreen(ModalScreen[None]):
    """Lists the app's bindings; any of escape, q or ? closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close", show=False),
        Binding("question_mark", "dismiss", "Close", show=False),
        Binding("q", "dismiss", "Close", show=False),
    ]

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: auto; max-width: 90%; height: auto; max-height: 90%;
        border: round $accent; padding: 0 2; background: $surface;
    }
    HelpScreen #help-text { width: auto; height: auto; }
    """

    def __init__(self, rows: Sequence[tuple[str, str, str]]) -> None:
        """``rows`` are (key shown, binding id, what it does)."""
        super().__init__(name="help")
        self.rows = rows

    def compose(self) -> ComposeResult:
        text = Text()
        text.append("r2kmon — keys\n\n", style="bold")
        # Columns as wide as their longest entry (remapped keys can be long: shift+tab).
        key_w = max((len(key) for key, _, _ in self.rows), default=0)
        what_w = max((len(what) for _, _, what in self.rows), default=0)
        for key, binding_id, description in self.rows:
            text.append(f"{key:>{key_w}}  ", style="bold")
            text.append(f"{description:<{what_w}}")
            text.append(f" [{binding_id}]\n", style="dim")
        text.append('\nRemap any key in the config: [keys] <id> = "<key>".\n', style="dim")
        text.append("escape, ? or q closes this help; j/k or the arrows scroll it.", style="dim")
        with VerticalScroll():
            yield Static(text, id="help-text")

    def on_mount(self) -> None:
        # Focused, so the arrows (and j/k through the app) scroll a help taller than 24 lines.
        self.query_one(VerticalScroll).focus()

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)


def help_rows(
    bindings: Sequence[Binding], keymap: dict[str, str], display: dict[str, str]
) -> list[tuple[str, str, str]]:
    """(key, id, description) for each binding, with remapped keys applied."""
    rows = []
    for binding in bindings:
        binding_id = binding.id or binding.action
        key = keymap.get(binding_id, binding.key)
        rows.append((display.get(key, key), binding_id, binding.description))
    return rows
