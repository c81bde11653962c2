"""SVG snapshots of the dashboard and the help screen at 80x24 and 160x48.

Frozen clock, seeded demo data posted as the runtime posts it, no timers running data in.
Update after an intended change with ``pytest tests/ui --snapshot-update`` and look at the
report before committing.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.pilot import Pilot

from r2kmon.clock import FrozenClock
from r2kmon.config import Config
from r2kmon.state import AppState
from r2kmon.ui.app import R2kApp
from r2kmon.ui.messages import StateUpdated
from tests.core.sample import OPEN_TS, seeded_snapshot

SIZES = [(80, 24), (160, 48)]
SnapCompare = Callable[..., bool]


def app() -> R2kApp:
    return R2kApp(None, Config(), clock=FrozenClock(OPEN_TS))


async def with_data(pilot: Pilot[int]) -> None:
    pilot.app.post_message(StateUpdated(AppState(seeded_snapshot())))
    await pilot.pause()


async def with_help(pilot: Pilot[int]) -> None:
    await with_data(pilot)
    await pilot.press("question_mark")
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_dashboard(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    assert snap_compare(app(), terminal_size=size, run_before=with_data)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_help(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    assert snap_compare(app(), terminal_size=size, run_before=with_help)
