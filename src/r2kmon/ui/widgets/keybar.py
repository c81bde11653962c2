"""The bottom line: the main keys, as the config maps them, and what they do.

Used by the main screen instead of Textual's ``Footer``, which builds a widget per key and
rebuilds them whenever the focus moves (measured: about 90 ms of the start before the first
paint, see ``bench/render.py``). One widget drawing one line costs a single render, and the
keys do not change while the app runs: a remapped key (``[keys]`` in the config) is shown
as remapped, because the entries come from the same keymap the app applies.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.widget import Widget


class KeyBar(Widget):
    """``key description`` pairs on one line, and the command palette's key on the right."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"keybar--key", "keybar--description"}
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
    }
    KeyBar > .keybar--key {
        color: $footer-key-foreground;
        background: $footer-key-background;
        text-style: bold;
    }
    KeyBar > .keybar--description {
        color: $footer-description-foreground;
        background: $footer-description-background;
    }
    """

    def __init__(
        self, keys: Sequence[tuple[str, str]], *, right: tuple[str, str] | None = None
    ) -> None:
        super().__init__()
        self.keys = tuple(keys)
        self.right = right

    def render(self) -> Text:
        key_style = self.get_component_rich_style("keybar--key")
        description_style = self.get_component_rich_style("keybar--description")
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        for key, description in self.keys:
            text.append(f" {key} ", key_style)
            text.append(f"{description} ", description_style)
        if self.right is not None:
            key, description = self.right
            right = Text.assemble((f" {key} ", key_style), (f"{description} ", description_style))
            gap = self.size.width - text.cell_len - right.cell_len
            if gap >= 0:
                text.append(" " * gap)
                text.append_text(right)
        return text
