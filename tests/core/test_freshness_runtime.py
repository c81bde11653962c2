"""Freshness through the real runtime: judged once in ``Runtime.state()`` and carried to
``snapshot --json``'s document, the status line, the portfolio and the ``[[alerts]]``
rules, which only format (or obey) it. The cases of issue #12: with the US session open, a
``^RUT`` quote months old and a ``^VIX`` daily close from FRED; a crypto tick stamped in
the far future."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

import pytest

from r2kmon.analytics.market_hours import epoch
from r2kmon.clock import FrozenClock
from r2kmon.config import parse_config
from r2kmon.hub import Hub
from r2kmon.model import SourceHealth, Tick
from r2kmon.runtime import Runtime
from r2kmon.runtime.snapshot import build_document
from r2kmon.runtime.statusline import status_document, status_line

NOW = epoch("2025-11-26T15:00:00Z")
"""Wednesday 2025-11-26 10:00 in New York: the session is open (since 14:30 UTC)."""
MONTHS_AGO = epoch("2025-08-01T20:00:00Z")
FRED_TUESDAY = epoch("2025-11-25T00:00:00Z")
"""FRED's VIXCLS for Tuesday, stamped with its date: published on Wednesday morning."""

CONFIG = """
[crypto]
symbols = ["BTC-USD"]
[markets]
symbols = ["^RUT", "IWM", "^VIX"]
[store]
enabled = false
[[holdings]]
symbol = "IWM"
quantity = 10
[[alerts]]
symbol = "BTC-USD"
above = 100000
"""


@pytest.fixture
async def runtime(tmp_path: Path) -> Runtime:
    """A runtime on a frozen clock, its calendar loaded (as ``run`` loads it), fed by hand
    exactly as the feeds and the poller feed the hub."""
    clock = FrozenClock(NOW)
    config = parse_config(CONFIG, tmp_path / "r2kmon.toml")
    hub = Hub(clock, simulated=False, symbols=("BTC-USD", "^RUT", "IWM", "^VIX"))
    runtime = Runtime(config, demo=False, clock=clock, producers=[], hub=hub)
    task = asyncio.create_task(runtime.run())
    try:
        assert await runtime.wait_answered(30)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    for record in (
        SourceHealth("binance", "feed", "ok", last_ok=NOW),
        SourceHealth("yahoo", "source", "ok", last_ok=NOW),
        SourceHealth("fred", "source", "ok", last_ok=NOW),
    ):
        hub.push_health(record)
    hub.push_ticks(
        [
            Tick("BTC-USD", Decimal("99000"), NOW - 2, "binance", "ticker"),
            Tick("^RUT", Decimal("2210.5"), MONTHS_AGO, "yahoo", "bar"),
            Tick("IWM", Decimal("240.25"), NOW - 30, "yahoo", "bar"),
            Tick("^VIX", Decimal("17.19"), FRED_TUESDAY, "fred", "bar", ref_price=Decimal("18")),
        ]
    )
    return runtime


async def test_the_state_carries_each_quotes_freshness(runtime: Runtime) -> None:
    state = runtime.state()
    assert state.market is not None
    assert state.market.is_open
    assert dict(state.freshness) == {
        "BTC-USD": "live",
        "^RUT": "stale",  # the provider answered, but with a price from August
        "IWM": "live",
        "^VIX": "delayed",  # FRED's Tuesday close stands in during Wednesday's session
    }
    # The first change without new data: BTC-USD's price turns 60 s old.
    assert state.freshness_until == NOW - 2 + 60


async def test_freshness_moves_with_the_clock_alone(runtime: Runtime) -> None:
    first = runtime.state()
    assert isinstance(runtime.clock, FrozenClock)
    assert first.freshness_until is not None
    runtime.clock.advance(first.freshness_until - NOW + 1)
    # No data came (the hub's snapshot is the same object): the judgement moved anyway.
    later = runtime.state()
    assert later.hub is first.hub
    assert later.freshness["BTC-USD"] == "stale"
    assert later.freshness["IWM"] == "live"
    runtime.clock.advance(5 * 60)  # IWM's price, polled, is now over five minutes old
    assert runtime.state().freshness["IWM"] == "delayed"


async def test_snapshot_json_and_the_status_line_format_the_same_judgement(
    runtime: Runtime,
) -> None:
    runtime.hub.push_ticks([Tick("BTC-USD", Decimal("99100"), NOW + 86_400, "binance")])
    state = runtime.state()
    quotes = build_document(state, NOW)["quotes"]
    assert {s: (q["freshness"], q["stale"]) for s, q in quotes.items()} == {
        "BTC-USD": ("stale", True),  # stamped a day ahead: never fresh
        "^RUT": ("stale", True),
        "IWM": ("live", False),
        "^VIX": ("delayed", False),
    }
    assert quotes["^VIX"]["ts"] == "2025-11-25T00:00:00+00:00"
    line = status_line(status_document(state, NOW), NOW, ["^RUT", "IWM", "^VIX", "BTC-USD"])
    assert line == (
        "^RUT 2,210.50 STALE │ IWM 240.25 │ ^VIX 17.19 ▼-4.50% delayed Nov 25"
        " │ BTC-USD 99,100.00 STALE"
    )
    positions = build_document(state, NOW)["portfolio"]["positions"]
    assert [(p["symbol"], p["freshness"], p["stale"]) for p in positions] == [
        ("IWM", "live", False)
    ]


async def test_a_rule_does_not_fire_on_a_stale_price(runtime: Runtime) -> None:
    await runtime.analysis.step()  # 99,000: the rule is armed
    assert [s.state for s in runtime.state().rules] == ["armed"]
    # A frame stamped a day ahead crosses the level: stale, so nothing fires.
    runtime.hub.push_ticks([Tick("BTC-USD", Decimal("105000"), NOW + 86_400, "binance")])
    await runtime.analysis.step()
    assert [a for a in runtime.state().alerts if a.level == "alert"] == []
    assert [s.state for s in runtime.state().rules] == ["armed"]


async def test_a_rule_fires_on_a_live_crossing(runtime: Runtime) -> None:
    """The control for the test above: the same crossing, stamped now, fires."""
    await runtime.analysis.step()
    assert isinstance(runtime.clock, FrozenClock)
    runtime.clock.advance(1)
    runtime.hub.push_ticks([Tick("BTC-USD", Decimal("105000"), NOW + 1, "binance")])
    await runtime.analysis.step()
    [alert] = [a for a in runtime.state().alerts if a.level == "alert"]
    assert alert.message.startswith("BTC-USD above 100,000.00: 105,000.00")
