"""Every binding and view switch under Pilot, with the history state posted as production
posts it: views, panes, cursor, detail, filter, chart ranges, the command palette,
notifications, remapped keys, and the redraw rules (only the visible view, charts only on
new data)."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

import pytest

from r2kmon.clock import FrozenClock
from r2kmon.config import DEFAULT_KEYS, Config, parse_config
from r2kmon.model import Alert, SourceHealth
from r2kmon.model.state import StateVersion
from r2kmon.runtime.state import AppState
from r2kmon.ui import format as fmt
from r2kmon.ui import notices, polling
from r2kmon.ui.app import R2kApp
from r2kmon.ui.messages import StateUpdated
from r2kmon.ui.palette import breakout_word
from r2kmon.ui.screens.detail import DetailScreen
from r2kmon.ui.screens.main import VIEW_NAMES, MainScreen
from r2kmon.ui.views.board_rows import KIND_WORDS
from r2kmon.ui.views.charts import ChartsView
from r2kmon.ui.views.correlation import CorrelationView
from r2kmon.ui.widgets.chart import Chart
from r2kmon.ui.widgets.quote_table import QuoteTable
from r2kmon.ui.widgets.table import ColumnTable, LineTable
from tests.ui.data import NOW, loading_state, ready_state

TITLES = {
    "dashboard": "1 Dashboard",
    "board": "2 Board",
    "crypto": "3 Crypto",
    "charts": "4 Charts",
    "correlation": "5 Correlation",
    "macro": "6 Macro",
    "health": "7 Health",
    "portfolio": "8 Portfolio",
}


def make_app(config: Config | None = None) -> R2kApp:
    return R2kApp(None, config or Config(), clock=FrozenClock(NOW))


def screen_text(app: R2kApp) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def test_every_binding_has_an_id_listed_in_the_config_defaults() -> None:
    ids = [b.id for b in (*R2kApp.BINDINGS, *MainScreen.BINDINGS)]  # type: ignore[union-attr]
    assert None not in ids
    assert sorted(ids) == sorted(DEFAULT_KEYS)  # type: ignore[type-var]


@pytest.mark.history
@pytest.mark.parametrize("view", VIEW_NAMES)
async def test_digit_switches_to_the_view_and_draws_it(view: str) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.post_message(StateUpdated(ready_state()))
        await pilot.pause()
        await pilot.press(str(VIEW_NAMES.index(view) + 1))
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.main.view_name == view
        text = screen_text(app)
        assert TITLES[view] in text.splitlines()[0]
        assert "Traceback" not in text


@pytest.mark.history
async def test_views_show_what_the_analytics_computed() -> None:
    state = ready_state()
    assert state.analytics is not None
    rut = next(r for r in state.analytics.board if r.symbol == "^RUT")
    assert rut.resistance is not None
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        app.post_message(StateUpdated(state))
        await pilot.pause()
        app.clear_notifications()  # the "coinbase is down" toast would cover text
        await pilot.pause()
        text = screen_text(app)
        assert f"{rut.resistance:,.2f}" in text
        assert f"{state.analytics.gauge.score:5.1f}".strip() in text
        await pilot.press("2")
        await pilot.pause()
        event = state.analytics.event_studies[0].outcomes[-1].event
        assert event.day.strftime("%Y-%m-%d") in screen_text(app)
        await pilot.press("7")
        await pilot.pause()
        text = screen_text(app)
        assert "in 12s" in text  # coinbase retry_at is now + 12 s
        assert "Name or service not known" in text


@pytest.mark.history
@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_board_lists_every_level_of_a_symbol_and_marks_the_one_that_matters(
    size: tuple[int, int],
) -> None:
    state = ready_state()
    assert state.analytics is not None
    # SPY on 2026-02-20 is over its all-time and 52-week highs (confirmed) and under its
    # multi-year high (testing): three levels that differ in price, date and state.
    spy = next(r for r in state.analytics.board if r.symbol == "SPY")
    assert [level.kind for level in spy.levels] == list(KIND_WORDS)
    assert len({(level.price, level.state) for level in spy.levels}) == 2
    app = make_app()
    async with app.run_test(size=size) as pilot:
        app.post_message(StateUpdated(state))
        await pilot.pause()
        app.clear_notifications()
        await pilot.press("2")
        await pilot.pause()
        table = app.main.query_one("#board-detail", ColumnTable)
        keys = [row.key for row in table.rows]
        assert keys == [r.symbol for r in state.analytics.board for _ in r.levels]
        lines = screen_text(app).splitlines()
        start = next(i for i, line in enumerate(lines) if line.startswith("SPY "))
        block = lines[start : start + len(spy.levels)]
        for line, level in zip(block, spy.levels, strict=True):
            assert f"{level.price:,.2f}" in line
            assert KIND_WORDS[level.kind] in line
            assert fmt.when(level.set_on) in line
            assert fmt.signed(level.distance_pct, 1, "%") in line
            assert breakout_word(level.state) in line
            assert fmt.when(level.since) in line
            assert ("►" in line) == level.matters, line
        # Enter on a level line that is not the symbol's first opens the symbol.
        await pilot.press(*["j"] * (keys.index("SPY") + 1), "enter")
        await pilot.pause()
        assert isinstance(app.screen, DetailScreen)
        kind = KIND_WORDS[spy.resistance_kind or ""]
        assert f"{spy.resistance:,.2f} ({kind} high set" in screen_text(app)


@pytest.mark.history
async def test_only_the_visible_view_is_drawn() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.post_message(StateUpdated(ready_state()))
        await pilot.pause()
        assert not app.main.query("#sources")  # never shown: not even built
        await pilot.press("7")
        await pilot.pause()
        health = app.main.query_one("#sources", ColumnTable)
        assert len(health.rows) == 4
        await pilot.press("1")
        await pilot.pause()
        app.post_message(StateUpdated(loading_state()))  # health is hidden now
        await pilot.pause()
        assert len(health.rows) == 4  # not redrawn while hidden


@pytest.mark.history
async def test_tab_moves_between_panes_and_j_k_move_the_cursor() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.post_message(StateUpdated(ready_state()))
        await pilot.pause()
        quotes = app.main.query_one(QuoteTable)
        assert app.focused is quotes
        await pilot.press("j", "j")
        assert quotes.cursor == 2
        await pilot.press("k")
        assert quotes.cursor == 1
        await pilot.press("down")
        assert quotes.cursor == 2
        await pilot.press("up")
        assert quotes.cursor == 1
        await pilot.press("tab")
        assert app.focused is not quotes
        await pilot.press("shift+tab")
        assert app.focused is quotes


@pytest.mark.history
async def test_the_cursor_row_keeps_its_sparkline_upright_and_the_header_says_the_spans() -> None:
    """The cursor reversed the whole row, so its sparkline read as its negative: the
    trend cells keep their look, the rest of the row is reversed."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.post_message(StateUpdated(ready_state()))
        await pilot.pause()
        quotes = app.main.query_one(QuoteTable)
        assert app.focused is quotes
        assert "TREND 24h/6M" in screen_text(app)
        await pilot.press("j", "j", "j")  # ^RUT: six months of daily closes
        await pilot.pause()
        assert quotes.selected_key == "^RUT"
        start, end = quotes.cursor_exempt(quotes.size.width) or (0, 0)
        strip = quotes.render_line(1 + quotes.cursor - int(quotes.scroll_offset.y))
        cells = [(ch, seg.style) for seg in strip for ch in seg.text]
        assert cells[0][0] == "^"
        assert cells[0][1] is not None
        assert cells[0][1].reverse
        spark = cells[start:end]
        assert any(ch in "▁▂▃▄▅▆▇█" for ch, _ in spark)
        assert not any(style is not None and style.reverse for _, style in spark)


