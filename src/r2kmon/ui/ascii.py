"""``[general] ascii``: the last step of every line drawn, so no glyph outside ASCII reaches
a terminal that cannot show it.

Used by the app as a Textual line filter when the setting is on. The views already write
their own ASCII twins where they choose them (``->`` for an arrow, ``-`` for a missing
value, ``^``/``v`` for a change); this catches what they do not draw themselves: Textual's
borders and scrollbars, plotext's frames and braille lines, the ellipsis of a cut cell, and
any glyph a later change adds. Each character becomes one ASCII character of the same
width, so columns stay where they were.
"""

from __future__ import annotations

import unicodedata

from rich.cells import cell_len
from rich.segment import Segment
from textual.color import Color
from textual.filter import LineFilter

GLYPHS = {
    "—": "-",
    "\u2013": "-",  # en dash
    "·": ".",
    "•": "*",
    "…": ".",
    "►": ">",
    "▶": ">",
    "◀": "<",
    "▲": "^",
    "▼": "v",
    "↑": "^",
    "↓": "v",
    "→": ">",
    "←": "<",
    "●": "*",
    "◌": "o",
    "◐": "!",
    "✓": "+",
    "✗": "x",
    "≈": "~",
    "↺": "r",
    "░": ".",
    "▒": ":",
    "▁": "_",
    "▕": "|",
    "▏": "|",
    "⠀": " ",
}
"""Glyphs r2kmon, Textual and plotext draw, and the ASCII that reads the same."""


def ascii_char(char: str) -> str:
    """The ASCII stand-in for one character, as many cells wide."""
    if char.isascii():
        return char
    if char in GLYPHS:
        return GLYPHS[char]
    code = ord(char)
    if 0x2500 <= code <= 0x257F:  # box drawing: lines, corners, tees
        name = unicodedata.name(char, "")
        if " AND " not in name and name.endswith("HORIZONTAL"):
            return "-"
        if " AND " not in name and name.endswith("VERTICAL"):
            return "|"
        return "+"
    if 0x2580 <= code <= 0x259F:  # block elements: bars, scrollbar thumbs, quadrants
        return "#"
    if 0x2800 <= code <= 0x28FF:  # braille: a chart's line
        return "."
    # Letters with accents (an error text from the OS) keep their letter.
    plain = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
    width = cell_len(char)
    return plain if len(plain) == width and plain.isprintable() else "?" * width


class _Table(dict[int, str]):
    """A ``str.translate`` table filled on first use of each character."""

    def __missing__(self, code: int) -> str:
        self[code] = ascii_char(chr(code))
        return self[code]


_TABLE = _Table()


def to_ascii(text: str) -> str:
    """``text`` in ASCII, each character replaced by one of the same width."""
    return text if text.isascii() else text.translate(_TABLE)


class AsciiFilter(LineFilter):
    """A Textual line filter that writes every segment in ASCII."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        return [
            segment if segment.text.isascii() else Segment(to_ascii(segment.text), *segment[1:])
            for segment in segments
        ]
