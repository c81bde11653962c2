"""What a user without network sees: one offline line in the header, panes that say why
there is no history, Macro saying which source is down and why — and no storm of toasts.

The first tests run the real runtime with the shipped defaults, every endpoint's host and
port swapped for a loopback port where nothing listens: every real client (websockets,
the poller, the backfill) is refused at once, as with no network. The others post hand-made
health records for the cases a refused port cannot make (only some sources unreachable).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from rich.text import Text
from textual.widget import Widget

from r2kmon.clock import FrozenClock
from r2kmon.config import DEFAULT_EXCHANGES, Config, load_config
from r2kmon.hub import Hub
from r2kmon.model import SourceHealth
from r2kmon.net.failure import DNS
from r2kmon.runtime import Runtime, market_hours
from r2kmon.runtime.state import AppState
from r2kmon.ui.app import R2kApp
from r2kmon.ui.messages import StateUpdated
from r2kmon.ui.palette import DIM
from r2kmon.ui.views.base import DrawContext
from r2kmon.ui.views.macro import down_reason, macro_rows
from r2kmon.ui.widgets.gauge import GaugePanel
from r2kmon.ui.widgets.line import TextLine
from tests.fakes.tls import PrivateCA, closed_port, derived_endpoints, toml_tables
from tests.ui.test_app import screen_text

pytestmark = pytest.mark.timeout(60)


def pane_text(app: R2kApp, widget: Widget) -> str:
    """The words on screen inside ``widget``'s region, lines joined (a pane wraps)."""
    region = widget.region
    lines = screen_text(app).splitlines()[region.y : region.y + region.height]
    return " ".join(
        " ".join(line[region.x : region.x + region.width].split()) for line in lines
    ).strip()


def refused_config(tmp_path: Path, port: int) -> Config:
    """The shipped defaults, every endpoint on ``127.0.0.1:port``; no store."""
    tables: dict[str, Mapping[str, object]] = {"store": {"enabled": False}}
    tables.update(derived_endpoints({name: port for name in DEFAULT_EXCHANGES}, port))
    path = tmp_path / "refused.toml"
    path.write_text(toml_tables(tables), encoding="utf-8")
    return load_config(path)


async def wait_for(pilot: Any, app: R2kApp, check: Callable[[str], bool], seconds: float) -> str:
    text = ""
    for _ in range(int(seconds / 0.1)):
        await pilot.pause(0.1)
        text = screen_text(app)
        if check(text):
            return text
    raise AssertionError(f"never shown; last screen:\n{text}")


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
async def test_every_server_refusing_is_one_offline_line_and_one_notification(
    tmp_path: Path, trusted: PrivateCA, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]
) -> None:
    # The calendar loaded before the runtime and the poller both load it in threads: under
    # filterwarnings=error, two threads in warnings.catch_warnings at once can let the
    # other's pandas warning through (catch_warnings is not thread-safe).
    market_hours()
    port = closed_port()
    config = refused_config(tmp_path, port)
    runtime = Runtime(config, demo=False)
    app = R2kApp(runtime, config)
    shown: list[str] = []
    notify: Callable[..., Any] = app.notify

    def counting(message: str, **kwargs: Any) -> None:
        shown.append(message)
        notify(message, **kwargs)

    monkeypatch.setattr(app, "notify", counting)
    async with app.run_test(size=size) as pilot:
        # Every source reports (the first few seconds the count grows as they start).
        text = await wait_for(pilot, app, lambda t: "/11" in t or " of 11 " in t, 30)
        header = text.splitlines()[0]
        if size[0] >= 100:
            # 3 exchanges, the breadth feed, the backfill and 6 providers; not the summaries
            assert "offline — 0 of 11 sources reachable: connection refused · retry" in header
        else:
            assert "offline 0/11: connection refused · retry" in header
            assert header.rstrip().endswith(" s") or header.rstrip().endswith("retrying")
        assert "binance" not in header  # no chip per source
        # The panes waiting for history say why there is none, not "Loading".
        refused = f"connection refused by 127.0.0.1:{port}"
        await wait_for(pilot, app, lambda t: "no daily history" in t, 20)
        # From 120 columns the headline carries the gauge's first line.
        # (its whole text: the line is cut at the screen's edge).
        if size[0] < 120:
            gauge = pane_text(app, app.main.query_one(GaugePanel))
        else:
            gauge = app.main.query_one("#headline", TextLine).text.plain
        assert "Loading" not in screen_text(app)
        assert gauge == (
            "RISK-ON GAUGE "
            f"Cannot show the gauge: no daily history: yahoo unreachable ({refused}); "
            f"backfill unreachable (binance: {refused}); fred unreachable ({refused})"
        )
        # Macro: each missing value names the failure of the source that brings it.
        await pilot.press("6")
        text = await wait_for(pilot, app, lambda t: "Fear & greed" in t, 10)
        rows = {line.split("  ")[0].strip(): line for line in text.splitlines()[2:]}
        # what the note column shows even at 80 columns (enter shows it all; the whole text
        # is checked in test_macro_says_down_only_when_every_source_of_a_value_is_down)
        note = "down: unreachable: c"
        assert note in rows["Fear & greed"]
        assert note in rows["Net liquidity"]
        assert note in rows["BTC dominance"]
        assert "no answer" not in text
        # The notification: one, once the grace for sources still starting is over.
        for _ in range(100):
            await pilot.pause(0.1)
            if shown:
                break
        await pilot.pause(1.5)
        assert shown == ["offline: 0 of 11 sources reachable (connection refused)"]


