"""The board's journal pane: the signal journal of the symbol under the level table's
cursor, from the state the runtime posts (the UI never opens the store), following the
cursor, saying why it is empty, and giving way at 80 columns.

No real history needed: a hand-made board of two symbols, posted as the runtime posts it.
"""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

import pytest

from r2kmon.clock import FrozenClock
from r2kmon.config import Config
from r2kmon.hub import Hub
from r2kmon.model import BreakoutState
from r2kmon.model.analytics import AnalyticsResult, BoardLevel, BoardRow, Gauge
from r2kmon.model.journal import JournalEntry, RecentJournal
from r2kmon.runtime.recorder import DEMO_KEEPS_NONE
from r2kmon.runtime.state import AppState
from r2kmon.ui.app import R2kApp
from r2kmon.ui.messages import StateUpdated
from r2kmon.ui.palette import breakout_word
from r2kmon.ui.widgets.table import ColumnTable

pytestmark = pytest.mark.timeout(60)

T0 = 1_794_927_600.0  # 2026-11-17 15:00:00 UTC
DAY = 86_400.0


def row(symbol: str, price: float, state: BreakoutState) -> BoardRow:
    levels = (
        BoardLevel("all_time_high", price * 1.1, T0 - 400 * DAY, -9.0, "below", T0, False),
        BoardLevel("52_week_high", price * 0.99, T0 - 30 * DAY, 1.0, state, T0, True),
    )
    return BoardRow(symbol, price, price * 0.99, "52_week_high", T0, 1.0, state, T0, T0, levels)


RUT_BREAKOUT = JournalEntry(T0 - 2 * DAY, "breakout", "^RUT", "52_week_high", "testing",
                            "breakout", 2_512.5, 2_500.0, "gauge 61 risk-on")  # fmt: skip
RUT_ALERT = JournalEntry(T0 - DAY, "alert", "^RUT", "", None, "fired",
                         message="^RUT above 2,500.00: 2,530.00 (yahoo)")  # fmt: skip
IWM_TESTING = JournalEntry(T0 - 3 * DAY, "breakout", "IWM", "52_week_high", "below",
                           "testing", 221.25, 222.0, "gauge 48 neutral")  # fmt: skip
GAUGE_BAND = JournalEntry(T0 - 2 * DAY, "gauge", "gauge", "", "neutral", "risk-on", 61.0)


def kept(*entries: JournalEntry) -> RecentJournal:
    by_subject: dict[str, tuple[JournalEntry, ...]] = {}
    for entry in entries:
        by_subject[entry.subject] = (*by_subject.get(entry.subject, ()), entry)
    return RecentJournal("kept", by_subject=MappingProxyType(by_subject), version=1)


def board_state(journal: RecentJournal | None) -> AppState:
    hub = Hub(FrozenClock(T0), simulated=False, symbols=("^RUT", "IWM"))
    board = (row("^RUT", 2_530.0, "breakout"), row("IWM", 221.0, "testing"))
    result = AnalyticsResult(board, Gauge(61.0, "risk-on", 0.8, ()), (), (), ())
    return AppState(hub.snapshot(), result, 1, journal=journal)


def screen_text(app: R2kApp) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def journal_lines(app: R2kApp) -> list[str]:
    """The journal pane's rows as drawn, its title first."""
    text = screen_text(app).splitlines()
    start = next(i for i, line in enumerate(text) if line.strip().startswith("Journal of"))
    table = app.main.query_one("#journal", ColumnTable)
    return [line.strip() for line in text[start : start + 2 + max(len(table.rows), 1)]]


def make_app() -> R2kApp:
    return R2kApp(None, Config(), clock=FrozenClock(T0))


