"""The store: what the hub held comes back after a restart; demo data is never kept."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

from r2kmon.clock import FrozenClock
from r2kmon.config import Config
from r2kmon.hub import Hub
from r2kmon.model import Bar, ContextValue, Sink, SourceHealth, Tick
from r2kmon.runtime import Runtime
from r2kmon.state import Alert
from r2kmon.store import Store

T0 = 1_794_927_600.0
DAY = 86_400.0


def filled_hub(clock: FrozenClock) -> Hub:
    hub = Hub(clock, simulated=False)
    hub.push_bars(
        "^RUT", "1d", [Bar(T0 - 3 * DAY + i * DAY, 1, 2, 0.5, 1 + i) for i in range(3)], "yahoo"
    )
    for i in range(5):
        hub.push_ticks([Tick("BTC-USD", Decimal(100 + i), T0 - 300 + 60 * i, "binance")])
    hub.push_context(ContextValue("iwm_shares_outstanding", 1.0e9, "shares", "ishares", T0 - DAY))
    return hub


def test_round_trip_leaves_out_the_bar_still_forming(tmp_path: Path) -> None:
    clock = FrozenClock(T0)
    store = Store(tmp_path / "s.sqlite")
    hub = filled_hub(clock)
    written = store.save(hub.snapshot())
    assert written == 2 + 4 + 1  # daily bars but the last, minute bars but the last, 1 value
    store.close()

    again = Store(tmp_path / "s.sqlite")
    restored = Hub(clock, simulated=False)
    assert again.load_into(restored, T0) == 6
    snap, original = restored.snapshot(), hub.snapshot()
    assert snap.bars_1d["^RUT"] == original.bars_1d["^RUT"][:-1]
    assert snap.bars_1m["BTC-USD"] == original.bars_1m["BTC-USD"][:-1]
    assert snap.context["iwm_shares_outstanding"].value == 1.0e9
    assert snap.context["iwm_shares_outstanding"].source == "ishares"


def test_saving_again_writes_only_what_is_new(tmp_path: Path) -> None:
    clock = FrozenClock(T0)
    store = Store(tmp_path / "s.sqlite")
    hub = filled_hub(clock)
    store.save(hub.snapshot())
    assert store.save(hub.snapshot()) == 0
    hub.push_ticks([Tick("BTC-USD", Decimal(200), T0 + 60, "binance")])
    assert store.save(hub.snapshot()) == 1  # the bar that was forming has now closed


def test_context_values_build_up_into_a_history(tmp_path: Path) -> None:
    clock = FrozenClock(T0)
    store = Store(tmp_path / "s.sqlite")
    hub = Hub(clock, simulated=False)
    for day, shares in enumerate((1.00e9, 1.02e9, 0.99e9)):
        hub.push_context(
            ContextValue("iwm_shares_outstanding", shares, "shares", "ishares", T0 + day * DAY)
        )
        store.save(hub.snapshot())
    history = store.context_history(["iwm_shares_outstanding", "fear_greed"])
    assert list(history) == ["iwm_shares_outstanding"]
    assert list(history["iwm_shares_outstanding"]) == [1.00e9, 1.02e9, 0.99e9]


def test_simulated_context_is_never_kept(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    hub = Hub(FrozenClock(T0), simulated=True)
    hub.push_context(ContextValue("fear_greed", 50.0, "", "demo", T0, simulated=True))
    assert store.save(hub.snapshot()) == 0


def test_alerts_are_kept_in_order(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    hub = Hub(FrozenClock(T0), simulated=False)
    alerts = [Alert(T0, "error", "binance", "down"), Alert(T0 + 5, "info", "binance", "back")]
    store.save(hub.snapshot(), alerts)
    store.save(hub.snapshot(), alerts)  # not written twice
    assert store.alerts() == alerts


class OneDay:
    """A producer that pushes a day of daily bars once and then idles."""

    name = "test-source"

    async def run(self, sink: Sink) -> None:
        sink.push_bars("IWM", "1d", [Bar(T0 - 2 * DAY, 1, 1, 1, 1), Bar(T0 - DAY, 2, 2, 2, 2)], "t")
        sink.push_health(SourceHealth(self.name, "source", "ok", last_ok=T0))
        await asyncio.Event().wait()


async def test_a_restarted_runtime_starts_with_the_stored_history(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    first = Runtime(
        Config(), demo=False, clock=FrozenClock(T0), producers=[OneDay()], store=Store(path)
    )
    task = asyncio.create_task(first.run())
    async with asyncio.timeout(10):
        assert await first.wait_answered(10)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)  # the runtime saves as it stops

    second = Runtime(Config(), demo=False, clock=FrozenClock(T0), producers=[], store=Store(path))
    task = asyncio.create_task(second.run())
    try:
        assert await second.wait_answered(10)  # the store is loaded before anything else
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert [b.close for b in second.hub.snapshot().bars_1d["IWM"]] == [1.0]


def test_demo_mode_never_opens_the_store(tmp_path: Path) -> None:
    runtime = Runtime(Config(), demo=True)
    assert runtime.store is None
    live = Runtime(Config(), demo=False)
    assert live.store is not None
    assert str(live.store.path).startswith(str(tmp_path))  # under XDG_DATA_HOME
    live.store.close()
