"""What every view shares: the draw context, the :class:`View` base, loading text.

Used by the main screen (which shows one view at a time and calls :meth:`View.show` on the
visible one only) and by each view module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.containers import Vertical

from r2kmon.model import AnalyticsStatus
from r2kmon.model.state import AppState
from r2kmon.ui import format as fmt
from r2kmon.ui.palette import BAD, DIM, WARN

RANGES: tuple[tuple[str, float | None], ...] = (
    ("1M", 31),
    ("6M", 183),
    ("1Y", 366),
    ("5Y", 5 * 365.25),
    ("max", None),
)
"""Chart ranges (label, days; ``None``: all), shared by the charts and correlation views."""
DEFAULT_RANGE = 2


@dataclass(frozen=True, slots=True)
class DrawContext:
    """Everything besides the state that decides how a view looks."""

    now: float
    """The frozen or wall clock, UTC epoch seconds (ages and countdowns)."""
    ascii_only: bool = False
    stale_after_s: float = 60.0
    filter: str = ""
    """The ``/`` filter: only rows whose symbol or name contains it (case-insensitive)."""
    narrow: bool = False
    """The terminal is under 100 columns wide (80x24 layout)."""
    usdt_as_usd: bool = True
    """The config lets a USDT market stand for USD (``[crypto] usdt_as_usd``)."""
    range_index: int = DEFAULT_RANGE
    """The chart range (an index into :data:`RANGES`), chosen with ``[`` and ``]``."""
    private: bool = False
    """``[general] private``: the portfolio hides quantities and amounts."""

    def empty(self, reason: str) -> Text:
        """What a table with no row says: ``reason``, or with the filter on, that the filter
        hid its rows (a reason such as "no breakout in the loaded history" would be false)."""
        if self.filter:
            return Text(f"filtered: {self.filter} (no row matches)", DIM)
        return Text(reason, DIM)

    def matches(self, *names: str) -> bool:
        """Whether a row named ``names`` passes the filter."""
        if not self.filter:
            return True
        needle = self.filter.casefold()
        return any(needle in name.casefold() for name in names)


class View(Vertical):
    """One view of the main screen. Subclasses compose their panes and draw in :meth:`show`."""

    DEFAULT_CSS = """
    View { height: 1fr; }
    """

    TITLE: ClassVar[str] = ""
    """Shown in the header as ``<digit> <TITLE>``, and in the command palette."""
    DIGIT: ClassVar[str] = ""
    FIRST_FOCUS: ClassVar[str] = ""
    """Selector of the pane focused when the view is shown (default: the first one)."""

    def show(self, state: AppState, ctx: DrawContext) -> None:
        """Draw ``state``. Called only while this view is visible."""
        raise NotImplementedError

    def tick(self, state: AppState, ctx: DrawContext) -> None:
        """Once a second while visible: ages and countdowns moved on. Redraws by default;
        the tables repaint only lines that changed."""
        self.show(state, ctx)

    def detail(self, key: str, state: AppState, ctx: DrawContext) -> Text | None:
        """What ``enter`` opens for the row ``key`` of a table in this view."""
        return None


def loading_text(status: AnalyticsStatus, *, ascii_only: bool = False, what: str = "") -> Text:
    """What a pane shows while the analytics are not ready: what is loading, how far along;
    or, when there is no history and its sources failed, why (not "Loading": nothing is)."""
    text = Text(no_wrap=True)
    if status.state == "error":
        text.append("Analytics failed: ", BAD)
        text.append(status.detail)  # from the runtime: plain text
        return text
    if status.state == "unavailable":
        text.append(f"Cannot show {what}: " if what else "Unavailable: ", BAD)
        text.append(status.detail)  # reasons from the network: plain text
        return text
    word = "Computing" if status.state == "computing" else "Loading"
    text.append(f"{word} {what}: " if what else f"{word}: ", WARN)
    text.append(status.detail)
    if status.total > 0:
        text.append("  ")
        text.append(fmt.progress(status.done, status.total, 16, ascii_only=ascii_only), DIM)
    return text


def missing(reason: str) -> Text:
    """``—`` and why, for a value that could not be had (never a guess)."""
    text = Text("— ", DIM)
    text.append(reason, DIM)
    return text
