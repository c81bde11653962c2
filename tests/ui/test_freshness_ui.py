"""The screen shows each quote's freshness in words, as the state carries it: the age of a
live price, ``STALE``, ``closed``, ``delayed`` with the date of the price standing in —
never by colour alone, and within 80 columns. When a judgement moves with the clock alone,
the app's once-a-second tick asks for a new state though no data arrived."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

import pytest

from r2kmon.clock import FrozenClock
from r2kmon.config import Config, parse_config
from r2kmon.hub import Hub
from r2kmon.model import SourceHealth, Tick
from r2kmon.runtime import Runtime
from r2kmon.ui.app import R2kApp
from r2kmon.ui.messages import StateUpdated
from r2kmon.ui.screens.detail import DetailScreen
from r2kmon.ui.widgets.quote_table import QuoteTable
from tests.ui.data import WEEKEND, freshness_state


def screen_text(app: R2kApp) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def row(text: str, symbol: str) -> str:
    return next(line for line in text.splitlines() if line.strip().startswith(symbol + " "))


@pytest.mark.history
async def test_the_dashboard_says_each_freshness_in_words_at_80_columns() -> None:
    app = R2kApp(None, Config(), clock=FrozenClock(WEEKEND))
    async with app.run_test(size=(80, 24)) as pilot:
        app.post_message(StateUpdated(freshness_state()))
        await pilot.pause()
        text = screen_text(app)
        assert row(text, "BTC-USD").rstrip().endswith("binance            2s")
        assert row(text, "ETH-USD").rstrip().endswith("STALE")
        assert row(text, "^RUT").rstrip().endswith("yahoo          closed")
        assert row(text, "IWM").rstrip().endswith("closed")
        assert row(text, "SPY").rstrip().endswith("STALE")
        # FRED's close stands in, a day late: the word, and the date of that close.
        assert row(text, "^GSPC").rstrip().endswith("fred Nov 26   delayed")
        assert all(len(line) <= 80 for line in text.splitlines())
        # A row that is not live shows no age, so the clock does not repaint it each second.
        table = app.screen.query_one(QuoteTable)
        judged = [r for r in table.rows if r.freshness not in ("live", None)]
        assert [r.age_s for r in judged] == [None] * 5


@pytest.mark.history
async def test_the_crypto_view_and_the_details_say_it_too() -> None:
    app = R2kApp(None, Config(), clock=FrozenClock(WEEKEND))
    async with app.run_test(size=(100, 30)) as pilot:
        app.post_message(StateUpdated(freshness_state()))
        await pilot.pause()
        await pilot.press("3")
        await pilot.pause()
        text = screen_text(app)
        assert "STALE" in row(text, "ETH-USD")
        assert "STALE" not in row(text, "BTC-USD")
        await pilot.press("1")
        await pilot.pause()
        said = {}
        for steps, symbol in ((3, "^RUT"), (6, "^GSPC"), (1, "ETH-USD")):
            await pilot.press(*["j"] * steps, "enter")
            await pilot.pause()
            assert isinstance(app.screen, DetailScreen)
            said[symbol] = screen_text(app)
            await pilot.press("escape")
            await pilot.press(*["k"] * 7)
        assert "closed: the market is shut; this is its last price" in said["^RUT"]
        assert "delayed: an earlier price stands in while the market trades" in said["^GSPC"]
        assert "2025-11-26 00:00 UTC" in said["^GSPC"]
        assert "STALE: no fresh price from its source" in said["ETH-USD"]


async def test_the_tick_asks_for_a_new_state_when_freshness_moves_with_the_clock(
    tmp_path: Path,
) -> None:
    """No tick, no health change: only the clock moves past the state's
    ``freshness_until``, and the quote on screen turns STALE at the next second's tick."""
    clock = FrozenClock(WEEKEND)
    config = parse_config(
        '[crypto]\nsymbols = ["BTC-USD"]\n[markets]\nsymbols = []\n[store]\nenabled = false\n',
        tmp_path / "r2kmon.toml",
    )
    hub = Hub(clock, simulated=False, symbols=("BTC-USD",))
    hub.push_health(SourceHealth("binance", "feed", "ok", last_ok=WEEKEND))
    hub.push_ticks([Tick("BTC-USD", Decimal("90000"), WEEKEND - 2, "binance", "ticker")])
    runtime = Runtime(config, demo=False, clock=clock, producers=[], hub=hub)
    app = R2kApp(runtime, config, clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        async with asyncio.timeout(30):
            while app.state is None or app.state.freshness.get("BTC-USD") != "live":
                await pilot.pause(0.05)
        assert "STALE" not in row(screen_text(app), "BTC-USD")
        version = runtime.version
        clock.advance(60)  # 62 s old now: past its stale_after_s of 60
        async with asyncio.timeout(30):
            while app.state.freshness.get("BTC-USD") != "stale":
                await pilot.pause(0.05)
        assert runtime.version == version  # nothing new arrived; the clock moved
        # The state changed; the screen follows at its next redraw (slower on a busy box).
        async with asyncio.timeout(10):
            while not row(screen_text(app), "BTC-USD").rstrip().endswith("STALE"):
                await pilot.pause(0.05)
