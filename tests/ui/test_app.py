"""The app under Textual's Pilot: fixed data posted exactly as production posts it."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from r2kmon.clock import Clock, FrozenClock
from r2kmon.config import Config, parse_config
from r2kmon.model import Sink
from r2kmon.runtime.state import AppState
from r2kmon.ui.app import R2kApp
from r2kmon.ui.messages import StateUpdated
from r2kmon.ui.screens.help import HelpScreen
from r2kmon.ui.widgets.quote_table import QuoteTable
from r2kmon.ui.widgets.status_header import StatusHeader
from tests.core.sample import OPEN_TS, seeded_snapshot


def make_app(config: Config | None = None) -> R2kApp:
    return R2kApp(None, config or Config(), clock=FrozenClock(OPEN_TS))


def screen_text(app: R2kApp) -> str:
    """Everything on screen as plain text, as a person would read it."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def test_dashboard_draws_every_symbol_from_a_posted_snapshot() -> None:
    app = make_app()
    snapshot = seeded_snapshot()
    async with app.run_test(size=(80, 24)) as pilot:
        app.post_message(StateUpdated(AppState(snapshot)))
        await pilot.pause()
        table = app.screen.query_one(QuoteTable)
        assert [row.symbol for row in table.rows] == list(snapshot.symbols)
        text = screen_text(app)
        assert "SIMULATED" in text
        btc = next(line for line in text.splitlines() if "BTC-USD" in line)
        price = f"{float(snapshot.quotes['BTC-USD'].price):,.2f}"
        assert price in btc
        assert "demo-binance" in btc
        assert any(glyph in btc for glyph in "▁▂▃▄▅▆▇█")
        assert "demo-binance ok" in text


async def test_only_changed_rows_are_redrawn() -> None:
    app = make_app()
    first = seeded_snapshot(polls=1)
    async with app.run_test(size=(80, 24)) as pilot:
        app.post_message(StateUpdated(AppState(first)))
        await pilot.pause()
        # Under load the first layout can still move (a width settling after the first
        # paint re-renders every line); compare only once a full refresh has passed.
        await pilot.pause()
        table = app.screen.query_one(QuoteTable)
        table.render_line(1)  # make sure row 0 is cached
        cached = dict(table._strips)
        app.post_message(StateUpdated(AppState(first)))  # same data again
        await pilot.pause()
        assert table._strips.keys() >= cached.keys()
        assert all(table._strips[k] is v for k, v in cached.items())


async def test_help_screen_lists_every_binding_and_closes() -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        for binding_id in ("quit", "help", "refresh", "pause", "theme", "screenshot"):
            assert f"[{binding_id}]" in text
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_q_quits_with_code_zero() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_keys_remapped_in_the_config_work(tmp_path: Path) -> None:
    config = parse_config('[keys]\nquit = "x"\nhelp = "h"\n', tmp_path / "k.toml")
    app = make_app(config)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        key_line = screen_text(app).splitlines()[-1]
        assert " x Quit " in key_line  # the bottom line shows the keys as remapped
        assert " h Help " in key_line
        assert " q Quit " not in key_line
        await pilot.press("q")  # no longer bound
        assert app.is_running
        await pilot.press("h")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert "       h  Help" in screen_text(app)
        await pilot.press("escape")
        await pilot.press("x")
        await pilot.pause()
    assert app.return_code == 0


async def test_pause_freezes_the_screen_and_resume_catches_up() -> None:
    app = make_app()
    before, after = seeded_snapshot(polls=1), seeded_snapshot(polls=5)
    async with app.run_test(size=(80, 24)) as pilot:
        app.post_message(StateUpdated(AppState(before)))
        await pilot.pause()
        await pilot.press("p")
        assert app.paused
        assert "PAUSED" in screen_text(app)
        header = app.screen.query_one(StatusHeader)
        assert header.paused
        await pilot.press("p")
        assert not app.paused
        app.post_message(StateUpdated(AppState(after)))
        await pilot.pause()
        assert "PAUSED" not in screen_text(app)
        btc = app.screen.query_one(QuoteTable).rows[0]
        assert btc.price == after.quotes["BTC-USD"].price


async def test_theme_key_cycles_the_theme() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        first = app.theme
        await pilot.press("t")
        assert app.theme != first


async def test_screenshot_key_saves_an_svg() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.post_message(StateUpdated(AppState(seeded_snapshot())))
        await pilot.pause()
        await pilot.press("s")
        await pilot.pause()
    from r2kmon import paths

    saved = list(paths.screenshot_dir().glob("*.svg"))
    assert len(saved) == 1
    assert "BTC-USD" in saved[0].read_text()


async def test_the_palettes_screenshot_saves_where_the_key_does() -> None:
    """Textual's own palette entry saved to a downloads folder and failed where there is
    none ("Failed to save screenshot"); the palette's one Screenshot is r2kmon's."""
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        app.post_message(StateUpdated(AppState(seeded_snapshot())))
        await pilot.pause()
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert titles.count("Screenshot") == 1
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"screenshot")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.3)
    from r2kmon import paths

    saved = list(paths.screenshot_dir().glob("*.svg"))
    assert len(saved) == 1
    assert "BTC-USD" in saved[0].read_text()


