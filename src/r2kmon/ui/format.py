"""Turning numbers into the short strings the tables show. Pure functions, no Textual.

Used by every table and panel of the UI; tested without a terminal."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from decimal import Decimal

from r2kmon.model import age_text, price_text

SPARK_UNICODE = "▁▂▃▄▅▆▇█"
SPARK_ASCII = "_.-~=+*#"


def sparkline(values: Sequence[float | None], width: int, *, ascii_only: bool = False) -> str:
    """The last ``width`` values as one line of glyphs, scaled to their own min..max.

    Fewer values than ``width`` are right-aligned (the newest value is always in the last
    cell) and a ``None`` (no data there yet) is a blank; a flat series draws a flat line in
    the middle.
    """
    tail = values[-width:] if width > 0 else ()
    known = [v for v in tail if v is not None]
    if not known:
        return " " * max(width, 0)
    glyphs = SPARK_ASCII if ascii_only else SPARK_UNICODE
    low, high = min(known), max(known)
    top = len(glyphs) - 1
    scale = top / (high - low) if high > low else 0.0
    line = "".join(
        " " if v is None else glyphs[round((v - low) * scale) if scale else top // 2] for v in tail
    )
    return line.rjust(width)


def price(value: Decimal | float) -> str:
    """A price with digits that suit its size: 93,779.93 · 2.450 · 0.000123."""
    return price_text(value)


def change(pct: float | None, *, ascii_only: bool = False) -> str:
    """A signed change with an arrow, so its direction never depends on colour."""
    if pct is None:
        return "—" if not ascii_only else "-"
    up, down = ("^", "v") if ascii_only else ("▲", "▼")
    shown = round(pct, 2)  # the arrow agrees with the number shown
    if shown == 0:
        return "=0.00%"
    return f"{up if shown > 0 else down}{shown:+.2f}%"


def age(seconds: float) -> str:
    """Seconds as 5s · 12m · 3h · 2d."""
    return age_text(seconds)


def when(ts: float | None, *, with_time: bool = False) -> str:
    """A UTC date (``2026-11-17``), with ``HH:MM`` when asked; ``—`` when unknown."""
    if ts is None:
        return "—"
    moment = datetime.fromtimestamp(ts, tz=timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")


def signed(value: float | None, digits: int = 2, suffix: str = "") -> str:
    """``+1.23`` / ``-0.40`` with a suffix; ``—`` when unknown."""
    if value is None:
        return "—"
    return f"{value:+.{digits}f}{suffix}"


def number(value: float | None, digits: int = 2) -> str:
    """A plain number with thousands separators; ``—`` when unknown."""
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def big(value: float | None, unit: str = "") -> str:
    """Large amounts shortened: ``6.12T`` · ``-3.4B`` · ``250.0M``; ``—`` when unknown."""
    if value is None:
        return "—"
    for size, letter in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(value) >= size:
            return f"{value / size:,.2f}{letter}{unit}"
    return f"{value:,.2f}{unit}"


def bar(score: float | None, width: int, *, ascii_only: bool = False) -> str:
    """A 0-100 score as a horizontal bar ``width`` cells wide (eighths in Unicode)."""
    if width <= 0:
        return ""
    if score is None:
        return ("." if ascii_only else "·") * width
    filled = max(0.0, min(100.0, score)) / 100 * width
    if ascii_only:
        full = round(filled)
        return "#" * full + "-" * (width - full)
    eighths = round(filled * 8)
    full, part = divmod(eighths, 8)
    partial = " ▏▎▍▌▋▊▉"[part] if part and full < width else ""
    line = "█" * full + partial
    return line + "░" * (width - len(line))


def progress(done: int, total: int, width: int = 20, *, ascii_only: bool = False) -> str:
    """``▕██████░░░░▏ 3/7`` for something being loaded."""
    if total <= 0:
        return ""
    share = max(0.0, min(1.0, done / total)) * 100
    left, right = ("[", "]") if ascii_only else ("▕", "▏")
    return f"{left}{bar(share, width, ascii_only=ascii_only)}{right} {done}/{total}"


def countdown(seconds: float) -> str:
    """Seconds to wait as ``in 12s`` / ``in 3m`` / ``now``."""
    if seconds <= 0.5:
        return "now"
    return f"in {age(seconds)}"
