"""The crypto pairs' history — the exchanges' REST candles as jobs of the one poller —
against a fake HTTPS server on 127.0.0.1 serving the fixture bodies.

The fake is a small HTTP/1.1 server on a real socket (``asyncio.start_server``) speaking
TLS with a certificate from the private test CA, trusted through ``SSL_CERT_FILE``
(:func:`tests.fakes.tls.trusted`); the poller's client is the one the runtime builds
(:func:`~r2kmon.sources.poller.new_client`). The poller is built as the runtime builds it
(:func:`~r2kmon.sources.poller.settings_from_endpoints` with the exchanges' REST URLs) with
only the rate budgets and backoffs shrunk, so the waits it is told to make take
milliseconds; what it asks and what it says in health are unchanged.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from r2kmon.clock import Clock, FrozenClock, SystemClock
from r2kmon.model import Bar, SourceHealth
from r2kmon.sources.poller import HISTORY_RECORD, Poller, new_client, settings_from_endpoints
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
    """Answers each GET with ``route(path, query)``; keeps every request and when it came."""

    route: Route
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
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
                self.times.append(time.monotonic())
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


async def exchanges(serve_http: ServeHttp, **replies: Callable[[], Reply]) -> dict[str, FakeHttp]:
    """One fake per exchange, in the order given (the order they are asked in), each
    answering every request with its reply."""

    def always(reply: Callable[[], Reply]) -> Route:
        return lambda path, query: reply()

    return {name: await serve_http(always(reply)) for name, reply in replies.items()}


def urls(fakes: dict[str, FakeHttp]) -> dict[str, str]:
    return {name: fake.url for name, fake in fakes.items()}


@pytest.fixture
async def client(trusted: PrivateCA) -> AsyncIterator[httpx.AsyncClient]:
    async with new_client() as http:
        yield http


class FixedWallClock:
    """Wall time fixed on the fixtures' day; monotonic time runs, so backoffs pass."""

    def __init__(self, now: float) -> None:
        self._now = now

    def now(self) -> float:
        return self._now

    def monotonic(self) -> float:
        return time.monotonic()


def history(
    client: httpx.AsyncClient,
    urls: dict[str, str],
    clock: Clock,
    symbols: tuple[str, ...] = ("LTC-USD",),
    backoff: float = 0.05,
    **overrides: Any,
) -> Poller:
    """The poller with only the history of ``symbols`` from the exchanges in ``urls`` (in
    that order; nothing may reach the internet), budgets and backoffs shrunk."""
    settings = settings_from_endpoints(
        {},
        (),
        crypto_symbols=symbols,
        rest_urls=urls,
        fred_series=(),
        market_hours=False,
        jitter=0.0,
        history_retry_s=backoff,
        history_retry_max_s=2 * backoff,
        **overrides,
    )
    fast = {
        name: dataclasses.replace(
            cfg, min_interval_s=0.0, backoff_base_s=backoff, backoff_cap_s=2 * backoff
        )
        for name, cfg in settings.providers.items()
    }
    return Poller(client, dataclasses.replace(settings, providers=fast), clock=clock)


def backfill_health(sink: RecordingSink) -> SourceHealth:
    health = sink.last_health(HISTORY_RECORD)
    assert health is not None
    return health


@contextlib.asynccontextmanager
async def running(poller: Poller, sink: RecordingSink) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(poller.run(sink))
    try:
        yield task
    finally:
        task.cancel()
        await asyncio.wait({task})


# 2026-06-20 02:57:00 UTC: the three LTCUSDT minutes of the fixture (02:54-02:56) are closed.
LTC_NOW = 1781924220.0