async def test_the_help_lines_up_its_columns_whatever_the_keys() -> None:
    """``shift+tab`` (9 cells) pushed its line one cell right of the others."""
    app = make_app()
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        lines = screen_text(app).splitlines()
    boxed = [line.split("│")[1] for line in lines if line.count("│") >= 2]
    entries = [line for line in boxed if re.search(r" \[[a-z_]+\]\s*$", line)]
    assert any("shift+tab" in line for line in entries)
    assert len(entries) > 10
    assert len({line.rindex(" [") for line in entries}) == 1, entries


async def test_the_palette_lists_the_chart_ranges_shortest_first() -> None:
    """Textual's palette sorts system commands by title: the ranges read 1M 1Y 5Y 6M max."""
    from r2kmon.ui.views.base import RANGES

    app = make_app()
    async with app.run_test(size=(100, 30)):
        titles = sorted(
            c.title for c in app.get_system_commands(app.screen) if "Chart range" in c.title
        )
    assert [t.rsplit(" ", 1)[-1] for t in titles] == [label for label, _ in RANGES]


async def test_remote_text_is_shown_literally_never_as_markup() -> None:
    from dataclasses import replace

    from r2kmon.model import SourceHealth

    snapshot = seeded_snapshot()
    evil = SourceHealth("[bold red]x\x1b[2J", "feed", "down", simulated=True)
    health = {**snapshot.health, evil.name: evil}
    app = make_app()
    # Wide enough for the header to reach it after the demo's three exchanges.
    async with app.run_test(size=(200, 24)) as pilot:
        app.post_message(StateUpdated(AppState(replace(snapshot, health=health))))
        await pilot.pause()
        assert "[bold red]x" in screen_text(app)


async def test_stored_history_is_drawn_before_the_runtime_is_built(tmp_path: Path) -> None:
    """The CLI's start: the stored history is on screen while the runtime (pandas, httpx,
    the feeds) is still being built, and the runtime then takes over the same hub."""
    import threading

    from r2kmon.hub import Hub
    from r2kmon.model import Bar
    from r2kmon.runtime import Runtime, open_history
    from r2kmon.store import Store

    clock = FrozenClock(OPEN_TS)
    minute = OPEN_TS - OPEN_TS % 60
    day = OPEN_TS - OPEN_TS % 86_400
    previous = Hub(clock, simulated=False)
    btc = [Bar(minute - 60 * (60 - i), 100 + i, 101 + i, 99 + i, 100 + i) for i in range(60)]
    rut = [
        Bar(day - 86_400 * (600 - i), 2000 + i, 2010 + i, 1990 + i, 2000 + i) for i in range(600)
    ]
    previous.push_bars("BTC-USD", "1m", btc, "binance")
    previous.push_bars("^RUT", "1d", rut, "yahoo")
    store = Store(tmp_path / "r2kmon.sqlite")
    assert store.save(previous.snapshot()) > 0
    store.close()
    config = parse_config(f'[store]\npath = "{tmp_path / "r2kmon.sqlite"}"\n', tmp_path / "c.toml")
    release = threading.Event()

    class Starter:
        def open_history(self) -> Hub:
            self.opened = open_history(config, demo=False, clock=clock)
            return self.opened[0]

        def build_runtime(self) -> Runtime:
            release.wait(20)  # the heavy imports, held until the test has looked
            hub, store = self.opened
            return Runtime(
                config, demo=False, clock=clock, producers=[], hub=hub, store=store
            )  # fmt: skip

    def row(text: str, symbol: str) -> str:
        # The quote table's row: the last line naming the symbol (the reaching panel and
        # the board above name it too).
        return [line for line in text.splitlines() if line.lstrip().startswith(symbol)][-1]

    app = R2kApp(None, config, clock=clock, starter=Starter())
    async with app.run_test(size=(160, 48)) as pilot:
        for _ in range(100):
            await pilot.pause(0.05)
            if app.state is not None and "█" in row(screen_text(app), "^RUT"):
                break
        text = screen_text(app)
        assert app.runtime is None
        assert "█" in row(text, "BTC-USD")  # a day of minute bars as a sparkline
        assert "█" in row(text, "^RUT")  # years of daily bars as a sparkline
        assert "█" not in row(text, "ETH-USD")  # nothing stored: nothing drawn
        # Only what the first screen draws was read: the recent daily bars.
        assert app.state is not None
        assert 300 < len(app.state.hub.bars_1d["^RUT"]) < 600
        release.set()
        for _ in range(100):
            await pilot.pause(0.05)
            if app.runtime is not None and len(app.runtime.hub.snapshot().bars_1d["^RUT"]) == 599:
                break
        assert app.runtime is not None
        assert app.runtime.hub is app.poller.history
        # The running runtime read the rest, for the analytics and the charts (every bar
        # but the last, which was still forming when the previous session saved).
        assert app.runtime.hub.snapshot().bars_1d["^RUT"] == tuple(rut[:-1])


