"""The one-call wiring the runtime uses: which producers, with which names.

The streaming test runs over ``wss://``, the private test CA trusted the second way a user
can: ``[network] ca_file``, handed down as the :class:`~r2kmon.net.NetworkPolicy`.
"""

from __future__ import annotations

import asyncio

import pytest

from r2kmon.feeds.breadth import BreadthFeed
from r2kmon.feeds.failover import FailoverFeeds
from r2kmon.feeds.producers import crypto_producers
from r2kmon.net import NetworkPolicy
from tests.fakes.exchanges import FakeExchange
from tests.fakes.sinks import RecordingSink, wait_until
from tests.fakes.tls import PrivateCA


def test_composition_follows_the_config_choices() -> None:
    # Built, never run: nothing here opens a socket.
    producers = crypto_producers(["btc/usd", "ETH-USD"], ["okx", "binance", "kraken"])
    # The pairs' history is the HTTP poller's (tests/sources/test_src_history.py).
    assert [type(p) for p in producers] == [FailoverFeeds, BreadthFeed]
    assert [p.name for p in producers] == ["crypto-feeds", "binance-breadth"]
    failover = producers[0]
    assert isinstance(failover, FailoverFeeds)
    assert [c.name for c in failover.connections] == ["okx", "binance", "kraken"]
    assert failover.symbols == ("BTC-USD", "ETH-USD")

    only_okx = crypto_producers(["BTC-USD"], ["okx", "bybit"])
    assert [type(p) for p in only_okx] == [FailoverFeeds]


def test_bad_choices_are_refused() -> None:
    with pytest.raises(ValueError, match="channel"):
        crypto_producers(["BTC-USD"], ["binance"], channel="candles")
    with pytest.raises(ValueError, match="unknown exchanges"):
        crypto_producers(["BTC-USD"], ["mtgox"])


async def test_the_producers_stream_from_configured_urls(
    private_ca: PrivateCA, direct_network: None
) -> None:
    fake = await FakeExchange("bybit", {"BTCUSDT"}).start(ssl=private_ca.server_context())
    try:
        assert fake.url.startswith("wss://")
        (feeds,) = crypto_producers(
            ["BTC-USD"],
            ["bybit"],
            urls={"bybit": fake.url},
            network=NetworkPolicy(ca_file=str(private_ca.ca_file)),
            breadth=False,
            backoff_initial=0.05,
            health_interval=0.05,
        )
        sink = RecordingSink()
        task = asyncio.create_task(feeds.run(sink))
        try:
            async with asyncio.timeout(5):
                await wait_until(lambda: len(sink.ticks_of("BTC-USD", "bybit")) >= 3)
        finally:
            task.cancel()
            await asyncio.wait({task})
    finally:
        await fake.stop()