async def test_binance_minutes_and_days_from_the_fixtures(
    serve_http: ServeHttp, client: httpx.AsyncClient
) -> None:
    def route(path: str, query: dict[str, str]) -> Reply:
        assert path == "/api/v3/klines"
        if query["interval"] == "1m":
            return fixture("binance/klines_LTCUSDT_1m_limit3_2026-06-20.json")
        return fixture("binance/klines_BTCUSDT_1d_first10_from_listing_captured_2018.json")

    fake = await serve_http(route)
    sink = RecordingSink()
    poller = history(client, {"binance": fake.url}, FrozenClock(LTC_NOW), history_minute_hours=0.05)
    async with asyncio.timeout(5):
        await poller.run_once(sink)
    minutes = [b for s, i, bars, src in sink.bars if i == "1m" for b in bars]
    days = [b for s, i, bars, src in sink.bars if i == "1d" for b in bars]
    # Typed from the fixtures: first row of each file.
    assert minutes[0] == Bar(1781924040.0, 43.88, 43.90, 43.87, 43.90, 44.943)
    assert len(minutes) == 3
    assert days[0] == Bar(1502928000.0, 4261.48, 4485.39, 4200.74, 4285.08, 795.150377)
    assert len(days) == 10
    assert [(s, i, src) for s, i, _, src in sink.bars] == [
        ("LTC-USD", "1m", "binance"),
        ("LTC-USD", "1d", "binance"),
    ]
    path, query = fake.requests[0]
    assert path == "/api/v3/klines"
    assert query == {
        "symbol": "LTCUSDT",
        "interval": "1m",
        "startTime": str(int((LTC_NOW - 180) * 1000)),
        "limit": "1000",
    }
    # Both complete: the daily bars start at the pair's listing, not at a cut.
    health = backfill_health(sink)
    assert health.status == "ok"
    assert health.last_error is None


async def test_binance_drops_the_still_open_minute(
    serve_http: ServeHttp, client: httpx.AsyncClient
) -> None:
    fake = await serve_http(
        lambda p, q: fixture("binance/klines_LTCUSDT_1m_limit3_2026-06-20.json")
    )
    sink = RecordingSink()
    # 02:56:30: the 02:56 minute closes at 02:56:59.999, so it is still open.
    poller = history(
        client,
        {"binance": fake.url},
        FrozenClock(LTC_NOW - 30),
        history_intervals=("1m",),
        history_minute_hours=0.05,
    )
    async with asyncio.timeout(5):
        await poller.run_once(sink)
    ((_, _, bars, _),) = sink.bars
    assert [b.start for b in bars] == [1781924040.0, 1781924100.0]


async def test_429_with_retry_after_is_honoured_then_succeeds(
    serve_http: ServeHttp, client: httpx.AsyncClient
) -> None:
    calls = 0

    def route(path: str, query: dict[str, str]) -> Reply:
        nonlocal calls
        calls += 1
        if calls == 1:
            return fixture(
                "binance/DERIVED_error_429_too_much_request_weight.json", 429, Retry_After="1"
            )
        return fixture("binance/klines_LTCUSDT_1m_limit3_2026-06-20.json")

    fake = await serve_http(route)
    sink = RecordingSink()
    poller = history(
        client,
        {"binance": fake.url},
        FixedWallClock(LTC_NOW),
        history_intervals=("1m",),
        history_minute_hours=0.05,
    )
    async with asyncio.timeout(10), running(poller, sink):
        await wait_until(lambda: bool(sink.bars), timeout=10)
    assert calls == 2
    # Retry-After: 1 beats the 0.05 s backoff.
    assert fake.times[1] - fake.times[0] >= 0.95
    assert [src for *_, src in sink.bars] == ["binance"]
    assert backfill_health(sink).status == "ok"


# 2026-06-18 00:00 UTC: both daily Coinbase rows of the fixture (06-16, 06-17) are closed.
CB_NOW = 1781740800.0


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (
            lambda: fixture("binance/error_451_restricted_location.json", 451),
            "binance: HTTP 451 restricted location",
        ),
        (
            lambda: fixture("binance/DERIVED_error_418_ip_banned.json", 418, Retry_After="120"),
            "binance: HTTP 418 IP banned",
        ),
        (
            lambda: fixture(
                "binance/DERIVED_error_429_too_much_request_weight.json", 429, Retry_After="3600"
            ),
            "binance: HTTP 429",
        ),
    ],
)
async def test_binance_refusal_falls_back_to_coinbase_and_says_why(
    serve_http: ServeHttp, client: httpx.AsyncClient, reply: Callable[[], Reply], reason: str
) -> None:
    fakes = await exchanges(
        serve_http,
        binance=reply,
        coinbase=lambda: fixture("coinbase_exchange/candles_BTC-USD_86400_2rows_2026-06-17.json"),
    )
    binance, coinbase = fakes["binance"], fakes["coinbase"]
    sink = RecordingSink()
    poller = history(
        client,
        urls(fakes),
        FrozenClock(CB_NOW),
        symbols=("BTC-USD",),
        history_intervals=("1d",),
        history_daily_days=2,
    )
    async with asyncio.timeout(5):
        await poller.run_once(sink)
    health = backfill_health(sink)
    assert health.status == "ok"  # the series came, from Coinbase
    assert reason in (health.last_error or "")
    assert len(binance.requests) == 1  # none of these is retried
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


