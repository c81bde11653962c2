"""r2kmon's real ingest path as a client of the shared harness (``../shared/bench/ingest.py``).

    python ../shared/bench/ingest.py --client bench.ingest_r2kmon:ingest --n 200000 --tls

(run from the repository root). The path measured is what the app runs: the connection
manager (:class:`r2kmon.feeds.connection.FeedConnection`, which opens ``/stream`` and sends
``SUBSCRIBE``), the Binance adapter on ``@trade`` frames (Decimal prices, canonical
symbols) and the real :class:`r2kmon.hub.Hub` (quotes, 1-minute bars, message rates). A thin
wrapper around the hub only counts ticks so the run can stop after the N-th one.

``ingest_feeds_only`` is the same path with a counting sink instead of the hub, so the
cost of ``feeds/`` and of the hub can be told apart.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from typing import Any

from r2kmon.clock import SystemClock
from r2kmon.feeds.connection import FeedConnection, FeedSettings
from r2kmon.feeds.symbols import split_concatenated
from r2kmon.hub import Hub
from r2kmon.model import Bar, ContextValue, Interval, SourceHealth, Tick
from r2kmon.net import NetworkPolicy

# The harness's self-signed certificate (``fakebinance.ensure_cert``), trusted the way a
# user trusts a private CA: as ``[network] ca_file``.
BENCH_CA = os.path.join(os.environ.get("R2KBENCH_TLS_DIR", "/tmp/r2kbench-tls"), "cert.pem")


class CountingHub:
    """The hub, plus a count that ends the run after ``n`` ticks."""

    def __init__(self, hub: Hub, n: int, ctx: Any, done: asyncio.Event) -> None:
        self.hub, self.n, self.ctx, self.done = hub, n, ctx, done
        self.count = 0

    def push_ticks(self, ticks: Sequence[Tick]) -> None:
        self.hub.push_ticks(ticks)
        self.count += len(ticks)
        if self.count >= self.n and not self.done.is_set():
            self.ctx.stop()
            self.done.set()

    def push_standby(self, ticks: Sequence[Tick]) -> None:
        self.hub.push_standby(ticks)

    def push_bars(self, symbol: str, interval: Interval, bars: Sequence[Bar], source: str) -> None:
        self.hub.push_bars(symbol, interval, bars, source)

    def push_health(self, health: SourceHealth) -> None:
        self.hub.push_health(health)

    def push_context(self, value: ContextValue) -> None:
        self.hub.push_context(value)


def canonical(stream_symbol: str) -> str:
    parts = split_concatenated(stream_symbol)
    if parts is None:
        raise SystemExit(f"cannot split {stream_symbol!r}")
    return f"{parts[0]}-{parts[1]}"


class CountingSink:
    """Keeps the last price per symbol and a count; nothing else (no hub)."""

    def __init__(self, n: int, ctx: Any, done: asyncio.Event) -> None:
        self.n, self.ctx, self.done = n, ctx, done
        self.count = 0
        self.last: dict[str, float] = {}

    def push_ticks(self, ticks: Sequence[Tick]) -> None:
        for tick in ticks:
            self.last[tick.symbol] = float(tick.price)
        self.count += len(ticks)
        if self.count >= self.n and not self.done.is_set():
            self.ctx.stop()
            self.done.set()

    def push_standby(self, ticks: Sequence[Tick]) -> None:
        return None

    def push_bars(self, symbol: str, interval: Interval, bars: Sequence[Bar], source: str) -> None:
        return None

    def push_health(self, health: SourceHealth) -> None:
        return None

    def push_context(self, value: ContextValue) -> None:
        return None


def settings_for(ctx: Any) -> FeedSettings:
    return FeedSettings(
        "binance",
        "binance",
        tuple(canonical(s) for s in ctx.symbols),
        url=ctx.ws_base,
        channel="trade",
        usdt_as_usd=False,
        network=NetworkPolicy(ca_file=BENCH_CA) if ctx.ssl is not None else NetworkPolicy(),
        stall_timeout=60.0,
    )


async def _run(ctx: Any, feed: FeedConnection, sink: Any, done: asyncio.Event) -> None:
    ctx.start()
    task = asyncio.create_task(feed.run(sink))
    try:
        await done.wait()
    finally:
        task.cancel()
        await asyncio.wait({task})


async def ingest_feeds_only(ctx: Any) -> tuple[int, dict[str, float]]:
    done = asyncio.Event()
    sink = CountingSink(ctx.n, ctx, done)
    await _run(ctx, FeedConnection(settings_for(ctx)), sink, done)
    return sink.count, sink.last


async def ingest(ctx: Any) -> tuple[int, dict[str, float]]:
    symbols = tuple(canonical(s) for s in ctx.symbols)
    hub = Hub(SystemClock(), simulated=False, symbols=symbols)
    done = asyncio.Event()
    sink = CountingHub(hub, ctx.n, ctx, done)
    await _run(ctx, FeedConnection(settings_for(ctx)), sink, done)
    quotes = hub.snapshot().quotes
    return sink.count, {symbol: float(quote.price) for symbol, quote in quotes.items()}


for _client in (ingest, ingest_feeds_only):
    _client.kind = "trade"  # type: ignore[attr-defined]
    _client.combined = True  # type: ignore[attr-defined]