async def test_the_pane_shows_the_selected_symbols_journal_and_follows_the_cursor() -> None:
    app = make_app()
    state = board_state(kept(IWM_TESTING, RUT_BREAKOUT, GAUGE_BAND, RUT_ALERT))
    async with app.run_test(size=(120, 40)) as pilot:
        app.post_message(StateUpdated(state))
        await pilot.pause()
        app.clear_notifications()
        await pilot.press("2")
        await pilot.pause()
        board = app.main.query_one("#board-detail", ColumnTable)
        assert app.focused is board
        assert board.selected_key == "^RUT"
        title, header, *rows = journal_lines(app)
        assert title.startswith("Journal of ^RUT:")
        assert header.split() == ["WHEN", "LEVEL", "CHANGE", "PRICE", "AT", "LEVEL", "NOTE"]
        # newest first: the alert, then the breakout with its price, level and the gauge
        assert rows[0].startswith("2026-11-16 15:00")
        assert "alert fired" in rows[0]
        assert "^RUT above 2,500.00: 2,530.00 (yahoo)" in rows[0]
        assert rows[1].startswith("2026-11-15 15:00 52-week")
        assert f"testing → {breakout_word('breakout')}" in rows[1]
        assert "2,512.50" in rows[1]
        assert "2,500.00" in rows[1]
        assert "gauge 61 risk-on" in rows[1]
        journal = app.main.query_one("#journal", ColumnTable)
        assert len(journal.rows) == 2  # neither IWM's nor the gauge's lines

        await pilot.press("j")  # ^RUT's second level: still ^RUT
        await pilot.pause()
        assert journal_lines(app)[0].startswith("Journal of ^RUT:")
        await pilot.press("j")  # IWM's first level
        await pilot.pause()
        title, _, *rows = journal_lines(app)
        assert title.startswith("Journal of IWM:")
        assert len(journal.rows) == 1
        assert f"below → {breakout_word('testing')}" in rows[0]
        assert "221.25" in rows[0]
        await pilot.press("k", "k")
        await pilot.pause()
        assert journal_lines(app)[0].startswith("Journal of ^RUT:")
        assert len(journal.rows) == 2


async def test_a_new_entry_appears_when_the_state_carries_it() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.post_message(StateUpdated(board_state(kept(RUT_BREAKOUT))))
        await pilot.pause()
        await pilot.press("2")
        await pilot.pause()
        journal = app.main.query_one("#journal", ColumnTable)
        assert len(journal.rows) == 1
        newer = replace(kept(RUT_BREAKOUT, RUT_ALERT), version=2)
        app.post_message(StateUpdated(board_state(newer)))
        await pilot.pause()
        assert len(journal.rows) == 2
        assert "alert fired" in journal_lines(app)[2]


@pytest.mark.parametrize(
    ("journal", "said"),
    [
        (None, "the journal is read once the engine has started"),
        (RecentJournal("unavailable", DEMO_KEEPS_NONE), DEMO_KEEPS_NONE),
        (RecentJournal("loading", "reading the journal kept in the store"), "reading the journal"),
        (kept(IWM_TESTING), "no change recorded yet for ^RUT"),
    ],
    ids=["no-runtime", "demo", "loading", "nothing-yet"],
)
async def test_an_empty_pane_says_why(journal: RecentJournal | None, said: str) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.post_message(StateUpdated(board_state(journal)))
        await pilot.pause()
        await pilot.press("2")
        await pilot.pause()
        assert app.main.query_one("#journal", ColumnTable).rows == ()
        _, _, placeholder = journal_lines(app)
        assert placeholder.startswith(said)


async def test_at_80_columns_the_pane_gives_way_to_the_studies() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.post_message(StateUpdated(board_state(kept(RUT_BREAKOUT))))
        await pilot.pause()
        app.clear_notifications()
        await pilot.press("2")
        await pilot.pause()
        text = screen_text(app)
        assert "gauge 61 risk-on" not in text
        assert "CHANGE" not in text
        assert "INDEX" in text  # the event study's header still shows
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert "gauge 61 risk-on" in screen_text(app)
