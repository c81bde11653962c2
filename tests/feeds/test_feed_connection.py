"""The connection manager against fake exchange servers on 127.0.0.1, with scripted faults.

The fakes serve ``wss://`` with a certificate from the private test CA, trusted through
``SSL_CERT_FILE`` (:func:`tests.fakes.tls.trusted`), as the shipped configuration connects.
One test keeps plain ``ws://`` on purpose: a configured ``ws://`` URL (a local relay) must
still connect without TLS. Every test is bounded by ``asyncio.timeout``; timeouts and
backoffs are shrunk through :class:`FeedSettings` so the whole file runs in seconds.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Sequence
from contextlib import asynccontextmanager
from decimal import Decimal
from http import HTTPStatus
from typing import Any, Protocol

import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.http11 import Request, Response

from r2kmon.clock import FrozenClock
from r2kmon.config import DEFAULT_EXCHANGES
from r2kmon.feeds.base import Parsed
from r2kmon.feeds.binance import BinanceAdapter
from r2kmon.feeds.connection import FeedConnection, FeedSettings
from r2kmon.net import NetworkPolicy
from tests.fakes.exchanges import FakeExchange, Fault
from tests.fakes.sinks import RecordingSink, wait_until
from tests.fakes.tls import PrivateCA

EXCHANGE_SYMBOL = {
    "binance": "BTCUSDT",
    "coinbase": "BTC-USD",
    "kraken": "BTC/USD",
    "okx": "BTC-USDT",
    "bybit": "BTCUSDT",
}


def fast(exchange: str, url: str, symbols: Sequence[str] = ("BTC-USD",), **kw: Any) -> FeedSettings:
    options: dict[str, Any] = {
        "stall_timeout": 0.6,
        "silence_timeout": 0.3,
        "ping_interval": None,
        "ping_timeout": None,
        "open_timeout": 1.0,
        "close_timeout": 0.2,
        "backoff_initial": 0.05,
        "backoff_max": 0.2,
        "min_reconnect_interval": 0.0,
        "fatal_retry": 5.0,
        "health_interval": 0.05,
    }
    options.update(kw)
    return FeedSettings(exchange, exchange, tuple(symbols), url=url, **options)


@asynccontextmanager
async def running(feed: FeedConnection, sink: RecordingSink) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(feed.run(sink))
    try:
        yield task
    finally:
        task.cancel()
        await asyncio.wait({task})


class Start(Protocol):
    def __call__(
        self, protocol: str, listed: set[str] | None = None, *, port: int = 0, **kw: Any
    ) -> Awaitable[FakeExchange]: ...


@pytest.fixture
async def start(trusted: PrivateCA) -> AsyncIterator[Start]:
    """Starts fakes serving ``wss://`` (the CA trusted through ``SSL_CERT_FILE``); stops
    them after the test."""
    started: list[FakeExchange] = []

    async def start_fake(
        protocol: str, listed: set[str] | None = None, *, port: int = 0, **kw: Any
    ) -> FakeExchange:
        fake = FakeExchange(protocol, listed or {EXCHANGE_SYMBOL[protocol]}, **kw)
        started.append(fake)
        return await fake.start(port, ssl=trusted.server_context())

    yield start_fake
    for fake in started:
        await fake.stop()


@pytest.mark.parametrize("exchange", sorted(EXCHANGE_SYMBOL))
async def test_each_exchange_streams_prices_with_source_and_reference(
    exchange: str, start: Start
) -> None:
    fake = await start(exchange)
    sink = RecordingSink()
    feed = FeedConnection(fast(exchange, fake.url))
    async with asyncio.timeout(5), running(feed, sink):
        await wait_until(lambda: len(sink.ticks_of("BTC-USD")) >= 3)
        await wait_until(lambda: (h := sink.last_health(exchange)) is not None and h.status == "ok")
    first = sink.ticks_of("BTC-USD")[0]
    assert first.source == exchange
    assert first.price == Decimal("100.01")
    assert str(first.price) == "100.01"
    # Kraken has no open; its reference is last - change = 100.01 - 1.00.
    assert first.ref_price == (Decimal("99.01") if exchange == "kraken" else Decimal("99.00"))
    health = sink.last_health(exchange)
    assert health is not None
    assert health.kind == "feed"
    assert health.last_ok is not None
    assert health.msgs_per_s > 0


@pytest.mark.parametrize("code", [1000, 1001, 1011])
async def test_server_close_codes_reconnect_and_resubscribe(code: int, start: Start) -> None:
    fake = await start("binance", faults=[Fault("close", after=3, code=code)])
    sink = RecordingSink()
    async with asyncio.timeout(5), running(FeedConnection(fast("binance", fake.url)), sink):
        await wait_until(lambda: fake.connections >= 2 and len(sink.ticks) >= 6)
    assert all("SUBSCRIBE" in log[0] for log in fake.received[:2])


@pytest.mark.parametrize("kind", ["reset", "reset_mid_frame"])
async def test_tcp_reset_reconnects(kind: str, start: Start) -> None:
    fake = await start("okx", faults=[Fault(kind, after=3)])  # type: ignore[arg-type]
    sink = RecordingSink()
    async with asyncio.timeout(5), running(FeedConnection(fast("okx", fake.url)), sink):
        await wait_until(lambda: fake.connections >= 2 and len(sink.ticks) >= 6)


@pytest.mark.parametrize("kind", ["drop", "reset"])
async def test_a_connection_cut_without_a_close_frame_is_said_to_be_reset(
    kind: str, start: Start
) -> None:
    # The TCP connection ends under the websocket (a FIN or a RST, no close frame: 1006)
    # before any price: health says it in words, not in websockets' "no close frame".
    fake = await start("binance", faults=[Fault(kind, after=0)])  # type: ignore[arg-type]
    sink = RecordingSink()
    async with asyncio.timeout(5), running(FeedConnection(fast("binance", fake.url)), sink):
        await wait_until(lambda: fake.connections >= 2 and len(sink.ticks) >= 3)
    errors = [h.last_error for h in sink.health if h.name == "binance" and h.last_error]
    assert "connection reset by the server" in errors
    assert not any("1006" in e or "close frame" in e for e in errors), errors


async def test_silent_stall_is_detected_and_reconnected(start: Start) -> None:
    fake = await start("binance", faults=[Fault("stall", after=2)])
    sink = RecordingSink()
    feed = FeedConnection(fast("binance", fake.url, stall_timeout=0.4))
    async with asyncio.timeout(5), running(feed, sink):
        await wait_until(lambda: fake.connections >= 2 and len(sink.ticks) >= 4)
    assert any(h.last_error and "stalled" in h.last_error for h in sink.health)


async def test_unanswered_control_pings_drop_the_connection(start: Start) -> None:
    fake = await start("binance", faults=[Fault("deaf", after=2)])
    sink = RecordingSink()
    settings = fast("binance", fake.url, stall_timeout=30, ping_interval=0.1, ping_timeout=0.2)
    async with asyncio.timeout(5), running(FeedConnection(settings), sink):
        await wait_until(lambda: fake.connections >= 2 and len(sink.ticks) >= 4)


async def test_unanswered_application_pings_end_in_a_reconnect(start: Start) -> None:
    # OKX stops reading and sending: our text pings get no pong, the watchdog fires.
    fake = await start("okx", faults=[Fault("deaf", after=2)])
    sink = RecordingSink()
    settings = fast("okx", fake.url, keepalive_interval=0.1, stall_timeout=0.5)
    async with asyncio.timeout(5), running(FeedConnection(settings), sink):
        await wait_until(lambda: fake.connections >= 2 and len(sink.ticks) >= 4)
    assert any(h.last_error and "stalled" in h.last_error for h in sink.health)


@pytest.mark.parametrize(
    ("exchange", "ping"),
    [("okx", "ping"), ("bybit", '{"op":"ping"}'), ("kraken", '"method": "ping"')],
)
async def test_application_keepalive_keeps_a_quiet_connection(
    exchange: str, ping: str, start: Start
) -> None:
    # Nothing listed: the only traffic is our ping and the server's pong.
    fake = await start(exchange, listed={"NONE"})
    sink = RecordingSink()
    settings = fast(exchange, fake.url, keepalive_interval=0.1, stall_timeout=0.5)
    async with asyncio.timeout(5), running(FeedConnection(settings), sink):
        await wait_until(
            lambda: bool(fake.received) and sum(ping in m for m in fake.received[0]) >= 8
        )
    assert fake.connections == 1  # the pongs kept the stall watchdog quiet


async def test_garbage_frames_are_counted_and_the_connection_kept(start: Start) -> None:
    fake = await start("coinbase", faults=[Fault("garbage", after=3)])
    sink = RecordingSink()
    async with asyncio.timeout(5), running(FeedConnection(fast("coinbase", fake.url)), sink):
        await wait_until(lambda: len(sink.ticks) >= 8)
        await wait_until(
            lambda: (h := sink.last_health("coinbase")) is not None and h.bad_frames == 2
        )
    assert fake.connections == 1


async def test_unknown_binance_symbol_is_reported_silent(start: Start) -> None:
    fake = await start("binance")
    sink = RecordingSink()
    feed = FeedConnection(fast("binance", fake.url, ("BTC-USD", "NOPE-USD")))
    async with asyncio.timeout(5), running(feed, sink):
        await wait_until(
            lambda: (
                (h := sink.last_health("binance")) is not None and h.silent_symbols == ("NOPE-USD",)
            )
        )
    health = sink.last_health("binance")
    assert health is not None
    assert health.status == "ok"
    assert {t.symbol for t in sink.ticks} == {"BTC-USD"}


@pytest.mark.parametrize("exchange", ["kraken", "okx", "coinbase"])
async def test_refused_symbol_is_reported_at_once_and_others_stream(
    exchange: str, start: Start
) -> None:
    fake = await start(exchange)
    sink = RecordingSink()
    feed = FeedConnection(fast(exchange, fake.url, ("BTC-USD", "NOPE-USD"), silence_timeout=30))
    async with asyncio.timeout(5), running(feed, sink):
        await wait_until(
            lambda: (
                (h := sink.last_health(exchange)) is not None
                and h.silent_symbols == ("NOPE-USD",)
                and len(sink.ticks) >= 3
            )
        )
    assert {t.symbol for t in sink.ticks} == {"BTC-USD"}


async def test_bybit_refused_request_is_split_and_the_innocent_resubscribed(start: Start) -> None:
    fake = await start("bybit", listed={"BTCUSDT", "ETHUSDT"})
    sink = RecordingSink()
    symbols = ("BTC-USD", "NOPE-USD", "ETH-USD")
    async with asyncio.timeout(5), running(FeedConnection(fast("bybit", fake.url, symbols)), sink):
        await wait_until(lambda: {t.symbol for t in sink.ticks} == {"BTC-USD", "ETH-USD"})
        await wait_until(
            lambda: (
                (h := sink.last_health("bybit")) is not None and h.silent_symbols == ("NOPE-USD",)
            )
        )
    first, second = (json.loads(m) for m in fake.received[0][:2])
    assert first["args"] == ["tickers.BTCUSDT", "tickers.NOPEUSDT", "tickers.ETHUSDT"]
    assert second["args"] == ["tickers.BTCUSDT", "tickers.ETHUSDT"]


@pytest.mark.parametrize("exchange", ["binance", "okx"])
async def test_shutdown_notice_reconnects_promptly(exchange: str, start: Start) -> None:
    fake = await start(exchange, faults=[Fault("shutdown", after=3)])
    sink = RecordingSink()
    # A long backoff: only the prompt path can reconnect within the timeout.
    settings = fast(exchange, fake.url, backoff_initial=30.0, backoff_max=30.0)
    async with asyncio.timeout(3), running(FeedConnection(settings), sink):
        await wait_until(lambda: fake.connections >= 2 and len(sink.ticks) >= 6)


async def test_coinbase_subscribes_before_its_deadline(start: Start) -> None:
    fake = await start("coinbase", subscribe_deadline=0.2)
    sink = RecordingSink()
    async with asyncio.timeout(5), running(FeedConnection(fast("coinbase", fake.url)), sink):
        await wait_until(lambda: len(sink.ticks) >= 3)
    assert fake.connections == 1
    assert json.loads(fake.received[0][0])["channels"] == ["ticker", "heartbeat"]


async def test_refused_connection_backs_off_then_recovers(start: Start) -> None:
    with socket.socket() as probe:  # a port nobody listens on (yet)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = RecordingSink()
    url = f"wss://127.0.0.1:{port}"
    async with asyncio.timeout(5), running(FeedConnection(fast("binance", url)), sink):
        await wait_until(
            lambda: (
                (h := sink.last_health("binance")) is not None
                and h.status == "down"
                and h.retry_at is not None
                and h.last_error is not None
            )
        )
        await start("binance", port=port)
        await wait_until(lambda: len(sink.ticks) >= 3)
        await wait_until(
            lambda: (h := sink.last_health("binance")) is not None and h.status == "ok"
        )


async def test_http_451_is_reported_and_not_retried_in_a_loop(trusted: PrivateCA) -> None:
    attempts = 0

    def refuse(connection: ServerConnection, request: Request) -> Response:
        nonlocal attempts
        attempts += 1
        return connection.respond(HTTPStatus.UNAVAILABLE_FOR_LEGAL_REASONS, "restricted\n")

    async def never(ws: ServerConnection) -> None:
        raise AssertionError("handshake must not succeed")

    tls = trusted.server_context()
    async with serve(never, "127.0.0.1", 0, process_request=refuse, ssl=tls) as server:
        port = server.sockets[0].getsockname()[1]
        sink = RecordingSink()
        feed = FeedConnection(fast("binance", f"wss://127.0.0.1:{port}", fatal_retry=60))
        async with asyncio.timeout(5), running(feed, sink):
            await wait_until(
                lambda: (
                    (h := sink.last_health("binance")) is not None
                    and h.status == "down"
                    and "451" in (h.last_error or "")
                )
            )
            await asyncio.sleep(0.5)
    assert attempts == 1
    health = sink.last_health("binance")
    assert health is not None
    assert "restricted location" in (health.last_error or "")


def announced_waits(sink: RecordingSink, name: str, now: float) -> list[float]:
    """The wait before each new attempt, as the health records announced it (``retry_at``
    less the time of a clock that stands still)."""
    waits: list[float] = []
    previous: float | None = None
    for health in sink.health:
        if health.name != name:
            continue
        if health.retry_at is not None and health.retry_at != previous:
            waits.append(health.retry_at - now)
        previous = health.retry_at
    return waits


async def test_a_connection_that_opens_but_delivers_nothing_does_not_reset_the_backoff(
    start: Start,
) -> None:
    # Four handshakes accepted, each connection closed before any price; then prices.
    fake = await start("binance", faults=[Fault("close", after=0)] * 4)
    clock = FrozenClock(1_800_000_000.0)
    sink = RecordingSink()
    settings = fast("binance", fake.url, backoff_initial=0.05, backoff_max=0.4)
    async with asyncio.timeout(5), running(FeedConnection(settings, clock=clock), sink):
        await wait_until(lambda: len(sink.ticks) >= 3)
    waits = announced_waits(sink, "binance", clock.now())
    # 50 to 100 % of a nominal delay doubling from 0.05 s to the 0.4 s cap: an open
    # handshake did not start it over, only prices would have.
    assert len(waits) == 4, waits
    for wait, nominal in zip(waits, [0.05, 0.1, 0.2, 0.4], strict=True):
        assert nominal / 2 - 1e-6 <= wait <= nominal + 1e-6, waits
    assert fake.connections == 5


async def test_a_connection_that_delivered_prices_comes_back_after_the_floor(
    start: Start,
) -> None:
    fake = await start("binance", faults=[Fault("close", after=3)])
    clock = FrozenClock(1_800_000_000.0)
    sink = RecordingSink()
    # A long backoff: only the productive rule can bring it back within the timeout.
    settings = fast(
        "binance", fake.url, backoff_initial=30.0, backoff_max=30.0, min_reconnect_interval=0.3
    )
    async with asyncio.timeout(5), running(FeedConnection(settings, clock=clock), sink):
        await wait_until(lambda: fake.connections >= 2 and len(sink.ticks) >= 6)
    # The clock stands still: the whole floor is still to wait when the connection closes.
    assert announced_waits(sink, "binance", clock.now()) == [pytest.approx(0.3)]


@pytest.mark.skipif(
    importlib.util.find_spec("python_socks") is not None,
    reason="the socks extra is installed here: a SOCKS proxy is usable",
)
async def test_a_socks_proxy_without_the_socks_extra_is_reported_and_retried_late(
    direct_network: None,
) -> None:
    # Nothing is reached: websockets cannot even start through the proxy.
    url = DEFAULT_EXCHANGES["binance"].url
    network = NetworkPolicy(proxy="socks5://127.0.0.1:1080")
    clock = FrozenClock(1_800_000_000.0)
    sink = RecordingSink()
    settings = fast("binance", url, network=network, fatal_retry=60)
    async with asyncio.timeout(5), running(FeedConnection(settings, clock=clock), sink) as task:
        await wait_until(
            lambda: (h := sink.last_health("binance")) is not None and h.status == "down"
        )
        await asyncio.sleep(0.2)
        assert not task.done()
    health = sink.last_health("binance")
    assert health is not None
    assert "socks5://127.0.0.1:1080 ([network] proxy) is a SOCKS proxy" in (health.last_error or "")
    assert "pip install 'r2kmon[socks]'" in (health.last_error or "")
    assert announced_waits(sink, "binance", clock.now()) == [pytest.approx(60)]


async def test_a_url_websockets_cannot_parse_is_reported_and_retried_late() -> None:
    clock = FrozenClock(1_800_000_000.0)
    sink = RecordingSink()
    settings = fast("coinbase", "wss://:443", fatal_retry=60)  # no host
    async with asyncio.timeout(5), running(FeedConnection(settings, clock=clock), sink) as task:
        await wait_until(
            lambda: (h := sink.last_health("coinbase")) is not None and h.status == "down"
        )
        await asyncio.sleep(0.2)
        assert not task.done()  # not taken for a bug
    health = sink.last_health("coinbase")
    assert health is not None
    assert "InvalidURI" in (health.last_error or "")
    assert announced_waits(sink, "coinbase", clock.now()) == [pytest.approx(60)]


class BuggyAdapter(BinanceAdapter):
    def classify(self, message: Any) -> Parsed:
        raise RuntimeError("a bug in the parser")


async def test_parser_bug_stops_the_feed_instead_of_reconnecting_forever(start: Start) -> None:
    fake = await start("binance")
    sink = RecordingSink()
    settings = fast("binance", fake.url)
    feed = FeedConnection(settings, adapter=BuggyAdapter(["BTC-USD"], url=fake.url))
    async with asyncio.timeout(5):
        with pytest.raises(RuntimeError, match="a bug in the parser"):
            await feed.run(sink)
    assert fake.connections == 1
    health = sink.last_health("binance")
    assert health is not None
    assert health.status == "down"
    assert "internal error" in (health.last_error or "")


async def test_a_plain_ws_url_still_connects_without_tls() -> None:
    """``ws://`` is allowed in the config (a local relay): it gets no TLS context, where a
    ``wss://`` URL always gets the verifying one."""
    fake = await FakeExchange("binance", {"BTCUSDT"}).start()
    try:
        assert fake.url.startswith("ws://")
        sink = RecordingSink()
        async with asyncio.timeout(5), running(FeedConnection(fast("binance", fake.url)), sink):
            await wait_until(lambda: len(sink.ticks_of("BTC-USD")) >= 3)
    finally:
        await fake.stop()
