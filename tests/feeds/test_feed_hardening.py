"""Issue 12, item 11: what the feeds tell about a venue, and how they leave it.

Against fake exchanges over ``wss://`` (the private test CA trusted through
``SSL_CERT_FILE``): a venue that refuses every subscription is ``down`` saying so (not
``ok`` because its socket answers); a normal exit closes every websocket with 1000, not
the 1011 (internal error) websockets sends when its iterator is closed by the
cancellation; a venue that acknowledged a symbol and never sent it stays named silent on
it after failover moved the symbol elsewhere, across its own reconnects.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from typing import Any, Protocol

import pytest

from r2kmon.feeds.connection import FeedConnection
from r2kmon.feeds.failover import FailoverFeeds, FailoverSettings, feed_settings
from tests.fakes.exchanges import FakeExchange, Fault
from tests.fakes.sinks import RecordingSink, wait_until
from tests.fakes.tls import PrivateCA
from tests.feeds.test_feed_connection import fast

FAST: dict[str, Any] = {
    "stall_timeout": 5.0,
    "silence_timeout": 0.3,
    "ping_interval": None,
    "ping_timeout": None,
    "open_timeout": 2.0,
    "close_timeout": 1.0,
    "backoff_initial": 0.05,
    "backoff_max": 0.2,
    "min_reconnect_interval": 0.0,
    "health_interval": 0.05,
}


class StartFake(Protocol):
    def __call__(self, protocol: str, listed: set[str], **kw: Any) -> Awaitable[FakeExchange]: ...


@pytest.fixture
async def fake(trusted: PrivateCA) -> AsyncIterator[StartFake]:
    started: list[FakeExchange] = []

    async def start(protocol: str, listed: set[str], **kw: Any) -> FakeExchange:
        server = FakeExchange(protocol, listed, **kw)
        started.append(server)
        return await server.start(ssl=trusted.server_context())

    yield start
    for server in started:
        await server.stop()


@pytest.mark.parametrize("exchange", ["kraken", "okx"])
async def test_a_venue_refusing_every_subscription_is_down_and_says_so(
    exchange: str, fake: StartFake
) -> None:
    # The fake lists nothing: it answers each subscribe with the exchange's own refusal.
    server = await fake(exchange, set())
    feed = FeedConnection(fast(exchange, server.url, ["BTC-USD", "ETH-USD"]))
    sink = RecordingSink()
    task = asyncio.create_task(feed.run(sink))
    try:
        async with asyncio.timeout(10):
            await wait_until(
                lambda: (
                    (h := sink.last_health(exchange)) is not None
                    and set(h.silent_symbols) == {"BTC-USD", "ETH-USD"}
                ),
                timeout=10,
            )
    finally:
        task.cancel()
        await asyncio.wait({task})
    health = sink.last_health(exchange)
    assert health is not None
    assert health.status == "down"
    assert (health.last_error or "").startswith("no data: every subscription refused (")
    assert server.connections == 1  # the socket itself was fine: no reconnect loop


async def test_a_venue_refusing_some_subscriptions_stays_ok_naming_them(fake: StartFake) -> None:
    server = await fake("kraken", {"BTC/USD"})
    feed = FeedConnection(fast("kraken", server.url, ["BTC-USD", "ETH-USD"]))
    sink = RecordingSink()
    task = asyncio.create_task(feed.run(sink))
    try:
        async with asyncio.timeout(10):
            await wait_until(
                lambda: (
                    (h := sink.last_health("kraken")) is not None
                    and h.status == "ok"
                    and h.silent_symbols == ("ETH-USD",)
                ),
                timeout=10,
            )
    finally:
        task.cancel()
        await asyncio.wait({task})
    health = sink.last_health("kraken")
    assert health is not None
    assert "every subscription refused" not in (health.last_error or "")


async def test_a_normal_exit_closes_every_websocket_with_1000(fake: StartFake) -> None:
    primary = await fake("coinbase", {"BTC-USD"})
    standby = await fake("kraken", {"BTC/USD"})
    feeds = FailoverFeeds(
        feed_settings(
            ["BTC-USD"],
            ["coinbase", "kraken"],
            urls={"coinbase": primary.url, "kraken": standby.url},
            **FAST,
        ),
        FailoverSettings(stale_after=2.0, check_interval=0.05),
    )
    sink = RecordingSink()
    task = asyncio.create_task(feeds.run(sink))
    async with asyncio.timeout(15):
        try:
            await wait_until(lambda: len(sink.ticks) >= 3 and len(sink.standby) >= 3, timeout=10)
        finally:
            # What the runtime does when the app quits: cancel the producer.
            task.cancel()
            await asyncio.wait({task})
        await wait_until(lambda: len(primary.close_codes) + len(standby.close_codes) == 2)
    assert primary.close_codes == [1000]
    assert standby.close_codes == [1000]


async def test_a_venue_silent_on_a_symbol_stays_named_after_failover_and_reconnects(
    fake: StartFake,
) -> None:
    # Binance acknowledges SOL and never sends it; OKX has it. Binance drops its first
    # connection well after SOL was named silent (40 frames at 20 ms): the new session's
    # grace must not clear a venue that never sent SOL.
    primary = await fake("binance", {"BTCUSDT"}, faults=[Fault("close", after=40, code=1001)])
    secondary = await fake("okx", {"BTC-USDT", "SOL-USDT"})
    feeds = FailoverFeeds(
        feed_settings(
            ["BTC-USD", "SOL-USD"],
            ["binance", "okx"],
            urls={"binance": primary.url, "okx": secondary.url},
            **FAST,
        ),
        FailoverSettings(stale_after=0.4, check_interval=0.05),
    )
    sink = RecordingSink()
    task = asyncio.create_task(feeds.run(sink))
    try:
        async with asyncio.timeout(15):
            await wait_until(lambda: feeds.routes.get("SOL-USD") == "okx", timeout=10)
            await wait_until(
                lambda: (
                    (h := sink.last_health("binance")) is not None and "SOL-USD" in h.silent_symbols
                ),
                timeout=10,
            )
            named = len(sink.health)
            await wait_until(lambda: primary.connections >= 2, timeout=10)
            # A while into the second session, still inside its silence grace.
            mark = len(sink.health)
            await wait_until(
                lambda: sum(h.name == "binance" for h in sink.health[mark:]) >= 3, timeout=10
            )
    finally:
        task.cancel()
        await asyncio.wait({task})
    records = [h for h in sink.health[named:] if h.name == "binance"]
    assert records
    assert all("SOL-USD" in h.silent_symbols for h in records), [
        (h.status, h.silent_symbols) for h in records
    ]
    assert all("BTC-USD" not in h.silent_symbols for h in records)