@pytest.mark.history
async def test_enter_opens_the_detail_of_the_selected_row() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.post_message(StateUpdated(ready_state()))
        await pilot.pause()
        await pilot.press("j", "enter")
        await pilot.pause()
        assert isinstance(app.screen, DetailScreen)
        text = screen_text(app)
        assert "ETH-USD" in text
        assert "corr 90d" in text
        await pilot.press("escape")
        assert not isinstance(app.screen, DetailScreen)
        await pilot.press("7", "j", "enter")
        await pilot.pause()
        assert isinstance(app.screen, DetailScreen)
        assert "[Errno -2] Name or service not known" in screen_text(app)


@pytest.mark.history
async def test_macro_detail_shows_the_whole_reason_a_value_is_missing() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.post_message(StateUpdated(ready_state()))
        await pilot.pause()
        await pilot.press("6", "j", "j", "enter")
        await pilot.pause()
        assert isinstance(app.screen, DetailScreen)
        assert "needs FRED WALCL, WTREGEN and RRPONTSYD" in screen_text(app)


@pytest.mark.history
async def test_filter_keeps_matching_rows_and_escape_clears_it() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.post_message(StateUpdated(ready_state()))
        await pilot.pause()
        quotes = app.main.query_one(QuoteTable)
        await pilot.press("slash", "e", "t", "h")
        await pilot.pause()
        assert [r.symbol for r in quotes.rows] == ["ETH-USD"]
        assert "filter: eth" in screen_text(app)
        await pilot.press("enter")  # keeps the filter, back to the table
        assert app.focused is quotes
        assert app.filter == "eth"
        await pilot.press("escape")
        await pilot.pause()
        assert app.filter == ""
        assert len(quotes.rows) == len(ready_state().hub.symbols)


