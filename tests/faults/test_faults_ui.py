"""The fault suite's rows under the Textual UI (Pilot): the screen says what the
``snapshot`` document says, and recovers with it.

The app is the real :class:`~r2kmon.ui.app.R2kApp` running the runtime
:mod:`tests.faults.world` builds (the fakes over TLS, short timers). For one row of each
kind of :data:`tests.faults.test_faults.FAULTS` — the exchanges, a provider, a hostile
stream, the disk — the fault is driven exactly as in the headless suite, and the screen
must say it while it lasts: the health view (``7``) shows the source's state and reason,
the dashboard (``1``) marks the quotes that went stale; once the fake heals, both say so
by themselves. The app keeps running throughout.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from r2kmon.ui.app import R2kApp
from tests.fakes.http import Reply
from tests.fakes.providers import MARKETS, chart_path
from tests.fakes.tls import PrivateCA
from tests.faults.test_faults import FAULTS, Row
from tests.faults.world import World, running
from tests.ui.test_app import screen_text

pytestmark = pytest.mark.timeout(90)

Screen = Callable[[str], bool]


def line(text: str, first: str) -> str:
    """The screen line whose first word is ``first`` (a table row), or ``""``."""
    for row in text.splitlines():
        words = row.split()
        if words and words[0] == first:
            return row
    return ""


def states(text: str, source: str, *words: str) -> bool:
    """The health view's row of ``source`` holds every one of ``words``."""
    row = line(text, source).lower()
    return bool(row) and all(word in row for word in words)


SOURCES = ("binance", "coinbase", "kraken", "okx", "bybit", "yahoo", "fred", "twelvedata")


def quote(text: str, symbol: str) -> str:
    """The quote table's row of ``symbol``: the row that names its source (from 120
    columns the dashboard also lists the symbol in the board, the "Reaching crypto?" panel
    and the past-breakouts table, rows without a source)."""
    for row in text.splitlines():
        words = row.split()
        if words and words[0] == symbol and any(source in words for source in SOURCES):
            return row
    return ""


def stale(text: str, *symbols: str) -> bool:
    return all("STALE" in quote(text, symbol) for symbol in symbols)


def fresh(text: str, *symbols: str) -> bool:
    return all(quote(text, symbol) and "STALE" not in quote(text, symbol) for symbol in symbols)


@dataclass(frozen=True)
class OnScreen:
    """What views ``1`` (dashboard) and ``7`` (health) show during the fault and after."""

    health_during: Screen
    dashboard_during: Screen
    health_after: Screen
    dashboard_after: Screen


CRYPTO = ("BTC-USD", "ETH-USD")
SHOWN = {
    "every exchange refuses connections": OnScreen(
        lambda t: (
            states(t, "binance", "down", "connection refused")
            and states(t, "coinbase", "down", "connection refused")
        ),
        lambda t: stale(t, *CRYPTO) and "unreachable" in t,
        lambda t: states(t, "binance", "ok") and states(t, "coinbase", "ok"),
        lambda t: fresh(t, *CRYPTO) and "unreachable" not in t,
    ),
    "429 storm with Retry-After": OnScreen(
        lambda t: states(t, "yahoo", "429") and not states(t, "yahoo", " ok "),
        lambda t: stale(t, *MARKETS) and fresh(t, *CRYPTO),
        lambda t: states(t, "yahoo", "ok"),
        lambda t: fresh(t, *MARKETS, *CRYPTO),
    ),
    "garbage frames": OnScreen(
        lambda t: states(t, "binance", "ok", "bad frame"),
        lambda t: fresh(t, *CRYPTO),
        lambda t: states(t, "binance", "ok"),
        lambda t: fresh(t, *CRYPTO),
    ),
    "damaged store file": OnScreen(
        # The reason begins the row (the file's path, long here, is cut at the edge); the
        # alert log below says it too.
        lambda t: states(t, "store", "ok", "cannot read the store") and "warning store" in t,
        lambda t: fresh(t, *CRYPTO),
        lambda t: states(t, "store", "ok"),
        lambda t: fresh(t, *CRYPTO),
    ),
}
ROWS = [row for row in FAULTS if row.name in SHOWN]


async def shown(pilot: Any, app: R2kApp, key: str, check: Screen, what: str) -> None:
    """Switch to view ``key`` and wait (polling the screen) until ``check`` holds."""
    await pilot.press(key)
    text = ""
    for _ in range(300):
        await pilot.pause(0.1)
        text = screen_text(app)
        if check(text):
            assert app.is_running
            return
    pytest.fail(f"never shown: {what}\n{text}")


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
async def test_fault_on_screen(
    row: Row, tmp_path: Path, trusted: PrivateCA, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert len(ROWS) == len(SHOWN)  # every row named above exists in the suite
    screen = SHOWN[row.name]
    async with running(tmp_path, trusted, monkeypatch, row.before_start, start=False) as world:
        app = R2kApp(world.runtime, world.runtime.config)
        async with app.run_test(size=(140, 40)) as pilot:
            await settled(world, row)
            await row.inject(world)
            await world.until(lambda: row.during(world), f"{row.name}: {row.says}")
            await shown(pilot, app, "7", screen.health_during, f"{row.name}: health view")
            await shown(pilot, app, "1", screen.dashboard_during, f"{row.name}: dashboard")
            if row.heal is not None:
                await row.heal(world)
            await world.until(lambda: row.healed(world), f"{row.name}: recovery")
            await shown(pilot, app, "7", screen.health_after, f"{row.name}: health recovered")
            await shown(pilot, app, "1", screen.dashboard_after, f"{row.name}: dashboard back")
            assert app.is_running


async def settled(world: World, row: Row) -> None:
    """Healthy first (a disk fault is there from the start: nothing to wait for)."""
    if row.before_start is None:
        await world.until(
            lambda: all(
                world.health(name).get("status") == "ok"
                for name in ("binance", "coinbase", "yahoo", "coingecko")
            ),
            "the app healthy before the fault",
        )


# Hostile remote text -----------------------------------------------------------------------

HOSTILE = "\u202eecnavda\u200b deliver\x1b]0;pwned\x07 now"
"""A provider error holding a bidi override (the text would read reversed), a zero-width
space and an OSC title sequence: none of them may reach the screen or the document."""
UNSAFE = ("\u202e", "\u200b", "\x1b", "\x07")


async def test_hostile_provider_text_is_cleaned_on_screen(
    tmp_path: Path, trusted: PrivateCA, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = {"chart": {"result": None, "error": {"code": "Bad Request", "description": HOSTILE}}}
    reply = Reply(400, json.dumps(body).encode(), content_type="application/json")
    async with running(tmp_path, trusted, monkeypatch, None, start=False) as world:
        app = R2kApp(world.runtime, world.runtime.config)
        async with app.run_test(size=(160, 40)) as pilot:
            for symbol in MARKETS:
                for interval in ("1m", "1d"):
                    world.http.script(chart_path(symbol) + f"?interval={interval}", reply)
            await world.until(
                lambda: "ecnavda" in (world.health("yahoo").get("last_error") or ""),
                "yahoo's error text in its health",
            )
            said = world.health("yahoo")["last_error"]
            assert not any(c in said for c in UNSAFE), repr(said)
            await shown(pilot, app, "7", lambda t: "ecnavda" in t, "the error on the health view")
            text = screen_text(app)
            assert not any(c in text for c in UNSAFE), repr(text)
            assert app.is_running
