"""An ``[[alerts]]`` rule firing, seen in the app: a notification and the bell, once."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from r2kmon.clock import FrozenClock
from r2kmon.config import Config, parse_config
from r2kmon.model import Alert, Tick
from r2kmon.runtime import Runtime
from r2kmon.runtime.state import AppState
from r2kmon.ui.app import R2kApp
from r2kmon.ui.messages import StateUpdated
from tests.core.sample import OPEN_TS, seeded_snapshot
from tests.ui.test_app import screen_text


@pytest.mark.parametrize("bell", [True, False])
async def test_a_rule_that_fires_is_notified_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bell: bool
) -> None:
    config = parse_config(
        f"""
[general]
bell = {str(bell).lower()}

[store]
enabled = false

[[alerts]]
symbol = "BTC-USD"
above = 100000
note = "take profit"
""",
        tmp_path / "r2kmon.toml",
    )
    clock = FrozenClock(OPEN_TS)
    runtime = Runtime(config, demo=False, clock=clock, producers=[])
    # An alert of an earlier run, as the store hands it back: in the log, never notified.
    runtime.analysis.alert_log.alerts.append(
        Alert(OPEN_TS - 3600, "alert", "BTC-USD", "BTC-USD above 90,000.00: an hour ago")
    )
    app = R2kApp(runtime, config, clock=clock)
    bells: list[bool] = []
    monkeypatch.setattr(app, "bell", lambda: bells.append(True))

    async def price(text: str) -> None:
        clock.advance(1.0)
        tick = Tick("BTC-USD", Decimal(text), clock.now(), "binance", "ticker")
        runtime.hub.push_ticks([tick])
        await runtime.analysis.step()

    def alerts_shown() -> list[str]:
        return [n.message for n in app._notifications if "BTC-USD above" in n.message]

    async with app.run_test(size=(120, 30)) as pilot:
        await price("99000.5")
        await pilot.pause(0.3)
        assert alerts_shown() == []
        await price("100012.34")
        for _ in range(40):
            await pilot.pause(0.05)
            if alerts_shown():
                break
        assert alerts_shown() == [
            "BTC-USD above 100,000.00: 100,012.34 (binance, 15:00:02 UTC) — take profit"
        ]
        assert bells == ([True] if bell else [])
        # Still above: no second notification, no second bell.
        await price("100100")
        await pilot.pause(0.3)
        assert len(alerts_shown()) == 1
        assert bells == ([True] if bell else [])
        # The health view says where the rule stands, and keeps the alert in the log.
        await pilot.press("7")
        await pilot.pause(0.3)
        text = screen_text(app)
        assert "Alert rules" in text
        row = next(line for line in text.splitlines() if "(take profit)" in line)
        assert row.split() == [
            "BTC-USD", "above", "100,000.00", "(take", "profit)", "100,100.00", "fired",
            "<", "99,750.00", "2026-11-17", "15:00",
        ]  # fmt: skip
        assert "BTC-USD above 100,000.00: 100,012.34" in text
        await pilot.press("q")


async def test_without_rules_the_health_view_has_no_rules_pane() -> None:
    config = Config()
    app = R2kApp(None, config, clock=FrozenClock(OPEN_TS))
    async with app.run_test(size=(120, 30)) as pilot:
        app.post_message(StateUpdated(AppState(seeded_snapshot())))
        await pilot.press("7")
        await pilot.pause(0.3)
        text = screen_text(app)
        assert "Alert log" in text
        assert "Alert rules" not in text


async def test_a_paused_screen_still_notifies_an_alert(tmp_path: Path) -> None:
    config = parse_config(
        '[store]\nenabled = false\n[[alerts]]\nsymbol = "^RUT"\nbelow = 2400\n',
        tmp_path / "r2kmon.toml",
    )
    clock = FrozenClock(OPEN_TS)
    runtime = Runtime(config, demo=False, clock=clock, producers=[])
    app = R2kApp(runtime, config, clock=clock)

    async def price(text: str) -> None:
        clock.advance(1.0)
        runtime.hub.push_ticks([Tick("^RUT", Decimal(text), clock.now(), "yahoo", "bar")])
        await runtime.analysis.step()

    async with app.run_test(size=(120, 30)) as pilot:
        await price("2410")
        await pilot.press("p")
        await pilot.pause(0.2)
        assert app.paused
        await price("2395.5")
        for _ in range(60):
            await pilot.pause(0.05)
            if any("^RUT below" in n.message for n in app._notifications):
                break
        assert [n.message for n in app._notifications if "^RUT below" in n.message] == [
            "^RUT below 2,400.00: 2,395.50 (yahoo, 15:00:02 UTC)"
        ]
        assert app.paused
        await pilot.press("q")
