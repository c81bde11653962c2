"""Turning numbers into the short strings the tables show. Pure functions, no Textual."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

SPARK_UNICODE = "▁▂▃▄▅▆▇█"
SPARK_ASCII = "_.-~=+*#"


def sparkline(values: Sequence[float], width: int, *, ascii_only: bool = False) -> str:
    """The last ``width`` values as one line of glyphs, scaled to their own min..max.

    Fewer values than ``width`` are right-aligned (the newest value is always in the last
    cell); a flat series draws a flat line in the middle.
    """
    if width <= 0 or not values:
        return " " * max(width, 0)
    glyphs = SPARK_ASCII if ascii_only else SPARK_UNICODE
    tail = values[-width:]
    low, high = min(tail), max(tail)
    top = len(glyphs) - 1
    if high == low:
        line = glyphs[top // 2] * len(tail)
    else:
        scale = top / (high - low)
        line = "".join(glyphs[round((v - low) * scale)] for v in tail)
    return line.rjust(width)


def price(value: Decimal | float) -> str:
    """A price with digits that suit its size: 93,779.93 · 2.4500 · 0.000123."""
    number = float(value)
    if abs(number) >= 1000:
        return f"{number:,.2f}"
    if abs(number) >= 1:
        return f"{number:.2f}" if abs(number) >= 10 else f"{number:.3f}"
    return f"{number:.6f}"


def change(pct: float | None, *, ascii_only: bool = False) -> str:
    """A signed change with an arrow, so its direction never depends on colour."""
    if pct is None:
        return "—" if not ascii_only else "-"
    up, down = ("^", "v") if ascii_only else ("▲", "▼")
    arrow = up if pct > 0 else down if pct < 0 else " "
    return f"{arrow}{pct:+.2f}%"


def age(seconds: float) -> str:
    """Seconds as 5s · 12m · 3h · 2d."""
    if seconds < 60:
        return f"{int(seconds)}s"
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    if seconds < 86_400:
        return f"{int(seconds // 3600)}h"
    return f"{int(seconds // 86_400)}d"
