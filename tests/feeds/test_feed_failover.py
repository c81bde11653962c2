"""Failover and fail-back between fake exchanges on 127.0.0.1, over ``wss://``.

The fakes serve TLS with a certificate from the private test CA, trusted through
``SSL_CERT_FILE`` (:func:`tests.fakes.tls.trusted`); a primary that comes back does so on
its old port, with TLS again.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import Any, Protocol

import pytest

from r2kmon.feeds.failover import FailoverFeeds, FailoverSettings, feed_settings
from tests.fakes.exchanges import FakeExchange
from tests.fakes.sinks import RecordingSink, wait_until
from tests.fakes.tls import PrivateCA

FAST: dict[str, Any] = {
    "stall_timeout": 0.6,
    "silence_timeout": 0.3,
    "ping_interval": None,
    "ping_timeout": None,
    "open_timeout": 1.0,
    "close_timeout": 0.2,
    "backoff_initial": 0.05,
    "backoff_max": 0.2,
    "min_reconnect_interval": 0.0,
    "health_interval": 0.05,
}
SETTINGS = FailoverSettings(stale_after=0.4, check_interval=0.05)


class StartFake(Protocol):
    def __call__(
        self, protocol: str, listed: set[str], port: int = 0
    ) -> Awaitable[FakeExchange]: ...


@pytest.fixture
async def fake(trusted: PrivateCA) -> AsyncIterator[StartFake]:
    """Starts fakes serving ``wss://``; stops those still running after the test."""
    started: list[FakeExchange] = []

    async def start(protocol: str, listed: set[str], port: int = 0) -> FakeExchange:
        server = FakeExchange(protocol, listed)
        started.append(server)
        return await server.start(port, ssl=trusted.server_context())

    yield start
    for server in started:
        await server.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@asynccontextmanager
async def running(feeds: FailoverFeeds, sink: RecordingSink) -> AsyncIterator[None]:
    task = asyncio.create_task(feeds.run(sink))
    try:
        yield
    finally:
        task.cancel()
        await asyncio.wait({task})


def sources_after(sink: RecordingSink, index: int, symbol: str) -> set[str]:
    return {t.source for t in sink.ticks[index:] if t.symbol == symbol}


async def test_primary_refusing_connections_then_back_fails_over_and_back(fake: StartFake) -> None:
    port = free_port()  # the primary is not listening yet: connections are refused
    secondary = await fake("coinbase", {"BTC-USD"})
    feeds = FailoverFeeds(
        feed_settings(
            ["BTC-USD"],
            ["binance", "coinbase"],
            urls={"binance": f"wss://127.0.0.1:{port}", "coinbase": secondary.url},
            **FAST,
        ),
        SETTINGS,
    )
    sink = RecordingSink()
    async with asyncio.timeout(8), running(feeds, sink):
        await wait_until(lambda: len(sink.ticks_of("BTC-USD", "coinbase")) >= 3)
        assert feeds.routes["BTC-USD"] == "coinbase"
        await wait_until(
            lambda: (h := sink.last_health("binance")) is not None and h.status == "down"
        )
        await wait_until(
            lambda: (h := sink.last_health("crypto-feeds")) is not None and h.status == "ok"
        )

        await fake("binance", {"BTCUSDT"}, port)  # the primary comes back
        await wait_until(lambda: feeds.routes.get("BTC-USD") == "binance")
        mark = len(sink.ticks)
        await wait_until(lambda: len(sink.ticks) >= mark + 5)
        assert sources_after(sink, mark, "BTC-USD") == {"binance"}
    assert {t.source for t in sink.ticks} == {"binance", "coinbase"}


async def test_primary_dying_mid_stream_hands_over_within_a_check(fake: StartFake) -> None:
    primary = await fake("binance", {"BTCUSDT"})
    secondary = await fake("kraken", {"BTC/USD"})
    feeds = FailoverFeeds(
        feed_settings(
            ["BTC-USD"],
            ["binance", "kraken"],
            urls={"binance": primary.url, "kraken": secondary.url},
            **FAST,
        ),
        SETTINGS,
    )
    sink = RecordingSink()
    async with asyncio.timeout(8), running(feeds, sink):
        await wait_until(lambda: feeds.routes.get("BTC-USD") == "binance")
        await wait_until(lambda: len(sink.ticks_of("BTC-USD", "binance")) >= 3)
        # While the primary is healthy, nothing from the standby reaches the quotes: its
        # prices arrive apart, as standby prices (for the price per exchange).
        assert not sink.ticks_of("BTC-USD", "kraken")
        await wait_until(lambda: any(t.source == "kraken" for t in sink.standby))
        assert {t.source for t in sink.standby} == {"kraken"}

        port = primary.port
        await primary.stop()
        await wait_until(lambda: feeds.routes.get("BTC-USD") == "kraken", timeout=2)
        await wait_until(lambda: len(sink.ticks_of("BTC-USD", "kraken")) >= 3)

        await fake("binance", {"BTCUSDT"}, port)
        await wait_until(lambda: feeds.routes.get("BTC-USD") == "binance")
        mark = len(sink.ticks)
        await wait_until(lambda: len(sink.ticks) >= mark + 5)
        assert sources_after(sink, mark, "BTC-USD") == {"binance"}