async def test_typing_q_into_the_filter_does_not_quit() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("slash", "q", "1")
        await pilot.pause()
        assert app.is_running
        assert app.filter == "q1"
        assert app.main.view_name == "dashboard"


@pytest.mark.history
async def test_tables_emptied_by_the_filter_say_so_not_that_nothing_exists() -> None:
    """With ``eth`` filtered, the board's tables of past breakouts (``^RUT`` and ``IWM``
    only) said "no breakout … in the loaded history", which is false."""
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        app.post_message(StateUpdated(ready_state()))
        await pilot.pause()
        await pilot.press("2")
        await pilot.pause()
        assert "in the loaded history" not in screen_text(app)
        await pilot.press("slash", "e", "t", "h", "enter")
        await pilot.pause()
        text = screen_text(app)
        assert "ETH-USD" in text
        assert text.count("filtered: eth (no row matches)") == 2  # both event tables
        assert "in the loaded history" not in text
        await pilot.press("escape")
        await pilot.pause()
        assert "filtered:" not in screen_text(app)


@pytest.mark.history
async def test_a_row_redrawn_for_its_age_does_not_resample_its_sparkline() -> None:
    """Every live row is redrawn each second for its age; resampling 24 h of minutes or six
    months of closes each time doubled the idle CPU (bench/render.py: 0.57 % -> 1.08 %)."""
    app = make_app()
    clock = app.clock
    assert isinstance(clock, FrozenClock)
    async with app.run_test(size=(160, 48)) as pilot:
        state = ready_state()
        app.post_message(StateUpdated(state))
        await pilot.pause()
        quotes = app.main.query_one(QuoteTable)
        drawn = quotes.sparks_drawn
        assert drawn > 0

        def btc_quote() -> str:  # the quote table's row: the one naming its exchange
            return next(
                line
                for line in screen_text(app).splitlines()
                if line.lstrip().startswith("BTC-USD") and "binance" in line
            )

        before = btc_quote()
        clock.advance(7)
        async with asyncio.timeout(10):
            while btc_quote() == before:
                await pilot.pause(0.1)
        assert quotes.sparks_drawn == drawn
        # A tick inside the newest bar: only the last cell moves, nothing is resampled.
        hub = state.hub
        minutes = {**hub.bars_1m}
        last = minutes["BTC-USD"][-1]
        minutes["BTC-USD"] = (*minutes["BTC-USD"][:-1], last._replace(close=last.close * 1.01))
        moved = replace(state, hub=replace(hub, bars_1m=MappingProxyType(minutes), version=999))
        app.post_message(StateUpdated(moved))
        await pilot.pause()
        assert quotes.sparks_drawn == drawn


@pytest.mark.history
async def test_the_board_shows_the_gauges_track_record_when_wide() -> None:
    """What BTC did after each band of the replayed gauge, beside every day, per horizon;
    before the replay it says what it waits for; at 80 columns it gives way (the
    dashboard's gauge panel keeps its one reading)."""
    from r2kmon.model.track_record import BandRecord, HitRate, Outcome, TrackRecord

    every = tuple(Outcome("BTC-USD", h, 2000, m, 0.55, True) for h, m in ((30, 2.1), (90, 8.9)))
    record = TrackRecord(
        first_day="2018-01-02",
        last_day="2026-02-20",
        scored_days=2000,
        mean_coverage=0.6,
        min_cases=10,
        horizons=(30, 90),
        assets=("BTC-USD",),
        baseline=every,
        bands=(
            BandRecord(
                "risk-on",
                22,
                (("2020-11-13", "2021-02-26"),),
                (Outcome("BTC-USD", 90, 22, 31.5, 14 / 22, True),),
            ),
            BandRecord("risk-off", 4, (), (Outcome("BTC-USD", 90, 4, None, None, False),)),
        ),
        changes=(),
        hit_rates=(HitRate("risk-on", "BTC-USD", 90, 14, 22, 1100, 2000, True),),
    )
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        state = ready_state()
        app.post_message(StateUpdated(state))
        await pilot.pause()
        await pilot.press("2")
        await pilot.pause()
        assert "track record comes once the daily history" in screen_text(app)
        app.post_message(StateUpdated(replace(state, track_record=record)))
        await pilot.pause()
        text = screen_text(app)
        assert "replayed 2018-01-02 to 2026-02-20, mean coverage 60%" in text
        lines = {line.split()[0]: line for line in text.splitlines() if line.strip()}
        assert "+2.1 % · 55 % up · n=2000" in lines["all"]
        assert "+8.9 % · 55 % up · n=2000" in lines["all"]
        assert "+31.5 % · 64 % up · n=22" in lines["risk-on"]
        assert "n=4 too few" in lines["risk-off"]
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert "WHEN THE GAUGE WAS" not in screen_text(app)


