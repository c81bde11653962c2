"""View 8, the portfolio, under Textual's Pilot: amounts, private mode, no holdings."""

from __future__ import annotations

import dataclasses

import pytest

from r2kmon.clock import FrozenClock
from r2kmon.config import Config
from r2kmon.runtime.state import AppState
from r2kmon.ui.app import R2kApp
from r2kmon.ui.messages import StateUpdated
from tests.ui.data import NOW, ready_state
from tests.ui.test_app import screen_text

pytestmark = pytest.mark.history


async def portfolio_screen(state: AppState, *, private: bool = False, width: int = 160) -> str:
    config = Config()
    config = dataclasses.replace(
        config, general=dataclasses.replace(config.general, private=private)
    )
    app = R2kApp(None, config, clock=FrozenClock(NOW))
    async with app.run_test(size=(width, 30)) as pilot:
        app.post_message(StateUpdated(state))
        await pilot.pause()
        await pilot.press("8")
        await pilot.pause(0.2)
        return screen_text(app)


def row(text: str, symbol: str) -> list[str]:
    return next(line for line in text.splitlines() if line.startswith(symbol)).split()


async def test_each_holding_and_the_totals() -> None:
    text = await portfolio_screen(ready_state())
    assert "8 Portfolio" in text.splitlines()[0]
    assert "Value 35,330.47 · P&L -3,459.53 (-8.92%) · day -149.42 (-0.42%) · 3/4 priced" in text
    assert row(text, "BTC-USD") == [
        "BTC-USD", "0.25", "67,659.39", "16,914.85", "47.9%", "61,000.00", "+1,664.85",
        "+10.92%", "-86.09", "binance", "2s",
    ]  # fmt: skip
    # No price for SOL in this state: nothing is guessed.
    assert row(text, "SOL-USD") == ["SOL-USD", "30", "—", "—", "—", "—", "—", "—", "—", "—",
                                    "no", "data"]  # fmt: skip


async def test_private_mode_keeps_only_weights_and_percentages() -> None:
    text = await portfolio_screen(ready_state(), private=True)
    assert "P&L -8.92% · day -0.42% · 3/4 priced" in text
    assert "35,330" not in text
    assert row(text, "BTC-USD") == [
        "BTC-USD", "•••", "67,659.39", "•••", "47.9%", "•••", "•••", "+10.92%", "•••",
        "binance", "2s",
    ]  # fmt: skip


async def test_without_holdings_the_view_says_how_to_add_them() -> None:
    state = dataclasses.replace(ready_state(), portfolio=None)
    text = await portfolio_screen(state, width=100)
    assert "no holdings: add [[holdings]] tables to the config" in text


async def test_the_demo_s_sample_holdings_say_they_are_examples() -> None:
    state = ready_state()
    assert state.portfolio is not None
    positions = tuple(
        dataclasses.replace(p, holding=dataclasses.replace(p.holding, example=True))
        for p in state.portfolio.positions
    )
    portfolio = dataclasses.replace(state.portfolio, positions=positions)
    text = await portfolio_screen(dataclasses.replace(state, portfolio=portfolio))
    assert "EXAMPLE holdings (demo, not in your config) · Value 35,330.47" in text
    assert "EXAMPLE" not in await portfolio_screen(ready_state())
