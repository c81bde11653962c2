"""Exchange times outside a window around the local clock are refused, never kept.

Issue 12, item 3: one frame stamped far in the future froze the quote for the session
(``BTC-USD 99,999.00 ▲+66.67% binance 0s``, never stale, every valid frame after it
ignored as out of order). Now a tick stamped more than ``max_clock_skew`` seconds ahead of
the local clock, or before Bitcoin's first block (2009-01-03), is a bad frame: counted in
health, logged, dropped before the hub; the connection stays up and later frames show.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from pathlib import Path

import pytest

from r2kmon.clock import SystemClock
from r2kmon.config import parse_config
from r2kmon.feeds.breadth import ALTS_PCT, UP_PCT, BreadthFeed
from r2kmon.feeds.connection import FeedConnection, FeedSettings
from r2kmon.feeds.failover import FailoverFeeds
from r2kmon.hub import Hub
from r2kmon.net import NetworkPolicy
from r2kmon.runtime import build_producers
from tests.fakes.exchanges import FakeExchange
from tests.fakes.sinks import RecordingSink, wait_until
from tests.fakes.tls import PrivateCA

TEN_YEARS = 10 * 365 * 86_400
FAKE_TS = 1_767_225_600.0
"""2026-01-01: the fake exchanges stamp their regular frames with it (and a few ms)."""


def miniticker(close: str, seconds: float) -> str:
    data = {"e": "24hrMiniTicker", "E": int(seconds * 1000), "s": "BTCUSDT", "c": close}
    data["o"] = "60000.00"
    return json.dumps({"stream": "btcusdt@miniTicker", "data": data})


class ClockAt:
    """Wall time fixed at ``now`` (the fakes' frames are stamped 2026-01-01), monotonic
    time real: the connection's timers run as usual."""

    def __init__(self, now: float) -> None:
        self._now = now

    def now(self) -> float:
        return self._now

    def monotonic(self) -> float:
        return time.monotonic()


@contextlib.asynccontextmanager
async def binance(ca: PrivateCA, script: list[str]) -> AsyncIterator[FakeExchange]:
    """A fake Binance over TLS that sends ``script`` first, then its regular frames
    (100.01, 100.02, ... stamped 2026-01-01)."""
    fake = FakeExchange("binance", {"BTCUSDT"}, script=script)
    await fake.start(ssl=ca.server_context())
    try:
        yield fake
    finally:
        await fake.stop()


def regular(price: Decimal) -> bool:
    return Decimal(100) < price < Decimal(101)


async def stream(
    fake: FakeExchange,
    ca: PrivateCA,
    sink: Hub | RecordingSink,
    done: Callable[[], bool],
    *,
    clock: ClockAt | None = None,
    skew: float = 300.0,
) -> FeedConnection:
    """Run a real connection against ``fake`` into ``sink`` until ``done()``."""
    settings = FeedSettings(
        "binance",
        "binance",
        ("BTC-USD",),
        url=fake.url,
        max_clock_skew=skew,
        network=NetworkPolicy(ca_file=str(ca.ca_file)),
    )
    feed = FeedConnection(settings, clock=clock)
    task = asyncio.create_task(feed.run(sink))
    try:
        async with asyncio.timeout(10):
            await wait_until(done)
    finally:
        task.cancel()
        await asyncio.wait({task})
    return feed


def shows_regular(hub: Hub) -> Callable[[], bool]:
    def done() -> bool:
        quote = hub.snapshot().quotes.get("BTC-USD")
        return quote is not None and regular(quote.price)

    return done


async def test_a_far_future_frame_is_counted_and_never_shadows_the_valid_ones(
    private_ca: PrivateCA, caplog: pytest.LogCaptureFixture
) -> None:
    hub = Hub(SystemClock(), simulated=False, symbols=["BTC-USD"])
    script = [miniticker("99999.00", time.time() + TEN_YEARS)]
    async with binance(private_ca, script) as fake:
        feed = await stream(fake, private_ca, hub, shows_regular(hub))
    quote = hub.snapshot().quotes["BTC-USD"]
    assert regular(quote.price)  # the fake's regular frames show
    assert abs(quote.ts - FAKE_TS) < 60
    assert feed.health().bad_frames == 1
    # Said in the log (the health error clears once prices flow; the count stays).
    (said,) = [r.getMessage() for r in caplog.records if "bad frame" in r.getMessage()]
    assert "BTC-USD stamped 20" in said
    assert "years ahead of this machine's clock (max_clock_skew_s = 300)" in said
    assert fake.connections == 1
    # Nor did it start a bar: every minute bar is the fake's.
    for bar in hub.snapshot().bars_1m["BTC-USD"]:
        assert abs(bar.start - FAKE_TS) < 120


async def test_times_before_any_exchange_existed_are_refused(private_ca: PrivateCA) -> None:
    hub = Hub(SystemClock(), simulated=False, symbols=["BTC-USD"])
    script = [miniticker("50.00", 0.0), miniticker("50.00", 1_230_940_799.0)]
    async with binance(private_ca, script) as fake:
        feed = await stream(fake, private_ca, hub, shows_regular(hub))
    assert feed.health().bad_frames == 2
    # No bar from 1970 in the sparkline (nor, through the hub, in the store).
    assert min(bar.start for bar in hub.snapshot().bars_1m["BTC-USD"]) > 1_700_000_000


@pytest.mark.parametrize(("skew", "refused"), [(300.0, True), (900.0, False)])
async def test_the_allowed_skew_is_the_configured_one(
    private_ca: PrivateCA, skew: float, refused: bool
) -> None:
    # The machine's clock reads 2026-01-01 00:00; the scripted frame is 10 minutes ahead.
    sink = RecordingSink()
    script = [miniticker("99999.00", FAKE_TS + 600)]
    async with binance(private_ca, script) as fake:
        feed = await stream(
            fake,
            private_ca,
            sink,
            lambda: any(regular(t.price) for t in sink.ticks_of("BTC-USD")),
            clock=ClockAt(FAKE_TS),
            skew=skew,
        )
    ahead = [t for t in sink.ticks_of("BTC-USD") if t.price == Decimal("99999.00")]
    assert feed.health().bad_frames == (1 if refused else 0)
    assert len(ahead) == (0 if refused else 1)


async def test_one_bad_time_in_a_frame_of_several_drops_only_that_tick(
    private_ca: PrivateCA,
) -> None:
    entry = '{{"symbol":"{s}","last":{p},"change":1.00,"timestamp":"{t}"}}'
    frame = (
        '{"channel":"ticker","type":"update","data":['
        + entry.format(s="ETH/USD", p="3000.5", t="2026-01-01T00:00:00.000001Z")
        + ","
        + entry.format(s="BTC/USD", p="99999.0", t="2099-01-01T00:00:00.000001Z")
        + "]}"
    )
    fake = FakeExchange("kraken", {"BTC/USD"}, script=[frame])
    await fake.start(ssl=private_ca.server_context())
    try:
        settings = FeedSettings(
            "kraken",
            "kraken",
            ("BTC-USD", "ETH-USD"),
            url=fake.url,
            network=NetworkPolicy(ca_file=str(private_ca.ca_file)),
        )
        feed = FeedConnection(settings)
        sink = RecordingSink()
        task = asyncio.create_task(feed.run(sink))
        try:
            async with asyncio.timeout(10):
                await wait_until(lambda: bool(sink.ticks_of("ETH-USD")))
                await wait_until(lambda: bool(sink.ticks_of("BTC-USD")))
        finally:
            task.cancel()
            await asyncio.wait({task})
    finally:
        await fake.stop()
    assert [t.price for t in sink.ticks_of("ETH-USD")] == [Decimal("3000.5")]
    assert all(t.price < 101 for t in sink.ticks_of("BTC-USD"))
    assert feed.state.bad_frames == 1


# --- the breadth stream: its as-of time only grows, so one future time would freeze it -----


def breadth_array(seconds: float, close: str) -> str:
    ms = int(seconds * 1000)
    entries = [
        {"e": "24hrMiniTicker", "E": ms, "s": s, "c": close, "o": "1.0", "q": "1000"}
        for s in ("BTCUSDT", "ETHUSDT")
    ]
    return json.dumps({"stream": "!miniTicker@arr", "data": entries})


async def test_breadth_refuses_a_future_time_and_keeps_its_age_true(
    private_ca: PrivateCA,
) -> None:
    script = [breadth_array(time.time() + TEN_YEARS, "2.0"), breadth_array(FAKE_TS, "1.5")]
    fake = FakeExchange("binance", set(), script=script)
    await fake.start(ssl=private_ca.server_context())
    try:
        settings = FeedSettings(
            "binance-breadth",
            "binance",
            (),
            url=fake.url,
            network=NetworkPolicy(ca_file=str(private_ca.ca_file)),
        )
        feed = BreadthFeed(settings, interval=0.05)
        sink = RecordingSink()
        task = asyncio.create_task(feed.run(sink))
        try:
            async with asyncio.timeout(10):
                await wait_until(lambda: sink.last_context(UP_PCT) is not None)
        finally:
            task.cancel()
            await asyncio.wait({task})
    finally:
        await fake.stop()
    up = sink.last_context(UP_PCT)
    assert up is not None
    assert up.as_of == pytest.approx(FAKE_TS)
    assert sink.last_context(ALTS_PCT) is not None
    assert feed.connection.state.bad_frames == 1


# --- the configured value reaches every connection ---------------------------------------


def test_max_clock_skew_s_from_the_config_reaches_the_feeds(tmp_path: Path) -> None:
    text = "[crypto]\nmax_clock_skew_s = 42.5\nexchanges = ['binance', 'kraken']\n"
    config = parse_config(text, tmp_path / "config.toml")
    assert config.crypto.max_clock_skew_s == 42.5
    producers = build_producers(config, demo=False, clock=SystemClock())
    feeds = [p for p in producers if isinstance(p, FailoverFeeds)]
    assert feeds
    skews = {c.name: c.settings.max_clock_skew for f in feeds for c in f.connections}
    assert skews == {"binance": 42.5, "kraken": 42.5}
    breadth = [p for p in producers if isinstance(p, BreadthFeed)]
    assert [b.settings.max_clock_skew for b in breadth] == [42.5]