async def test_a_chart_without_data_shows_its_whole_reason() -> None:
    """plotext printed the reason on one line at the middle of the plot, cut at both edges
    when it was longer than the chart (offline: "…resolve query2.finance.yahoo.com);
    backfill unreachable (binance: cannot resol…")."""
    from textual.app import App, ComposeResult

    from r2kmon.ui.widgets.chart import ChartData

    class OneChart(App[None]):
        def compose(self) -> ComposeResult:
            yield Chart(id="one")

    reason = (
        "no daily history: yahoo unreachable (cannot resolve query2.finance.yahoo.com); "
        "backfill unreachable (binance: cannot resolve api.binance.com)"
    )
    app = OneChart()
    async with app.run_test(size=(40, 16)) as pilot:
        app.query_one(Chart).draw(ChartData("^RUT vs BTC/ETH", empty=reason))
        await pilot.pause()
        shown = "".join(strip.text for strip in app.screen._compositor.render_strips()).replace(
            " ", ""
        )
        assert "^RUTvsBTC/ETH" in shown
        assert reason.replace(" ", "") in shown


@pytest.mark.history
async def test_pause_freezes_every_view_and_resume_draws_the_latest() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.post_message(StateUpdated(loading_state()))
        await pilot.pause()
        await pilot.press("p")
        app.post_message(StateUpdated(ready_state()))
        await pilot.pause()
        assert "PAUSED" in screen_text(app)
        assert app.main.query_one("#board", ColumnTable).rows == ()
        await pilot.press("p")
        await pilot.pause()
        assert len(app.main.query_one("#board", ColumnTable).rows) == 5


@pytest.mark.history
async def test_range_keys_replot_the_charts_and_unchanged_data_does_not() -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        state = ready_state()
        app.post_message(StateUpdated(state))
        await pilot.pause()
        await pilot.press("4")
        await app.workers.wait_for_complete()
        await pilot.pause()
        charts = app.main.query_one(ChartsView)
        rut = app.main.query_one("#chart-rut", Chart)
        assert rut.data is not None
        assert "1Y" in rut.data.title
        await pilot.pause()
        # Value axes read with thousands separators (plotext's own labels have none):
        # ^RUT's and BTC's ticks are in the thousands.
        axis = re.findall(r"^ *([\d,.]+)┤", screen_text(app), re.MULTILINE)
        assert any(re.fullmatch(r"\d{1,3}(,\d{3})+", label) for label in axis), axis
        btc = app.main.query_one("#chart-btc", Chart)
        assert btc.data is not None
        assert btc.data.levels  # BTC's resistance is drawn too
        builds, replots = charts.builds, rut.replots
        # Same daily bars, a new hub version: nothing is rebuilt or replotted.
        app.post_message(StateUpdated(replace(state, hub=replace(state.hub, version=999))))
        await pilot.pause()
        await app.workers.wait_for_complete()
        assert (charts.builds, rut.replots) == (builds, replots)
        await pilot.press("right_square_bracket")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "5Y" in rut.data.title
        assert rut.replots == replots + 1
        assert app.range_index == charts.range_index
        await pilot.press("left_square_bracket", "left_square_bracket")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "6M" in rut.data.title