async def test_unknown_symbol_everywhere_reports_every_reason(
    serve_http: ServeHttp, client: httpx.AsyncClient
) -> None:
    fakes = await exchanges(
        serve_http,
        binance=lambda: fixture("binance/error_400_invalid_symbol.json", 400),
        coinbase=lambda: fixture("coinbase_exchange/error_404_product_not_found.json", 404),
        kraken=lambda: fixture("kraken/error_unknown_asset_pair.json"),
    )
    kraken = fakes["kraken"]
    sink = RecordingSink()
    poller = history(
        client,
        urls(fakes),
        FrozenClock(CB_NOW),
        symbols=("NOPE-USD",),
        history_intervals=("1d",),
    )
    async with asyncio.timeout(5):
        await poller.run_once(sink)
    assert kraken.requests[0][1]["pair"] == "NOPEUSD"
    assert sink.bars == []
    health = backfill_health(sink)
    assert health.status == "down"
    error = health.last_error or ""
    assert error.startswith("NOPE-USD 1d: ")
    # Every exchange's own reason, in the order they were asked.
    asked = [error.index(f"{name} unknown symbol: ") for name in ("binance", "coinbase", "kraken")]
    assert asked == sorted(asked)
    said = [error.index(text) for text in ("Invalid symbol.", "NotFound", "EQuery:Unknown asset")]
    assert said == sorted(said)
    assert "EQuery:Unknown asset pair" in error


async def test_kraken_is_the_last_resort_and_reports_its_short_history(
    serve_http: ServeHttp, client: httpx.AsyncClient
) -> None:
    fakes = await exchanges(
        serve_http,
        binance=lambda: fixture("binance/error_451_restricted_location.json", 451),
        coinbase=lambda: fixture("coinbase_exchange/DERIVED_error_429_public_rate_limit.json", 429),
        # The row format is the same at every interval; the only long capture is hourly.
        kraken=lambda: fixture("kraken/ohlc_XBTUSD_60_24rows_2023-12-05.json"),
    )
    coinbase, kraken = fakes["coinbase"], fakes["kraken"]
    sink = RecordingSink()
    # 2023-12-05 23:00 UTC: all 24 hourly rows of the capture are closed.
    poller = history(
        client,
        urls(fakes),
        FrozenClock(1701817200.0),
        symbols=("BTC-USD",),
        history_intervals=("1m",),
        history_minute_hours=48,
    )
    async with asyncio.timeout(5):
        await poller.run_once(sink)
    # Coinbase's 429 (no Retry-After) puts Coinbase into its backoff; Kraken is asked now.
    assert len(coinbase.requests) == 1
    assert kraken.requests[0][1]["pair"] == "XBTUSD"
    assert kraken.requests[0][1]["interval"] == "1"
    ((_, _, bars, source),) = sink.bars
    assert source == "kraken"
    # First row of the capture: t, O, H, L, C, vwap, V (volume is index 6).
    assert bars[0] == Bar(1701730800.0, 41970.0, 41984.7, 41793.6, 41984.7, 135.2464126)
    health = backfill_health(sink)
    assert health.status == "stale"  # served, but only in part
    error = health.last_error or ""
    assert "binance: HTTP 451 restricted location" in error
    assert "coinbase: HTTP 429" in error
    assert f"BTC-USD 1m: kraken: only {len(bars)} bars back to 2023-12-04T23:00:00Z" in error


async def test_coinbase_minutes_are_asked_in_windows_of_at_most_300(
    serve_http: ServeHttp, client: httpx.AsyncClient
) -> None:
    coinbase = await serve_http(lambda p, q: (200, {}, b"[]"))
    sink = RecordingSink()
    poller = history(
        client,
        {"coinbase": coinbase.url},
        FrozenClock(CB_NOW),
        symbols=("BTC-USD",),
        history_intervals=("1m",),
    )
    async with asyncio.timeout(5):
        await poller.run_once(sink)
    assert sink.bars == []
    assert backfill_health(sink).status == "down"
    assert len(coinbase.requests) == 5  # 1440 minutes / 300 per request
    for _, query in coinbase.requests:
        start = datetime.fromisoformat(query["start"].replace("Z", "+00:00")).timestamp()
        end = datetime.fromisoformat(query["end"].replace("Z", "+00:00")).timestamp()
        assert (end - start) / 60 + 1 <= 300


