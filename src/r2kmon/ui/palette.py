"""Words, marks and colours for states, shared by every view.

Used by the views and widgets of the UI. Colour is never the only signal: every state has
a word and a mark (with ASCII twins for ``[general] ascii``), so a 16-colour terminal, a
``NO_COLOR`` terminal and a colour-blind reader all see the same thing. Colours are the 16
ANSI names, which every terminal has.

What an ANSI name looks like is the app's to say: Textual draws ANSI colours in truecolour
through a terminal theme (:attr:`textual.app.App.ansi_theme_dark`), then a 16-colour
terminal gets the nearest of its 16. Textual's own (Monokai) fails both ways: its red is
4.47:1 on the dark background and 3.3:1 on the header, and in 16 colours its red becomes
magenta and its yellow (an orange) red. :data:`ANSI_DARK` holds every colour at 4.5:1 or
more on the dark theme's backgrounds and bars, and each one downgrades to its own bright
ANSI colour. Under ``NO_COLOR``, Textual turns colours into greys of the same luminance,
which put red at 1.7:1; :data:`ANSI_NO_COLOR_DARK` and :data:`ANSI_NO_COLOR_LIGHT` draw every
ANSI colour as plain text instead, so the state is told by sign, mark and word and the
emphasis by bold and reverse (``tests/ui/test_contrast.py`` measures all three).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from rich.style import Style
from rich.terminal_theme import TerminalTheme

_DARK_COLORS = [
    (26, 26, 26),  # black: as Monokai (text drawn on a yellow badge)
    (255, 110, 110),  # red: 4.9:1 on the header's $panel, 7.2:1 on the background
    (110, 220, 110),
    (240, 210, 80),
    (130, 160, 255),
    (240, 130, 240),
    (90, 210, 230),
    (196, 197, 181),  # white: as Monokai
]
ANSI_DARK = TerminalTheme((12, 12, 12), (217, 217, 217), _DARK_COLORS, _DARK_COLORS)
"""ANSI colours for dark themes (see the module docstring)."""
_PLAIN_ON_DARK = [(26, 26, 26), *[(224, 224, 224)] * 7]
_PLAIN_ON_LIGHT = [(224, 224, 224), *[(26, 26, 26)] * 7]
ANSI_NO_COLOR_DARK = TerminalTheme((12, 12, 12), (224, 224, 224), _PLAIN_ON_DARK, _PLAIN_ON_DARK)
"""Under ``NO_COLOR`` on a dark theme every ANSI colour but black is the text colour."""
ANSI_NO_COLOR_LIGHT = TerminalTheme((240, 240, 240), (26, 26, 26), _PLAIN_ON_LIGHT, _PLAIN_ON_LIGHT)
"""Under ``NO_COLOR`` on a light theme every ANSI colour but black is the text colour (and
black, drawn on a coloured badge, the light one)."""

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
