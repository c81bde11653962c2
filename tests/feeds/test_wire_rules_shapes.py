"""Binance frames of the wrong shape are bad frames: counted, logged, the connection kept.

A frame Binance never sends for a price stream — a bare ``[]``, a list that is not a list
of tickers (the ``!miniTicker@arr`` shape), a combined frame whose ``stream`` is not a
name — is neither a price nor nothing: both the msgspec fast path and the general path
raise :class:`~r2kmon.feeds.FeedError` for it (never another exception, which would end
the feed as a bug; never a silent drop, which would hide a broken server; never a price,
as ``{"stream": 7, "data": <a ticker>}`` was taken before). The real shapes still pass.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from r2kmon.clock import SystemClock
from r2kmon.feeds import Adapter, FeedError, Parsed
from r2kmon.feeds.binance import BinanceAdapter
from r2kmon.feeds.connection import FeedConnection, FeedSettings
from r2kmon.hub import Hub
from r2kmon.net import NetworkPolicy
from tests.fakes.exchanges import FakeExchange
from tests.fakes.sinks import wait_until
from tests.fakes.tls import PrivateCA

pytestmark = pytest.mark.timeout(30)

TICKER: dict[str, Any] = {
    "e": "24hrMiniTicker",
    "E": 1_767_225_599_000,
    "s": "BTCUSDT",
    "c": "102492.27",
    "o": "105121.06",
}
"""A mini ticker as Binance sends it (the price stream's payload, one entry of the
``!miniTicker@arr`` list)."""

SHAPES: dict[str, str] = {
    "an empty list": "[]",
    "a list of numbers": "[1, 2, 3]",
    "a list of stream names": '["btcusdt@miniTicker"]',
    "a list of objects that are not tickers": '[{"a": 1}]',
    "a ticker and a number": json.dumps([TICKER, 7]),
    "stream a number": json.dumps({"stream": 7, "data": TICKER}),
    "stream null": json.dumps({"stream": None, "data": TICKER}),
    "stream a list": json.dumps({"stream": ["btcusdt@miniTicker"], "data": TICKER}),
    "data an empty list": json.dumps({"stream": "!miniTicker@arr", "data": []}),
    "data a list of numbers": json.dumps({"stream": "!miniTicker@arr", "data": [1]}),
}


def adapter() -> BinanceAdapter:
    return BinanceAdapter(("BTC-USD",), usdt_as_usd=True)


@pytest.mark.parametrize("frame", list(SHAPES.values()), ids=list(SHAPES))
def test_the_fast_path_makes_a_bad_frame_of_a_wrong_shape(frame: str) -> None:
    with pytest.raises(FeedError):
        adapter().parse(frame.encode())


@pytest.mark.parametrize("frame", list(SHAPES.values()), ids=list(SHAPES))
def test_the_general_path_makes_a_bad_frame_of_a_wrong_shape(frame: str) -> None:
    with pytest.raises(FeedError):
        Adapter.parse(adapter(), frame.encode())


RIGHT_SHAPES: dict[str, tuple[str, str]] = {
    # name: (frame, the kind both paths give)
    "a combined price frame": (
        json.dumps({"stream": "btcusdt@miniTicker", "data": TICKER}),
        "ticks",
    ),
    "a raw !miniTicker@arr list": (json.dumps([TICKER, {**TICKER, "s": "ETHUSDT"}]), "other"),
    "a combined !miniTicker@arr list": (
        json.dumps({"stream": "!miniTicker@arr", "data": [TICKER]}),
        "other",
    ),
    "an ack": ('{"result": null, "id": 1}', "ack"),
}


@pytest.mark.parametrize(("frame", "kind"), list(RIGHT_SHAPES.values()), ids=list(RIGHT_SHAPES))
def test_the_shapes_binance_sends_still_pass(frame: str, kind: str) -> None:
    fast: Parsed = adapter().parse(frame.encode())
    general: Parsed = Adapter.parse(adapter(), frame.encode())
    assert fast.kind == general.kind == kind
    assert list(fast.ticks) == list(general.ticks)


# --- over the wire: the frames from a fake Binance over TLS -----------------------------------


@pytest.fixture
async def binance(private_ca: PrivateCA) -> AsyncIterator[FakeExchange]:
    fake = FakeExchange("binance", {"BTCUSDT"}, script=list(SHAPES.values()))
    await fake.start(ssl=private_ca.server_context())
    yield fake
    await fake.stop()


async def test_wrong_shapes_from_binance_are_counted_and_logged_and_the_connection_kept(
    binance: FakeExchange, private_ca: PrivateCA, caplog: pytest.LogCaptureFixture
) -> None:
    settings = FeedSettings(
        "binance",
        "binance",
        ("BTC-USD",),
        url=binance.url,
        network=NetworkPolicy(ca_file=str(private_ca.ca_file)),
    )
    feed = FeedConnection(settings)
    hub = Hub(SystemClock(), simulated=False, symbols=["BTC-USD"])
    caplog.set_level(logging.WARNING, logger="r2kmon.feeds")
    task = asyncio.create_task(feed.run(hub))
    try:
        async with asyncio.timeout(10):
            await wait_until(lambda: feed.state.bad_frames >= len(SHAPES))
            await wait_until(lambda: "BTC-USD" in hub.snapshot().quotes)
    finally:
        task.cancel()
        await asyncio.wait({task})
    assert feed.health().bad_frames == len(SHAPES)
    assert binance.connections == 1  # a wrong shape never costs the connection
    # The fake's own frames (100.01, 100.02, ...) are the only prices: no wrong shape
    # became one.
    assert Decimal(100) < hub.snapshot().quotes["BTC-USD"].price < Decimal(101)
    logged = [r.getMessage() for r in caplog.records if "bad frame" in r.getMessage()]
    assert len(logged) == len(SHAPES), logged