def partial_state(simulated: bool = False) -> AppState:
    now = 1_794_927_600.0
    hub = Hub(FrozenClock(now), simulated=simulated, symbols=("BTC-USD",))
    hub.push_health(SourceHealth("binance", "feed", "ok", last_ok=now - 1))
    hub.push_health(SourceHealth("yahoo", "source", "ok", last_ok=now - 60))
    hub.push_health(
        SourceHealth("ishares", "source", "down", last_error="cannot resolve x", fault=DNS)
    )
    return AppState(hub.snapshot())


async def test_some_sources_unreachable_keep_their_chips_after_a_count() -> None:
    app = R2kApp(None, Config(), clock=FrozenClock(1_794_927_600.0))
    async with app.run_test(size=(160, 30)) as pilot:
        app.post_message(StateUpdated(partial_state()))
        await pilot.pause()
        header = screen_text(app).splitlines()[0]
        assert "1 of 3 sources unreachable" in header
        assert "● binance ok" in header
        assert "● ishares down" in header
        assert "offline" not in header


async def test_the_simulated_badge_stays_beside_the_offline_line() -> None:
    now = 1_794_927_600.0
    hub = Hub(FrozenClock(now), simulated=True, symbols=("BTC-USD",))
    hub.push_health(
        SourceHealth("binance", "feed", "down", last_error="x", retry_at=now + 7, fault=DNS)
    )
    app = R2kApp(None, Config(), clock=FrozenClock(now))
    async with app.run_test(size=(80, 24)) as pilot:
        app.post_message(StateUpdated(AppState(hub.snapshot())))
        await pilot.pause()
        header = screen_text(app).splitlines()[0]
        assert "SIMULATED" in header
        assert "offline 0/1: DNS failure · retry 7" in header


def test_macro_says_down_only_when_every_source_of_a_value_is_down() -> None:
    now = 1_794_927_600.0
    hub = Hub(FrozenClock(now), simulated=False)
    refused = "unreachable: connection refused by 127.0.0.1:9 · stale: fear & greed (...)"
    hub.push_health(SourceHealth("alternative_me", "source", "down", last_error=refused))
    hub.push_health(SourceHealth("coingecko", "source", "down", last_error="HTTP 429"))
    hub.push_health(SourceHealth("coinpaprika", "source", "ok", last_ok=now))
    hub.push_health(SourceHealth("yahoo", "source", "down", last_error="HTTP 403"))
    hub.push_health(SourceHealth("fred", "source", "down", last_error="HTTP 500"))
    snapshot = hub.snapshot()
    assert down_reason(snapshot, ("alternative_me",)) == (
        "down: unreachable: connection refused by 127.0.0.1:9"
    )
    assert down_reason(snapshot, ("coingecko", "coinpaprika")) is None  # one still works
    assert down_reason(snapshot, ("yahoo", "fred")) == "down: HTTP 403 (yahoo; fred too)"
    assert down_reason(snapshot, ("ishares", "yahoo")) == "down: HTTP 403"  # ishares: no record
    assert down_reason(snapshot, ("ishares",)) is None
    # and the row says it, in place of "no answer yet"
    rows = {row.key: row for row in macro_rows(AppState(snapshot), DrawContext(now=now))}
    assert rows["fear_greed"].cells[5] == Text(
        "down: unreachable: connection refused by 127.0.0.1:9", DIM
    )
