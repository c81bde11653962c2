"""REST candle backfill against a fake HTTPS server on 127.0.0.1 serving the fixture bodies.

The fake is a small HTTP/1.1 server on a real socket (``asyncio.start_server``) speaking
TLS with a certificate from the private test CA, trusted through ``SSL_CERT_FILE``
(:func:`tests.fakes.tls.trusted`); the backfill's own httpx client talks to it. Waits the
client is told to make (Retry-After, gaps between requests) go through an injected sleep
that records them, so the tests run in milliseconds.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit

import pytest

from r2kmon.clock import FrozenClock, SystemClock
from r2kmon.feeds.backfill import Backfill, BackfillProducer, BackfillSettings
from r2kmon.model import Bar
from tests.fakes.sinks import RecordingSink, wait_until
from tests.fakes.tls import PrivateCA, closed_port
from tests.paths import HTTP_FIXTURES

HTTP = HTTP_FIXTURES

Reply = tuple[int, dict[str, str], bytes]
Route = Callable[[str, dict[str, str]], Reply]


def fixture(name: str, status: int = 200, **headers: str) -> Reply:
    return status, headers, (HTTP / name).read_bytes()


@dataclass
class FakeHttp:
    """Answers each GET with ``route(path, query)``; keeps every request."""

    route: Route
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"https://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                target = head.split(b" ", 2)[1].decode()
                parts = urlsplit(target)
                query = dict(parse_qsl(parts.query))
                self.requests.append((parts.path, query))
                status, headers, body = self.route(parts.path, query)
                lines = [f"HTTP/1.1 {status} X", f"Content-Length: {len(body)}"]
                lines += ["Content-Type: application/json"]
                lines += [f"{k.replace('_', '-')}: {v}" for k, v in headers.items()]
                writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()


class ServeHttp(Protocol):
    def __call__(self, route: Route, port: int = 0) -> Awaitable[FakeHttp]: ...


@pytest.fixture
async def serve_http(trusted: PrivateCA) -> AsyncIterator[ServeHttp]:
    started: list[FakeHttp] = []
    tls = trusted.server_context()

    async def start(route: Route, port: int = 0) -> FakeHttp:
        fake = FakeHttp(route)
        fake.server = await asyncio.start_server(fake.handle, "127.0.0.1", port, ssl=tls)
        started.append(fake)
        return fake

    yield start
    for fake in started:
        assert fake.server is not None
        fake.server.close()
        await fake.server.wait_closed()


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


def backfill(urls: dict[str, str], clock: FrozenClock, sleeps: Sleeps, **kw: Any) -> Backfill:
    # Only the exchanges given a fake URL are asked: nothing may reach the internet.
    settings = BackfillSettings(
        exchanges=tuple(urls), rest_urls=urls, request_gap={}, retry_delay=0.5, **kw
    )
    return Backfill(settings, clock=clock, sleep=sleeps)


# 2026-06-20 02:57:00 UTC: the three LTCUSDT minutes of the fixture (02:54-02:56) are closed.
LTC_NOW = 1781924220.0


async def test_binance_minutes_and_days_from_the_fixtures(serve_http: ServeHttp) -> None:
    def route(path: str, query: dict[str, str]) -> Reply:
        assert path == "/api/v3/klines"
        if query["interval"] == "1m":
            return fixture("binance/klines_LTCUSDT_1m_limit3_2026-06-20.json")
        return fixture("binance/klines_BTCUSDT_1d_first10_from_listing_captured_2018.json")

    fake = await serve_http(route)
    sink = RecordingSink()
    bf = backfill({"binance": fake.url}, FrozenClock(LTC_NOW), Sleeps(), minute_hours=0.05)
    async with asyncio.timeout(5):
        results = await bf.run(sink, ["LTC-USD"])
    minutes = [b for s, i, bars, src in sink.bars if i == "1m" for b in bars]
    days = [b for s, i, bars, src in sink.bars if i == "1d" for b in bars]
    # Typed from the fixtures: first row of each file.
    assert minutes[0] == Bar(1781924040.0, 43.88, 43.90, 43.87, 43.90, 44.943)
    assert len(minutes) == 3
    assert days[0] == Bar(1502928000.0, 4261.48, 4485.39, 4200.74, 4285.08, 795.150377)
    assert len(days) == 10
    assert {src for *_, src in sink.bars} == {"binance"}
    path, query = fake.requests[0]
    assert path == "/api/v3/klines"
    assert query == {
        "symbol": "LTCUSDT",
        "interval": "1m",
        "startTime": str(int((LTC_NOW - 180) * 1000)),
        "limit": "1000",
    }
    assert [(r.source, r.complete) for r in results] == [("binance", True), ("binance", True)]
    health = sink.last_health("backfill")
    assert health is not None
    assert health.status == "ok"


async def test_binance_drops_the_still_open_minute(serve_http: ServeHttp) -> None:
    fake = await serve_http(
        lambda p, q: fixture("binance/klines_LTCUSDT_1m_limit3_2026-06-20.json")
    )
    sink = RecordingSink()
    # 02:56:30: the 02:56 minute closes at 02:56:59.999, so it is still open.
    bf = backfill(
        {"binance": fake.url},
        FrozenClock(LTC_NOW - 30),
        Sleeps(),
        intervals=("1m",),
        minute_hours=0.05,
    )
    async with asyncio.timeout(5):
        await bf.run(sink, ["LTC-USD"])
    ((_, _, bars, _),) = sink.bars
    assert [b.start for b in bars] == [1781924040.0, 1781924100.0]


async def test_429_with_retry_after_is_honoured_then_succeeds(serve_http: ServeHttp) -> None:
    calls = 0

    def route(path: str, query: dict[str, str]) -> Reply:
        nonlocal calls
        calls += 1
        if calls == 1:
            return fixture(
                "binance/DERIVED_error_429_too_much_request_weight.json", 429, Retry_After="7"
            )
        return fixture("binance/klines_LTCUSDT_1m_limit3_2026-06-20.json")

    fake = await serve_http(route)
    sleeps = Sleeps()
    sink = RecordingSink()
    bf = backfill(
        {"binance": fake.url}, FrozenClock(LTC_NOW), sleeps, intervals=("1m",), minute_hours=0.05
    )
    async with asyncio.timeout(5):
        (result,) = await bf.run(sink, ["LTC-USD"])
    assert sleeps.delays == [7.0]
    assert calls == 2
    assert result.source == "binance"


# 2026-06-18 00:00 UTC: both daily Coinbase rows of the fixture (06-16, 06-17) are closed.
CB_NOW = 1781740800.0


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (
            lambda: fixture("binance/error_451_restricted_location.json", 451),
            "451 restricted location",
        ),
        (
            lambda: fixture("binance/DERIVED_error_418_ip_banned.json", 418, Retry_After="120"),
            "IP banned",
        ),
        (
            lambda: fixture(
                "binance/DERIVED_error_429_too_much_request_weight.json", 429, Retry_After="3600"
            ),
            "rate limited",
        ),
    ],
)
async def test_binance_refusal_falls_back_to_coinbase_and_says_why(
    serve_http: ServeHttp, reply: Callable[[], Reply], reason: str
) -> None:
    binance = await serve_http(lambda p, q: reply())
    coinbase = await serve_http(
        lambda p, q: fixture("coinbase_exchange/candles_BTC-USD_86400_2rows_2026-06-17.json")
    )
    sleeps = Sleeps()
    sink = RecordingSink()
    bf = backfill(
        {"binance": binance.url, "coinbase": coinbase.url},
        FrozenClock(CB_NOW),
        sleeps,
        intervals=("1d",),
        daily_days=2,
    )
    async with asyncio.timeout(5):
        (result,) = await bf.run(sink, ["BTC-USD"])
    assert result.source == "coinbase"
    assert any(reason in r for r in result.reasons)
    assert len(binance.requests) == 1  # none of these is retried
    assert sleeps.delays == []
    ((_, interval, bars, source),) = sink.bars
    assert (interval, source) == ("1d", "coinbase")
    # Coinbase rows are newest first with low, high before open; typed from the fixture.
    assert bars == [
        Bar(1781568000.0, 66276.79, 66944.0, 65300.03, 65616.64, 6347.81),
        Bar(1781654400.0, 65616.64, 66384.01, 64491.88, 65794.87, 4159.143),
    ]
    path, query = coinbase.requests[0]
    assert path == "/products/BTC-USD/candles"
    assert query["granularity"] == "86400"


async def test_unknown_symbol_everywhere_reports_every_reason(serve_http: ServeHttp) -> None:
    binance = await serve_http(lambda p, q: fixture("binance/error_400_invalid_symbol.json", 400))
    coinbase = await serve_http(
        lambda p, q: fixture("coinbase_exchange/error_404_product_not_found.json", 404)
    )
    kraken = await serve_http(lambda p, q: fixture("kraken/error_unknown_asset_pair.json"))
    sink = RecordingSink()
    bf = backfill(
        {"binance": binance.url, "coinbase": coinbase.url, "kraken": kraken.url},
        FrozenClock(CB_NOW),
        Sleeps(),
        intervals=("1d",),
    )
    async with asyncio.timeout(5):
        (result,) = await bf.run(sink, ["NOPE-USD"])
    assert result.source is None
    assert [r.split(":")[0] for r in result.reasons] == ["binance", "coinbase", "kraken"]
    assert "Invalid symbol." in result.reasons[0]
    assert "NotFound" in result.reasons[1]
    assert "EQuery:Unknown asset pair" in result.reasons[2]
    assert kraken.requests[0][1]["pair"] == "NOPEUSD"
    assert sink.bars == []
    health = sink.last_health("backfill")
    assert health is not None
    assert health.status == "down"
    assert "EQuery:Unknown asset pair" in (health.last_error or "")


async def test_kraken_is_the_last_resort_and_reports_its_short_history(
    serve_http: ServeHttp,
) -> None:
    binance = await serve_http(
        lambda p, q: fixture("binance/error_451_restricted_location.json", 451)
    )
    coinbase = await serve_http(
        lambda p, q: fixture("coinbase_exchange/DERIVED_error_429_public_rate_limit.json", 429)
    )
    # The row format is the same at every interval; the only long capture is hourly.
    kraken = await serve_http(lambda p, q: fixture("kraken/ohlc_XBTUSD_60_24rows_2023-12-05.json"))
    sleeps = Sleeps()
    sink = RecordingSink()
    # 2023-12-05 23:00 UTC: all 24 hourly rows of the capture but the last are closed.
    bf = backfill(
        {"binance": binance.url, "coinbase": coinbase.url, "kraken": kraken.url},
        FrozenClock(1701817200.0),
        sleeps,
        intervals=("1m",),
        minute_hours=48,
    )
    async with asyncio.timeout(5):
        (result,) = await bf.run(sink, ["BTC-USD"])
    assert result.source == "kraken"
    assert result.complete is False
    # Coinbase's 429 has no Retry-After: retried after retry_delay, then given up.
    assert len(coinbase.requests) == 3
    assert sleeps.delays == [0.5, 0.5]
    assert kraken.requests[0][1]["pair"] == "XBTUSD"
    assert kraken.requests[0][1]["interval"] == "1"
    ((_, _, bars, _),) = sink.bars
    # First row of the capture: t, O, H, L, C, vwap, V (volume is index 6).
    assert bars[0] == Bar(1701730800.0, 41970.0, 41984.7, 41793.6, 41984.7, 135.2464126)


async def test_coinbase_minutes_are_asked_in_windows_of_at_most_300(serve_http: ServeHttp) -> None:
    coinbase = await serve_http(lambda p, q: (200, {}, b"[]"))
    sink = RecordingSink()
    bf = backfill({"coinbase": coinbase.url}, FrozenClock(CB_NOW), Sleeps(), intervals=("1m",))
    async with asyncio.timeout(5):
        (result,) = await bf.run(sink, ["BTC-USD"])
    assert result.source is None
    assert len(coinbase.requests) == 5  # 1440 minutes / 300 per request
    for _, query in coinbase.requests:
        start = datetime.fromisoformat(query["start"].replace("Z", "+00:00")).timestamp()
        end = datetime.fromisoformat(query["end"].replace("Z", "+00:00")).timestamp()
        assert (end - start) / 60 + 1 <= 300


async def test_producer_fetches_once_then_idles_until_cancelled(serve_http: ServeHttp) -> None:
    fake = await serve_http(
        lambda p, q: fixture("binance/klines_LTCUSDT_1m_limit3_2026-06-20.json")
    )
    bf = backfill(
        {"binance": fake.url}, FrozenClock(LTC_NOW), Sleeps(), intervals=("1m",), minute_hours=0.05
    )
    producer = BackfillProducer(bf, ["LTC-USD"])
    assert producer.name == "backfill"
    sink = RecordingSink()
    task = asyncio.create_task(producer.run(sink))
    async with asyncio.timeout(5):
        await wait_until(lambda: bool(producer.results))
    await asyncio.sleep(0.05)
    assert not task.done()  # returning would make the runtime fetch again
    assert len(fake.requests) == 1
    task.cancel()
    await asyncio.wait({task})
    assert task.cancelled()


async def test_an_unreachable_exchange_is_told_once_and_its_return_once(
    serve_http: ServeHttp, caplog: pytest.LogCaptureFixture
) -> None:
    """Refused, pass after pass: one line saying why, and health says ``down`` and why in
    every pass (not ``connecting`` again); then the exchange answers: one line saying so."""
    caplog.set_level(logging.INFO, logger="r2kmon.feeds.backfill")
    port = closed_port()
    settings = BackfillSettings(
        exchanges=("binance",),
        rest_urls={"binance": f"https://127.0.0.1:{port}"},
        intervals=("1m",),
        minute_hours=0.05,
        request_gap={},
    )
    bf = Backfill(settings, clock=SystemClock())
    producer = BackfillProducer(bf, ["LTC-USD"], retry_s=0.01, retry_max_s=0.02)
    sink = RecordingSink()
    task = asyncio.create_task(producer.run(sink))
    try:
        async with asyncio.timeout(10):
            await wait_until(lambda: len({h.retry_at for h in sink.health}) >= 6)
            assert not sink.bars
            await serve_http(
                lambda p, q: fixture("binance/klines_LTCUSDT_1m_limit3_2026-06-20.json"), port
            )
            await wait_until(lambda: bool(sink.bars))
    finally:
        task.cancel()
        await asyncio.wait({task})
    first, *later = [h for h in sink.health if h.name == "backfill"]
    assert first.status == "connecting"
    down = [h for h in later if h.status != "ok"]
    assert len(down) >= 5
    for health in down:
        assert health.status == "down"
        assert f"connection refused by 127.0.0.1:{port}" in (health.last_error or "")
    assert [r.getMessage() for r in caplog.records] == [
        f"backfill: binance unreachable: connection refused by 127.0.0.1:{port}",
        "backfill: binance reachable again",
    ]
