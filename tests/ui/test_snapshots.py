"""SVG snapshots of every view at 80x24, 120x40, 160x48 and 200x60, and at 80x24 and
160x48 under ``NO_COLOR`` and with ``ascii = true``; of the help screen, and of the panes
while history is loading.

Frozen clock, data posted as the runtime posts it (``StateUpdated(AppState(...))``): the
hub holds the real daily history and the analytics are a real ``compute_all`` result on it
(``tests/ui/data.py``). No timers feed data in, the filter cursor does not blink, and the
chart workers are waited for before the picture is taken. Update after an intended change
with ``pytest tests/ui --snapshot-update`` and look at the report before committing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace

import pytest
from textual.pilot import Pilot

from r2kmon.clock import FrozenClock
from r2kmon.config import Config
from r2kmon.runtime.state import AppState
from r2kmon.ui.app import R2kApp
from r2kmon.ui.messages import StateUpdated
from r2kmon.ui.screens.main import VIEW_NAMES
from tests.paths import history_missing
from tests.ui.data import NOW, WEEKEND, freshness_state, loading_state, ready_state

SIZES = [(80, 24), (160, 48)]
VIEW_SIZES = [(80, 24), (120, 40), (160, 48), (200, 60)]
SnapCompare = Callable[..., bool]


def app(at: float = NOW, config: Config | None = None) -> R2kApp:
    return R2kApp(None, config or Config(), clock=FrozenClock(at))


def showing(state: AppState, *keys: str) -> Callable[[Pilot[int]], Awaitable[None]]:
    async def run_before(pilot: Pilot[int]) -> None:
        pilot.app.post_message(StateUpdated(state))
        await pilot.pause()
        # The "coinbase is down" toast is tested in test_app; here it would hide the view.
        pilot.app.clear_notifications()
        for key in keys:
            await pilot.press(key)
            await pilot.pause()
            await pilot.app.workers.wait_for_complete()
            # The worker's result arrives as a message, then the charts replot and repaint:
            # let each of those steps run before the picture is taken.
            for _ in range(3):
                await pilot.pause()
        # Let late messages (a worker's result, a replot's repaint) land before the picture.
        await pilot.pause(0.2)

    return run_before


@pytest.fixture(scope="session", autouse=True)
def _states() -> None:
    """Build the history state once, before the first snapshot times anything. Without the
    history its tests are skipped and the loading ones, which need none, still run."""
    if history_missing() is None:
        ready_state()


@pytest.mark.history
@pytest.mark.parametrize("size", VIEW_SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("view", VIEW_NAMES)
def test_view(snap_compare: SnapCompare, view: str, size: tuple[int, int]) -> None:
    digit = str(VIEW_NAMES.index(view) + 1)
    assert snap_compare(app(), terminal_size=size, run_before=showing(ready_state(), digit))


@pytest.mark.history
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("view", VIEW_NAMES)
@pytest.mark.parametrize("mode", ["no_color", "ascii"])
def test_view_plain(
    snap_compare: SnapCompare,
    monkeypatch: pytest.MonkeyPatch,
    mode: str,
    view: str,
    size: tuple[int, int],
) -> None:
    """What a user with ``NO_COLOR`` or a terminal without Unicode sees."""
    config = Config()
    if mode == "no_color":
        monkeypatch.setenv("NO_COLOR", "1")
    else:
        monkeypatch.delenv("NO_COLOR", raising=False)
        config = replace(config, general=replace(config.general, ascii=True))
    digit = str(VIEW_NAMES.index(view) + 1)
    assert snap_compare(
        app(config=config), terminal_size=size, run_before=showing(ready_state(), digit)
    )


@pytest.mark.history
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_help(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    assert snap_compare(
        app(), terminal_size=size, run_before=showing(ready_state(), "question_mark")
    )


@pytest.mark.parametrize("view", ["dashboard", "board", "charts"])
def test_loading(snap_compare: SnapCompare, view: str) -> None:
    digit = str(VIEW_NAMES.index(view) + 1)
    assert snap_compare(app(), terminal_size=(80, 24), run_before=showing(loading_state(), digit))


@pytest.mark.history
def test_filter_and_detail(snap_compare: SnapCompare) -> None:
    assert snap_compare(
        app(),
        terminal_size=(80, 24),
        run_before=showing(ready_state(), "slash", "e", "t", "h", "enter", "enter"),
    )


@pytest.mark.history
def test_freshness_words(snap_compare: SnapCompare) -> None:
    """A Saturday: a live price, two stale ones, two closes, FRED's close a day late."""
    assert snap_compare(
        app(WEEKEND), terminal_size=(80, 24), run_before=showing(freshness_state(), "1")
    )
