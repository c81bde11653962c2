"""Words, marks and colours for states, shared by every view.

Used by the views and widgets of the UI. Colour is never the only signal: every state has
a word and a mark (with ASCII twins for ``[general] ascii``), so a 16-colour terminal, a
``NO_COLOR`` terminal and a colour-blind reader all see the same thing. Colours are the 16
ANSI names, which every terminal has.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from rich.style import Style

UP = Style(color="green")
DOWN = Style(color="red")
BOLD = Style(bold=True)
DIM = Style(dim=True)
WARN = Style(color="yellow", bold=True)
BAD = Style(color="red", bold=True)
GOOD = Style(color="green", bold=True)
TITLE = Style(bold=True)

BREAKOUT_STYLE: Mapping[str, Style] = MappingProxyType(
    {
        "below": DIM,
        "testing": Style(color="yellow"),
        "breakout": Style(color="green", bold=True),
        "confirmed": Style(color="green"),
        "retest": Style(color="cyan"),
        "failed": Style(color="red", bold=True),
    }
)
_BREAKOUT_MARK = {
    "below": ("·", "."),
    "testing": ("≈", "~"),
    "breakout": ("↑", "^"),
    "confirmed": ("✓", "+"),
    "retest": ("↺", "r"),
    "failed": ("✗", "x"),
}

HEALTH_STYLE: Mapping[str, Style] = MappingProxyType(
    {
        "ok": Style(color="green"),
        "connecting": Style(color="yellow"),
        "stale": WARN,
        "down": BAD,
    }
)
_HEALTH_MARK = {"ok": ("●", "*"), "connecting": ("◌", "o"), "stale": ("◐", "!"), "down": ("✗", "x")}

GAUGE_STYLE: Mapping[str, Style] = MappingProxyType(
    {"risk-on": GOOD, "neutral": Style(color="yellow", bold=True), "risk-off": BAD}
)

ALERT_STYLE: Mapping[str, Style] = MappingProxyType(
    {"info": Style(), "warning": WARN, "error": BAD, "alert": Style(color="magenta", bold=True)}
)


def breakout_word(state: str | None, *, ascii_only: bool = False) -> str:
    """``↑ breakout`` / ``^ breakout``; ``—`` when there is no state."""
    if state is None:
        return "—"
    marks = _BREAKOUT_MARK.get(state, ("?", "?"))
    return f"{marks[1] if ascii_only else marks[0]} {state}"


def health_word(status: str, *, ascii_only: bool = False) -> str:
    """``● ok`` / ``✗ down`` (ASCII: ``* ok`` / ``x down``)."""
    marks = _HEALTH_MARK.get(status, ("?", "?"))
    return f"{marks[1] if ascii_only else marks[0]} {status}"


def direction_style(value: float | None) -> Style:
    """Green up, red down, plain flat or unknown (the text carries the sign too)."""
    if value is None or value == 0:
        return Style()
    return UP if value > 0 else DOWN