async def test_a_start_that_fails_is_said_on_screen_and_the_app_stays_up() -> None:
    class Broken:
        def open_history(self) -> object:
            raise PermissionError("[Errno 13] Permission denied: '/data/r2kmon.sqlite'")

        def build_runtime(self) -> object:
            raise AssertionError("never reached")

    app = R2kApp(None, Config(), clock=FrozenClock(OPEN_TS), starter=Broken())  # type: ignore[arg-type]
    async with app.run_test(size=(120, 30)) as pilot:
        for _ in range(50):
            await pilot.pause(0.05)
            if app._notifications:
                break
        messages = [n.message for n in app._notifications]
        assert any(
            "could not start: PermissionError" in m and "Permission denied" in m for m in messages
        )
        assert app.is_running
        await pilot.press("q")
    assert app.return_code == 0


SECRET = "k3y-of-the-toast-0123456789"
"""A configured API key, in the text of the exception that stopped the start."""


async def test_a_start_failure_is_cleaned_then_redacted_then_shortened() -> None:
    from r2kmon.redact import MASK, forget_secrets, register_secret
    from r2kmon.ui.polling import START_FAILURE_CHARS

    shown = "PermissionError: "
    # Cleaning drops the escape sequence's control characters and the zero-width spaces;
    # the key then starts 10 characters before the cut (said in whole, it would be cut in
    # half), and a zero-width space inside it hides it from redaction until cleaned.
    hostile = "\x1b]0;pwned\x07" + "\u200b" * 100
    pad = "p" * (START_FAILURE_CHARS - 10 - len(shown) - len("]0;pwned"))
    split_key = SECRET[:5] + "\u200b" + SECRET[5:]
    text = f"{hostile}{pad}{split_key} and the rest {'r' * 200}"

    class Broken:
        def open_history(self) -> object:
            raise PermissionError(text)

        def build_runtime(self) -> object:
            raise AssertionError("never reached")

    register_secret(SECRET)
    try:
        app = R2kApp(None, Config(), clock=FrozenClock(OPEN_TS), starter=Broken())  # type: ignore[arg-type]
        async with app.run_test(size=(120, 30)) as pilot:
            for _ in range(50):
                await pilot.pause(0.05)
                if app._notifications:
                    break
            (message,) = [n.message for n in app._notifications]
            await pilot.press("q")
    finally:
        forget_secrets()
    assert not any(c in message for c in "\x1b\x07\u200b"), repr(message)
    # no piece of the key, not even its first half cut at the end
    assert not any(SECRET[i : i + 6] in message for i in range(len(SECRET) - 5)), message
    detail = message.removeprefix("could not start: ").split(" (details in ")[0]
    assert detail == f"{shown}]0;pwned{pad}{MASK} and t…"
    assert len(detail) == START_FAILURE_CHARS


async def test_the_runtime_has_ended_when_the_app_has(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Quitting waits for the runtime's shutdown: by the time the app has exited, the
    runtime's worker has finished, the store has had its final save and the status file
    its last write. The final save takes half a second here: without the wait it was
    still running when the app returned, and the cancel asyncio.run gives what is left
    (the second one the worker gets) cut it and the status write short."""
    import asyncio
    import time

    from r2kmon.model import Alert, HubSnapshot, SourceHealth
    from r2kmon.runtime import Runtime
    from r2kmon.runtime.persist import write_final_status
    from r2kmon.store import Store

    class Answering:
        name = "test-feed"

        async def run(self, sink: Sink) -> None:
            sink.push_health(SourceHealth(self.name, "feed", "ok", last_ok=OPEN_TS))
            await asyncio.Event().wait()

    final_status: list[Path] = []

    async def spy(path: Path, clock: Clock, state: Callable[[], AppState]) -> None:
        await write_final_status(path, clock, state)
        final_status.append(path)

    monkeypatch.setattr("r2kmon.runtime.engine.write_final_status", spy)
    save = Store.save

    def slow_save(store: Store, snapshot: HubSnapshot, alerts: Sequence[Alert] = ()) -> int:
        time.sleep(0.5)  # a big final write on a slow disk
        return save(store, snapshot, alerts)

    monkeypatch.setattr(Store, "save", slow_save)
    clock = FrozenClock(OPEN_TS)
    path, status = tmp_path / "r2kmon.sqlite", tmp_path / "status.json"
    runtime = Runtime(
        Config(),
        demo=False,
        clock=clock,
        producers=[Answering()],
        store=Store(path),
        persist_every_s=3600.0,  # no periodic write within the test: only the final one
        status_file=status,
    )
    app = R2kApp(runtime, Config(), clock=clock)
    last = Alert(OPEN_TS, "warning", "test-feed", "noted just before quitting")
    async with app.run_test(size=(120, 30)) as pilot:
        for _ in range(200):
            await pilot.pause(0.05)
            if runtime.answered():
                break
        assert runtime.answered()
        (worker,) = [w for w in app.workers if w.name == "runtime"]
        runtime.analysis.note(last)
        await pilot.press("q")
    assert worker.is_finished
    assert final_status == [status]
    kept = Store(path)
    try:
        assert last in kept.alerts()
    finally:
        kept.close()
