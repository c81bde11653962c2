"""The persist loop and the ticks never meet in two threads.

The store's write runs in a worker thread; the hub is read (``Hub.snapshot``, which walks
the hub's dicts and moves its rate samplers) only on the event loop, where the ticks are
pushed. Before the runtime package, ``_save_now`` called ``hub.snapshot()`` inside the
thread, racing the loop's pushes. This test drives ticks without pause while the persist
loop saves every 10 ms, and records the thread of every hub read.
"""

from __future__ import annotations

import asyncio
import threading
from decimal import Decimal
from pathlib import Path

import pytest

from r2kmon.clock import SystemClock
from r2kmon.config import Config
from r2kmon.hub import Hub
from r2kmon.model import HubSnapshot, Sink, SourceHealth, Tick
from r2kmon.runtime import Runtime
from r2kmon.store import Store
from tests.fakes.sinks import wait_until


class Stream:
    """A producer pushing a BTC-USD tick on every turn of the loop, a second apart in
    exchange time (so bars close and the store has something new at every save)."""

    name = "test-feed"

    def __init__(self) -> None:
        self.pushed = 0

    async def run(self, sink: Sink) -> None:
        sink.push_health(SourceHealth(self.name, "feed", "ok"))
        start = SystemClock().now() - 3_600
        while True:
            price = Decimal(100) + Decimal(self.pushed % 100) / 100
            sink.push_ticks([Tick("BTC-USD", price, start + self.pushed, self.name)])
            self.pushed += 1
            await asyncio.sleep(0)


async def test_the_hub_is_read_on_the_loop_while_ticks_arrive_and_the_store_saves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loop_thread = threading.get_ident()
    readers: set[int] = set()
    saves: list[int] = []
    original_snapshot = Hub.snapshot
    original_save = Store.save

    def snapshot(hub: Hub) -> HubSnapshot:
        readers.add(threading.get_ident())
        return original_snapshot(hub)

    def save(store: Store, *args: object, **kwargs: object) -> object:
        saves.append(threading.get_ident())
        return original_save(store, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Hub, "snapshot", snapshot)
    monkeypatch.setattr(Store, "save", save)
    stream = Stream()
    runtime = Runtime(
        Config(),
        demo=False,
        producers=[stream],
        store=Store(tmp_path / "r2kmon.sqlite"),
        persist_every_s=0.01,
    )
    task = asyncio.create_task(runtime.run())
    try:
        async with asyncio.timeout(30):
            await wait_until(lambda: len(saves) >= 20 and stream.pushed >= 2_000, timeout=30)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert any(t != loop_thread for t in saves)  # the writes did run in worker threads
    assert readers == {loop_thread}  # and the hub was read only where the ticks arrive
    stored = Store(tmp_path / "r2kmon.sqlite")
    try:
        restored = Hub(SystemClock(), simulated=False)
        stored.load_into(restored, SystemClock().now())
        assert restored.snapshot().bars_1m["BTC-USD"]  # closed bars reached the file
    finally:
        stored.close()