@pytest.mark.history
async def test_correlation_matrix_comes_from_the_analytics_for_every_symbol() -> None:
    """Computed with the daily analytics (in their thread, never on the UI loop), for
    every configured symbol with history; the view draws it, and redraws nothing while
    neither the analytics nor the range changed."""
    state = ready_state()
    assert state.analytics is not None
    matrix_data = state.analytics.correlation_matrix
    assert matrix_data is not None
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        app.post_message(StateUpdated(state))
        await pilot.pause()
        await pilot.press("5")
        await pilot.pause()
        view = app.main.query_one(CorrelationView)
        with_history = [s for s in state.hub.symbols if state.hub.bars_1d.get(s)]
        assert list(matrix_data.symbols) == with_history
        matrix = app.main.query_one("#corr-matrix", ColumnTable)
        assert [r.key for r in matrix.rows] == with_history
        rut = app.main.query_one("#corr-rut", Chart)
        builds, replots = view.builds, rut.replots
        app.post_message(StateUpdated(replace(state, hub=replace(state.hub, version=999))))
        await pilot.pause()
        assert (view.builds, rut.replots) == (builds, replots)


async def test_loading_panes_say_what_is_loading() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.post_message(StateUpdated(loading_state()))
        await pilot.pause()
        text = screen_text(app)
        assert "Loading the gauge: daily history: 2 of 5" in text
        assert "Loading the board: daily history: 2 of 5 symbols" in text
        assert "2/5" in text
        await pilot.press("2")
        await pilot.pause()
        assert "Loading: daily history: 2 of 5 symbols" in screen_text(app)


@pytest.mark.history
async def test_a_source_going_down_is_a_notification_once() -> None:
    """Said after a short grace (it may be the first of a network outage, which one
    notification says instead), once, and its return at most a minute later. The states
    carry the alert log's lines, as the runtime's do: the change is the log's to say."""
    app = make_app()
    clock = app.clock
    assert isinstance(clock, FrozenClock)
    ready = ready_state()
    went = Alert(NOW, "error", "coinbase", "down: [Errno -2] Name or service not known")
    base = replace(ready, alerts=(*ready.alerts, went))
    async with app.run_test(size=(120, 40)) as pilot:
        app.post_message(StateUpdated(base))
        await pilot.pause()
        assert [n for n in app._notifications if n.title == "Source down"] == []
        clock.advance(notices.GRACE_S)
        app.post_message(StateUpdated(base))
        await pilot.pause()
        downs = [n for n in app._notifications if n.title == "Source down"]
        assert len(downs) == 1
        assert "coinbase" in downs[0].message
        app.post_message(StateUpdated(base))
        await pilot.pause()
        assert len([n for n in app._notifications if n.title == "Source down"]) == 1
        health = dict(base.hub.health)
        health["coinbase"] = SourceHealth("coinbase", "feed", "ok", last_ok=NOW)
        clock.advance(notices.EVERY_S)
        came_back = Alert(clock.now(), "info", "coinbase", "back to ok")
        back = replace(base, hub=replace(base.hub, health=health), alerts=(*base.alerts, came_back))
        app.post_message(StateUpdated(back))
        await pilot.pause()
        assert any(n.title == "Source recovered" for n in app._notifications)
        assert app.is_running


async def test_command_palette_lists_every_view() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for n, name in enumerate(VIEW_NAMES, start=1):
            assert f"View {n}: {name.capitalize()}" in titles
        command = next(
            c for c in app.get_system_commands(app.screen) if c.title.startswith("View 6")
        )
        app.call_later(command.callback)  # as the palette runs its choice
        await pilot.pause()
        assert app.main.view_name == "macro"


@pytest.mark.history
async def test_remapped_view_and_cursor_keys_from_a_config(tmp_path: Path) -> None:
    config = parse_config(
        '[keys]\nview_health = "h"\nhelp = "question_mark"\ncursor_down = "n"\n'
        'next_pane = "w"\nfilter = "f"\n',
        tmp_path / "k.toml",
    )
    app = make_app(config)
    async with app.run_test(size=(120, 40)) as pilot:
        app.post_message(StateUpdated(ready_state()))
        await pilot.pause()
        quotes = app.main.query_one(QuoteTable)
        await pilot.press("n")
        assert quotes.cursor == 1
        await pilot.press("w")
        assert app.focused is not quotes
        await pilot.press("7")  # no longer bound
        assert app.main.view_name == "dashboard"
        await pilot.press("h")
        assert app.main.view_name == "health"
        await pilot.press("f", "x")
        assert app.filter == "x"


@pytest.mark.history
async def test_ascii_option_draws_without_block_glyphs(tmp_path: Path) -> None:
    config = parse_config("[general]\nascii = true\n", tmp_path / "a.toml")
    app = make_app(config)
    async with app.run_test(size=(120, 40)) as pilot:
        app.post_message(StateUpdated(ready_state()))
        await pilot.pause()
        app.clear_notifications()
        await pilot.pause()
        body = "\n".join(screen_text(app).splitlines()[1:-1])
        assert not any(ch in body for ch in "▁▂▃▄▅▆▇█●▲▼≈✗")
        assert "~ testing" in body


