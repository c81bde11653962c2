"""The top line: name, clock, SIMULATED badge, PAUSED flag, and one chip per source.

Redrawn once a second for the clock and when the health it shows changes; every state is
spelled out (``ok``, ``stale``, ...) so nothing depends on colour alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone

from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from r2kmon.model import SourceHealth

STATUS_STYLE = {
    "ok": Style(color="green"),
    "connecting": Style(color="yellow"),
    "stale": Style(color="yellow", bold=True),
    "down": Style(color="red", bold=True),
}
BADGE = Style(color="black", bgcolor="yellow", bold=True)


class StatusHeader(Widget):
    """One line of status at the top of every view."""

    DEFAULT_CSS = """
    StatusHeader {
        height: 1;
        background: $panel;
    }
    """

    def __init__(self, *, ascii_only: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.ascii_only = ascii_only
        self.now: float = 0.0
        self.simulated = False
        self.paused = False
        self.health: tuple[SourceHealth, ...] = ()

    def show(
        self,
        *,
        now: float,
        simulated: bool,
        paused: bool,
        health: Mapping[str, SourceHealth] | None = None,
    ) -> None:
        """Update what the header shows; repaint only when the text would change."""
        records = tuple(health.values()) if health is not None else self.health
        shown_now = int(now)
        if (shown_now, simulated, paused, records) == (
            int(self.now),
            self.simulated,
            self.paused,
            self.health,
        ):
            return
        self.now, self.simulated, self.paused, self.health = now, simulated, paused, records
        self.refresh()

    def render(self) -> Text:
        clock = datetime.fromtimestamp(self.now, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(" r2kmon ", Style(bold=True))
        text.append(f"{clock} UTC ")
        if self.simulated:
            text.append(" SIMULATED ", BADGE)
            text.append(" ")
        if self.paused:
            text.append(" PAUSED ", Style(reverse=True, bold=True))
            text.append(" ")
        dot = "*" if self.ascii_only else "●"
        for record in self.health:
            style = STATUS_STYLE[record.status]
            text.append(f" {dot} ", style)
            text.append(record.name)  # remote/config text: plain, never markup
            text.append(f" {record.status}", style)
        return text
