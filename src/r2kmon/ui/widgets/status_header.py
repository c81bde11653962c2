"""The top line of every view: name, view, clock, US session, SIMULATED, PAUSED, the
filter, and one chip per source — or, when nothing answers, one line that says so.

Used by the main screen. Redrawn when the minute turns and when what it shows changes;
every state is spelled out (``ok``, ``stale``, ``open``, ...) so nothing depends on colour
alone. Whether the app is offline is decided by :func:`r2kmon.model.reachability`, not
here: the header only draws its line (``offline — 0 of 12 sources reachable: DNS failure
· retry in 30 s``) in place of the chips, which could not all fit and would all say
``down``; the market session gives way to it where both do not fit, and at 80 columns
it takes its compact form (``offline 0/12: DNS failure · retry 30 s``). When only some
sources are unreachable the chips stay, after a count (``3 of 12 sources unreachable``)
that survives when 80 columns cut the chips short.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from r2kmon.model import SourceHealth, reachability
from r2kmon.ui.palette import BAD, HEALTH_STYLE, WARN

BADGE = Style(color="black", bgcolor="yellow", bold=True)
STATUS_STYLE = HEALTH_STYLE
NARROW_BELOW = 100
"""Under this many columns the header uses the compact reachability line (the app's
80x24 layout starts at the same width)."""


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
    network: str | None = None
    """The reachability line (:meth:`r2kmon.model.Reachability.line`), if any. While
    offline it counts down to the next retry, so the header then repaints each second."""
    network_compact: str | None = None
    """The same, short enough for 80 columns."""
    offline: bool = False
    """Nothing answers: the line replaces the chips (else it comes before them)."""


BADGE_FIRST_BELOW = 60
"""Under this many columns the SIMULATED badge moves next to the name."""


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
        records = old.health if health is None else tuple(health.values())
        reach = reachability(records, now)
        info = HeaderInfo(
            int(now // 60),
            old.view if view is None else view,
            old.market if market is None else market,
            old.simulated if simulated is None else simulated,
            old.paused if paused is None else paused,
            old.filter if filter is None else filter,
            records,
            reach.line(now, ascii_only=self.ascii_only),
            reach.line(now, ascii_only=self.ascii_only, compact=True),
            reach.offline,
        )
        if info != old:
            self.info = info
            self.refresh()

    def render(self) -> Text:
        info = self.info
        width = self.size.width
        if info.offline and info.network and info.network_compact:
            # The offline line is what matters then: in full with the market session if
            # both fit, else in full alone, else its compact form (80 columns).
            for market, line in (
                (True, info.network),
                (False, info.network),
                (False, info.network_compact),
            ):
                text = self._start(info, market=market)
                text.append(self._sep)
                text.append(line, BAD)
                if text.cell_len <= width:
                    break
            return text
        text = self._start(info, market=True)
        if info.network:
            # Some sources unreachable: how many, before chips that 80 columns cut short.
            text.append(self._sep)
            text.append(info.network if width >= NARROW_BELOW else info.network_compact or "", WARN)
        dot = "*" if self.ascii_only else "●"
        for record in info.health:
            style = STATUS_STYLE[record.status]
            text.append(f" {dot} ", style)
            text.append(record.name)  # remote/config text: plain, never markup
            text.append(f" {record.status}", style)
        return text

    @property
    def _sep(self) -> str:
        return " | " if self.ascii_only else " │ "

    def _start(self, info: HeaderInfo, *, market: bool) -> Text:
        """Name, view, filter, clock, the market session (if ``market``) and the badges."""
        wide = self.size.width >= 120
        moment = datetime.fromtimestamp(info.minute * 60, tz=timezone.utc)
        clock = moment.strftime("%Y-%m-%d %H:%M UTC" if wide else "%H:%MZ")
        sep = self._sep
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(" r2kmon", Style(bold=True))
        # Under 60 columns the badge comes first, so it is the last thing the cut drops:
        # simulated prices must never pass for real ones.
        badge_first = info.simulated and self.size.width < BADGE_FIRST_BELOW
        if badge_first:
            text.append(" ")
            text.append(" SIMULATED ", BADGE)
        if info.view:
            text.append(sep)
            text.append(info.view, Style(bold=True, underline=True))
        if info.filter:
            text.append(sep + "filter: ")
            text.append(info.filter, Style(bold=True))  # typed by the user: plain text
        text.append(sep + clock)
        if info.market and market:
            text.append(sep + "US " + info.market)
        if info.simulated and not badge_first:
            text.append(" ")
            text.append(" SIMULATED ", BADGE)
        if info.paused:
            text.append(" ")
            text.append(" PAUSED ", Style(reverse=True, bold=True))
        return text
