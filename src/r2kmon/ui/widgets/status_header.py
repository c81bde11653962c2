"""The top line of every view: name, view, clock, US session, SIMULATED, PAUSED, the
filter, and one chip per source.

Used by the main screen. Redrawn when the minute turns and when what it shows changes;
every state is spelled out (``ok``, ``stale``, ``open``, ...) so nothing depends on colour
alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from r2kmon.model import SourceHealth
from r2kmon.ui.palette import HEALTH_STYLE

BADGE = Style(color="black", bgcolor="yellow", bold=True)
STATUS_STYLE = HEALTH_STYLE


@dataclass(frozen=True, slots=True)
class HeaderInfo:
    """What the header shows; equal info is never repainted."""

    minute: int = 0
    """The clock, in whole minutes: a clock with seconds would repaint the header every
    second even when nothing else moves (the idle budget of ``bench/render.py``); ages
    in the tables still count seconds."""
    view: str = ""
    market: str | None = None
    simulated: bool = False
    paused: bool = False
    filter: str = ""
    health: tuple[SourceHealth, ...] = ()


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
        self.info = HeaderInfo()

    @property
    def paused(self) -> bool:
        return self.info.paused

    def show(
        self,
        *,
        now: float,
        view: str | None = None,
        market: str | None = None,
        simulated: bool | None = None,
        paused: bool | None = None,
        filter: str | None = None,
        health: Mapping[str, SourceHealth] | None = None,
    ) -> None:
        """Update what the header shows (``None`` keeps a field); repaint only on change."""
        old = self.info
        info = HeaderInfo(
            int(now // 60),
            old.view if view is None else view,
            old.market if market is None else market,
            old.simulated if simulated is None else simulated,
            old.paused if paused is None else paused,
            old.filter if filter is None else filter,
            old.health if health is None else tuple(health.values()),
        )
        if info != old:
            self.info = info
            self.refresh()

    def render(self) -> Text:
        info = self.info
        wide = self.size.width >= 120
        moment = datetime.fromtimestamp(info.minute * 60, tz=timezone.utc)
        clock = moment.strftime("%Y-%m-%d %H:%M UTC" if wide else "%H:%MZ")
        sep = " | " if self.ascii_only else " │ "
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(" r2kmon", Style(bold=True))
        if info.view:
            text.append(sep)
            text.append(info.view, Style(bold=True, underline=True))
        if info.filter:
            text.append(sep + "filter: ")
            text.append(info.filter, Style(bold=True))  # typed by the user: plain text
        text.append(sep + clock)
        if info.market:
            text.append(sep + "US " + info.market)
        if info.simulated:
            text.append(" ")
            text.append(" SIMULATED ", BADGE)
        if info.paused:
            text.append(" ")
            text.append(" PAUSED ", Style(reverse=True, bold=True))
        dot = "*" if self.ascii_only else "●"
        for record in info.health:
            style = STATUS_STYLE[record.status]
            text.append(f" {dot} ", style)
            text.append(record.name)  # remote/config text: plain, never markup
            text.append(f" {record.status}", style)
        return text
