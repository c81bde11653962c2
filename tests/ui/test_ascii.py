"""``ascii = true`` leaves no glyph outside ASCII on the screen: every view, the help and a
detail screen, at 80x24 and 160x48.

Nothing is excluded: Textual's own borders and scrollbars, plotext's frames and braille and
a cut cell's ellipsis are on the screen too, and a terminal that cannot show a box-drawing
character cannot show it whoever drew it. The views write their own ASCII twins; the
app's line filter (:mod:`r2kmon.ui.ascii`) turns the rest into ASCII of the same width.
"""

from __future__ import annotations

import unicodedata
from dataclasses import replace

import pytest
from rich.cells import cell_len

from r2kmon.clock import FrozenClock
from r2kmon.config import Config
from r2kmon.ui.app import R2kApp
from r2kmon.ui.ascii import ascii_char, to_ascii
from r2kmon.ui.messages import StateUpdated
from r2kmon.ui.screens.detail import DetailScreen
from r2kmon.ui.screens.help import HelpScreen
from r2kmon.ui.screens.main import VIEW_NAMES
from tests.ui.data import NOW, ready_state
from tests.ui.test_views import screen_text


def not_ascii(text: str, where: str) -> list[str]:
    return [
        f"{where} line {y}: {sorted({c for c in line if not c.isascii()})} in {line.strip()!r}"
        for y, line in enumerate(text.splitlines())
        if not line.isascii()
    ]


@pytest.mark.history
@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_ascii_mode_draws_only_ascii(size: tuple[int, int]) -> None:
    config = Config()
    config = replace(config, general=replace(config.general, ascii=True))
    app = R2kApp(None, config, clock=FrozenClock(NOW))
    found: list[str] = []
    async with app.run_test(size=size) as pilot:
        app.post_message(StateUpdated(ready_state()))
        await pilot.pause()
        # The toast (a "coinbase is down" notification) is on screen too: kept.
        for n, view in enumerate(VIEW_NAMES, start=1):
            await pilot.press(str(n))
            await app.workers.wait_for_complete()
            for _ in range(3):  # a chart worker's result, then its replot and repaint
                await pilot.pause()
            found += not_ascii(screen_text(app), view)
        await pilot.press("1", "enter")  # the detail of the dashboard's first quote
        await pilot.pause()
        assert isinstance(app.screen, DetailScreen)
        found += not_ascii(screen_text(app), "detail")
        await pilot.press("escape", "question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        found += not_ascii(screen_text(app), "help")
    assert not found, "\n".join(found[:30])


def test_each_glyph_becomes_ascii_of_its_width() -> None:
    assert to_ascii("▲+4.1% — 1,234 · ok ●") == "^+4.1% - 1,234 . ok *"
    assert [ascii_char(c) for c in "─│┌┴╮⣿▃░é"] == ["-", "|", "+", "+", "+", ".", "#", ".", "e"]
    for code in range(0x80, 0x3000):
        char = chr(code)
        if unicodedata.category(char)[0] in "LNPS" and cell_len(char) == 1:
            stand_in = ascii_char(char)
            assert stand_in.isascii(), char
            assert len(stand_in) == 1, char