async def test_symbol_silent_on_the_primary_comes_from_the_next_exchange(fake: StartFake) -> None:
    # Binance acknowledges SOL but never sends it; OKX has it.
    primary = await fake("binance", {"BTCUSDT"})
    secondary = await fake("okx", {"BTC-USDT", "SOL-USDT"})
    feeds = FailoverFeeds(
        feed_settings(
            ["BTC-USD", "SOL-USD"],
            ["binance", "okx"],
            urls={"binance": primary.url, "okx": secondary.url},
            **FAST,
        ),
        SETTINGS,
    )
    sink = RecordingSink()
    async with asyncio.timeout(8), running(feeds, sink):
        await wait_until(
            lambda: (
                feeds.routes.get("BTC-USD") == "binance" and feeds.routes.get("SOL-USD") == "okx"
            )
        )
        mark = len(sink.ticks)
        await wait_until(lambda: len(sink.ticks) >= mark + 10)
        await wait_until(
            lambda: (
                (h := sink.last_health("binance")) is not None and h.silent_symbols == ("SOL-USD",)
            )
        )
    assert sources_after(sink, mark, "BTC-USD") == {"binance"}
    assert sources_after(sink, mark, "SOL-USD") == {"okx"}


async def test_summary_health_names_unserved_symbols(fake: StartFake) -> None:
    primary = await fake("bybit", {"BTCUSDT"})
    feeds = FailoverFeeds(
        feed_settings(["BTC-USD", "NOPE-USD"], ["bybit"], urls={"bybit": primary.url}, **FAST),
        SETTINGS,
    )
    sink = RecordingSink()
    async with asyncio.timeout(5), running(feeds, sink):
        await wait_until(
            lambda: (
                (h := sink.last_health("crypto-feeds")) is not None
                and h.status == "stale"
                and h.silent_symbols == ("NOPE-USD",)
            )
        )
    health = sink.last_health("crypto-feeds")
    assert health is not None
    assert "NOPE-USD" in (health.last_error or "")


def test_names_must_be_unique_and_present() -> None:
    with pytest.raises(ValueError, match="unique"):
        FailoverFeeds(feed_settings(["BTC-USD"], ["binance", "binance"]))
    with pytest.raises(ValueError, match="at least one"):
        FailoverFeeds([])


async def test_failover_into_the_real_hub_names_the_source_per_symbol(fake: StartFake) -> None:
    from r2kmon.clock import SystemClock
    from r2kmon.hub import Hub

    primary = await fake("binance", {"BTCUSDT"})
    secondary = await fake("coinbase", {"BTC-USD", "ETH-USD"})
    feeds = FailoverFeeds(
        feed_settings(
            ["BTC-USD", "ETH-USD"],
            ["binance", "coinbase"],
            urls={"binance": primary.url, "coinbase": secondary.url},
            **FAST,
        ),
        SETTINGS,
    )
    hub = Hub(SystemClock(), simulated=False, symbols=["BTC-USD", "ETH-USD"])
    task = asyncio.create_task(feeds.run(hub))
    try:
        async with asyncio.timeout(5):
            await wait_until(
                lambda: (
                    {s: q.source for s, q in hub.snapshot().quotes.items()}
                    == {"BTC-USD": "binance", "ETH-USD": "coinbase"}
                )
            )
            await wait_until(lambda: hub.snapshot().health["binance"].status == "ok")
    finally:
        task.cancel()
        await asyncio.wait({task})
    snapshot = hub.snapshot()
    assert set(snapshot.health) >= {"binance", "coinbase", "crypto-feeds"}
    assert snapshot.quotes["BTC-USD"].ref_price is not None


async def test_a_parser_bug_on_one_exchange_leaves_the_others_serving(fake: StartFake) -> None:
    from r2kmon.feeds.base import Parsed
    from r2kmon.feeds.binance import BinanceAdapter
    from r2kmon.feeds.connection import FeedConnection

    class Buggy(BinanceAdapter):
        def classify(self, message: Any) -> Parsed:
            raise RuntimeError("parser bug")

    primary = await fake("binance", {"BTCUSDT"})
    secondary = await fake("okx", {"BTC-USDT"})
    first, second = feed_settings(
        ["BTC-USD"],
        ["binance", "okx"],
        urls={"binance": primary.url, "okx": secondary.url},
        **FAST,
    )
    connections = [
        FeedConnection(first, adapter=Buggy(["BTC-USD"], url=primary.url)),
        FeedConnection(second),
    ]
    settings = FailoverSettings(stale_after=0.4, check_interval=0.05, restart_initial=10.0)
    feeds = FailoverFeeds([], settings, connections=connections)
    sink = RecordingSink()
    async with asyncio.timeout(5), running(feeds, sink):
        await wait_until(lambda: len(sink.ticks_of("BTC-USD", "okx")) >= 3)
        await wait_until(
            lambda: (
                (h := sink.last_health("binance")) is not None
                and h.status == "down"
                and "internal error" in (h.last_error or "")
            )
        )
        await asyncio.sleep(0.2)
    # Restarted only after the (long) restart delay: one connection, not a loop.
    assert primary.connections == 1
    assert not sink.ticks_of("BTC-USD", "binance")
