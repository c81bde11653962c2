"""Every character of every view is readable: at least 4.5:1 (WCAG AA) against its
background, in the default theme, under ``NO_COLOR`` and in a 16-colour terminal.

What is measured is what Textual sends to the terminal: the compositor's segments after
Textual's line filters (ANSI colours turned into truecolour through the app's terminal
theme, ``dim`` blended into the colour, greys under ``NO_COLOR``), with ``reverse`` swapping
foreground and background. In 16 colours the terminal gets the nearest of its 16 colours to
each one (rich's ``downgrade``, as :meth:`textual.strip.Strip.render` does); they are
measured in the palette rich picks the nearest from (its standard VGA palette), since the
terminal's own is not known.

What counts as text: every character that is not blank and not a drawing. Box drawing, block
elements and braille (borders, chart lines, sparklines, bars, scrollbars) are graphics: the
4.5:1 of WCAG 1.4.3 is for text, and each of them stands beside the number or word it
draws. Dim text is measured like any other (a placeholder such as ``n/a`` must be readable
too); Textual blends dim into the colour, so it is measured as drawn.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import textual.constants
from rich._palettes import STANDARD_PALETTE
from rich.color import Color, ColorSystem
from textual.containers import VerticalScroll
from textual.geometry import Region

from r2kmon.clock import FrozenClock
from r2kmon.config import Config
from r2kmon.ui.app import R2kApp
from r2kmon.ui.messages import StateUpdated
from r2kmon.ui.screens.main import VIEW_NAMES
from tests.ui.data import NOW, ready_state

AA = 4.5
MODES = ("default", "no-color", "16-colors")
SIZES = [(80, 24), (160, 48)]
GRAPHICS = ((0x2500, 0x259F), (0x2800, 0x28FF))
"""Box drawing and block elements; braille patterns."""
RGB = tuple[int, int, int]


def luminance(rgb: RGB) -> float:
    """WCAG 2 relative luminance of an sRGB colour."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: RGB, b: RGB) -> float:
    """WCAG 2 contrast ratio, 1 to 21."""
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def shown(color: Color, sixteen: bool) -> RGB:
    if sixteen:
        number = color.downgrade(ColorSystem.STANDARD).number
        assert number is not None
        r, g, b = STANDARD_PALETTE[number]
    else:
        r, g, b = color.get_truecolor()
    return r, g, b


def is_text(char: str) -> bool:
    code = ord(char)
    return not char.isspace() and not any(lo <= code <= hi for lo, hi in GRAPHICS)


def low_contrast(
    app: R2kApp, where: str, sixteen: bool, region: Region | None = None
) -> Iterator[str]:
    """Each run of text under 4.5:1 on the screen (or in ``region`` of it): where, what,
    the ratio and the colours."""
    for y, strip in enumerate(app.screen._compositor.render_strips()):
        x = 0
        for text, style, _ in strip:
            inside = region is None or region.contains(x, y)
            if inside and style is not None and any(is_text(c) for c in text):
                fg, bg = style.color, style.bgcolor
                assert fg is not None, f"{where} y={y}: {text!r} {style}"
                assert bg is not None, f"{where} y={y}: {text!r} {style}"
                if style.reverse:
                    fg, bg = bg, fg
                pair = shown(fg, sixteen), shown(bg, sixteen)
                ratio = contrast(*pair)
                if ratio < AA:
                    yield f"{where} y={y} x={x} {text.strip()!r}: {ratio:.2f} {pair}"
            x += len(text)


def test_contrast_ratio_matches_the_wcag_examples() -> None:
    assert contrast((0, 0, 0), (255, 255, 255)) == pytest.approx(21)
    assert contrast((118, 118, 118), (255, 255, 255)) == pytest.approx(4.54, abs=0.01)
    assert [is_text(c) for c in "5▲— █│⣿"] == [True, True, True, False, False, False, False]


@pytest.mark.history
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("mode", MODES)
async def test_every_view_is_readable(
    mode: str, size: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    if mode == "no-color":
        monkeypatch.setenv("NO_COLOR", "1")
    else:
        monkeypatch.delenv("NO_COLOR", raising=False)
    sixteen = mode == "16-colors"
    # What TEXTUAL_COLOR_SYSTEM=standard (or a terminal that offers 16 colours) gives the app.
    monkeypatch.setattr(textual.constants, "COLOR_SYSTEM", "standard" if sixteen else "truecolor")
    app = R2kApp(None, Config(), clock=FrozenClock(NOW))
    failures: list[str] = []
    async with app.run_test(size=size) as pilot:
        app.post_message(StateUpdated(ready_state()))
        await pilot.pause()
        for n, view in enumerate(VIEW_NAMES, start=1):
            await pilot.press(str(n))
            await app.workers.wait_for_complete()
            for _ in range(3):  # a chart worker's result, then its replot and repaint
                await pilot.pause()
            failures += low_contrast(app, view, sixteen)
        await pilot.press("question_mark")
        await pilot.pause()
        # Only the help itself: the view behind a modal screen is faded on purpose.
        box = app.screen.query_one(VerticalScroll).region
        failures += low_contrast(app, "help", sixteen, box)
    assert not failures, "\n".join(failures[:30])