def test_line_tables_repaint_only_changed_rows() -> None:
    assert issubclass(QuoteTable, LineTable)
    assert issubclass(ColumnTable, LineTable)


class FakeRuntime:
    """What the app needs of a runtime: a clock, a producer to run, and ``state()``."""

    def __init__(self) -> None:
        self.clock = FrozenClock(NOW)
        self.current = loading_state()

    async def run(self) -> None:
        await asyncio.Event().wait()

    @property
    def version(self) -> StateVersion:
        return self.current.version

    def state(self) -> AppState:
        return self.current


@pytest.mark.history
async def test_r_redraws_now_even_while_paused() -> None:
    runtime = FakeRuntime()
    app = R2kApp(runtime, Config(), clock=runtime.clock)  # type: ignore[arg-type]
    async with app.run_test(size=(120, 40)) as pilot:
        app.poll_hub()
        await pilot.pause()
        board = app.main.query_one("#board", ColumnTable)
        assert board.rows == ()
        await pilot.press("p")
        runtime.current = ready_state()
        app.poll_hub()  # the timer's call: the state arrives, a paused screen does not draw it
        await pilot.pause()
        assert board.rows == ()
        await pilot.press("r")
        await pilot.pause()
        assert len(board.rows) == 5
        assert app.paused
        assert "PAUSED" in screen_text(app)


@pytest.mark.history
async def test_an_idle_pane_rests_its_refresh_timer_and_wakes_on_new_data(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(polling, "QUIET_S", 0.3)
    runtime = FakeRuntime()
    app = R2kApp(runtime, Config(), clock=runtime.clock)  # type: ignore[arg-type]
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.8)  # nothing changed for longer than QUIET_S
        assert app.resting
        board = app.main.query_one("#board", ColumnTable)
        assert board.rows == ()
        runtime.current = ready_state()
        for _ in range(30):  # the once-a-second clock tick sees the change
            await pilot.pause(0.1)
            if not app.resting:
                break
        assert not app.resting
        await pilot.pause()
        assert len(board.rows) == 5


@pytest.mark.history
async def test_200x60_uses_the_width_components_beside_the_reaching_panel() -> None:
    app = make_app()
    async with app.run_test(size=(200, 60)) as pilot:
        app.post_message(StateUpdated(ready_state()))
        await pilot.pause()
        app.clear_notifications()
        await pilot.pause()
        lines = screen_text(app).splitlines()
        assert any("RISK-ON GAUGE" in line for line in lines[1:3])  # the headline on top
        components = next(line for line in lines if "COMPONENT" in line)
        assert "REACHING CRYPTO?" in components  # the panel on the same line
        for digit in "234567":
            await pilot.press(digit)
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert "Traceback" not in screen_text(app)


@pytest.mark.history
@pytest.mark.parametrize(
    ("usdt_as_usd", "said"), [(True, "USDT pairs stand for USD"), (False, "USD pairs only")]
)
async def test_crypto_view_says_whether_usdt_counts_as_usd(
    tmp_path: Path, usdt_as_usd: bool, said: str
) -> None:
    from r2kmon.config import parse_config

    config = parse_config(
        f"[crypto]\nusdt_as_usd = {str(usdt_as_usd).lower()}\n", tmp_path / "c.toml"
    )
    app = make_app(config)
    async with app.run_test(size=(160, 40)) as pilot:
        app.post_message(StateUpdated(ready_state()))
        await pilot.pause()
        await pilot.press("3")
        await pilot.pause()
        assert said in screen_text(app)


@pytest.mark.history
@pytest.mark.parametrize(
    ("change", "shown"),
    [(0.0, "=0.0 vs"), (0.04, "=0.0 vs"), (-0.06, "▼-0.1 vs"), (1.26, "▲+1.3 vs")],
)
async def test_the_gauge_arrow_agrees_with_the_change_it_shows(change: float, shown: str) -> None:
    state = ready_state()
    assert state.analytics is not None
    gauge = replace(state.analytics.gauge, change=change)
    state = replace(state, analytics=replace(state.analytics, gauge=gauge))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.post_message(StateUpdated(state))
        await pilot.pause()
        line = next(ln for ln in screen_text(app).splitlines() if "RISK-ON GAUGE" in ln)
        assert shown in line