async def test_history_is_fetched_once_and_not_again(
    serve_http: ServeHttp, client: httpx.AsyncClient
) -> None:
    fake = await serve_http(
        lambda p, q: fixture("binance/klines_LTCUSDT_1m_limit3_2026-06-20.json")
    )
    poller = history(
        client,
        {"binance": fake.url},
        FixedWallClock(LTC_NOW),
        history_intervals=("1m",),
        history_minute_hours=0.05,
    )
    sink = RecordingSink()
    async with running(poller, sink) as task:
        async with asyncio.timeout(5):
            await wait_until(lambda: bool(sink.bars))
        await asyncio.sleep(0.3)  # six backoffs' worth: a repeat would have come by now
        assert not task.done()
    assert len(fake.requests) == 1
    assert backfill_health(sink).status == "ok"


async def test_an_unreachable_exchange_is_told_once_and_its_return_once(
    serve_http: ServeHttp, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    """Refused, retry after retry: one line saying why, and health says ``down`` and why
    after every attempt (not ``connecting`` again); then the exchange answers: one line
    saying so."""
    caplog.set_level(logging.INFO, logger="r2kmon.sources")
    port = closed_port()
    poller = history(
        client,
        {"binance": f"https://127.0.0.1:{port}"},
        SystemClock(),
        backoff=0.01,
        history_intervals=("1m",),
        history_minute_hours=0.05,
    )
    sink = RecordingSink()
    async with running(poller, sink):
        async with asyncio.timeout(10):
            await wait_until(lambda: len({h.retry_at for h in sink.health}) >= 6)
            assert not sink.bars
            await serve_http(
                lambda p, q: fixture("binance/klines_LTCUSDT_1m_limit3_2026-06-20.json"), port
            )
            await wait_until(lambda: bool(sink.bars))
    first, *later = [h for h in sink.health if h.name == HISTORY_RECORD]
    assert first.status == "connecting"
    down = [h for h in later if h.status != "ok"]
    assert len(down) >= 5
    for health in down:
        assert health.status == "down"
        assert f"connection refused by 127.0.0.1:{port}" in (health.last_error or "")
    # The app's lines (httpx logs each request at INFO when an earlier test left the root
    # logger there).
    assert [r.getMessage() for r in caplog.records if r.name.startswith("r2kmon.")] == [
        f"backfill: binance unreachable: connection refused by 127.0.0.1:{port}",
        "backfill: binance reachable again",
    ]


# --- paging ----------------------------------------------------------------------------------


def klines_from(query: dict[str, str], now_ms: int) -> Reply:
    """Binance's answer for ``query``: up to ``limit`` one-minute rows from ``startTime``
    (DERIVED: the documented row layout with made-up prices), the open one included."""
    start, limit = int(query["startTime"]), int(query["limit"])
    rows = [
        [t, "1.5", "2.5", "0.5", "2.0", "10.0", t + 59_999, "0", 1, "0", "0", "0"]
        for t in range(start, now_ms + 60_000, 60_000)[:limit]
    ]
    return 200, {}, json.dumps(rows).encode()


async def test_a_day_of_binance_minutes_takes_two_pages(
    serve_http: ServeHttp, client: httpx.AsyncClient
) -> None:
    now_ms = int(LTC_NOW * 1000)
    fake = await serve_http(lambda p, q: klines_from(q, now_ms))
    sink = RecordingSink()
    poller = history(client, {"binance": fake.url}, FrozenClock(LTC_NOW), history_intervals=("1m",))
    async with asyncio.timeout(5):
        await poller.run_once(sink)
    starts = [int(q["startTime"]) for _, q in fake.requests]
    # 1440 minutes: 1000 rows, then the next page from the minute after the last row.
    assert starts == [now_ms - 86_400_000, now_ms - 86_400_000 + 1000 * 60_000]
    ((_, _, bars, _),) = sink.bars
    assert len(bars) == 1440  # the minute still open at "now" left out
    assert bars[-1].start == LTC_NOW - 60
    assert [b.start for b in bars] == sorted({b.start for b in bars})
