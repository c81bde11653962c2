"""The live path over TLS, every exchange and provider, with the shipped default endpoints.

Each URL is a default of :mod:`r2kmon.config` with nothing changed but ``host:port``
(:func:`tests.fakes.tls.swap_host`): ``wss://`` to a fake exchange speaking its real
protocol on its real path, ``https://`` to one fake server answering the providers' and the
exchanges' REST paths with recorded bodies. The clients are the ones the runtime builds:
:func:`~r2kmon.feeds.producers.crypto_producers` for the feeds,
:func:`~r2kmon.sources.poller.new_client` and the :class:`~r2kmon.sources.poller.Poller`
for the providers and the exchanges' REST candles. The private test CA is trusted the two
ways a user can: ``SSL_CERT_FILE`` (fixture ``trusted``), or ``[network] ca_file`` handed
down as ``NetworkPolicy(ca_file=...)`` (with ``SSL_CERT_FILE`` unset, fixture
``direct_network``).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import urlsplit

import pytest

from r2kmon.clock import FrozenClock, SystemClock
from r2kmon.config import DEFAULT_EXCHANGES, DEFAULT_PROVIDERS
from r2kmon.feeds.failover import FailoverFeeds, FailoverSettings
from r2kmon.feeds.producers import crypto_producers
from r2kmon.hub import Hub
from r2kmon.model import Bar, Producer, Sink
from r2kmon.net import NetworkPolicy
from r2kmon.sources.ishares import IWM_PATH
from r2kmon.sources.poller import Poller, new_client, settings_from_endpoints
from tests.fakes.exchanges import FakeExchange
from tests.fakes.http import FakeHTTP, Reply
from tests.fakes.providers import MARKETS, script_providers
from tests.fakes.sinks import RecordingSink, wait_until
from tests.fakes.tls import PrivateCA, swap_host
from tests.paths import HTTP_FIXTURES

pytestmark = pytest.mark.timeout(60)

LISTED = {
    "binance": "BTCUSDT",
    "coinbase": "BTC-USD",
    "kraken": "BTC/USD",
    "okx": "BTC-USDT",
    "bybit": "BTCUSDT",
}
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


@pytest.fixture(params=["SSL_CERT_FILE", "ca_file"])
def policy(request: pytest.FixtureRequest, private_ca: PrivateCA) -> NetworkPolicy:
    """The private CA trusted through ``SSL_CERT_FILE`` or through ``[network] ca_file``."""
    if request.param == "SSL_CERT_FILE":
        request.getfixturevalue("trusted")
        return NetworkPolicy()
    request.getfixturevalue("direct_network")
    return NetworkPolicy(ca_file=str(private_ca.ca_file))


@pytest.fixture
async def https(private_ca: PrivateCA) -> AsyncIterator[FakeHTTP]:
    server = FakeHTTP()
    await server.start(ssl=private_ca.server_context())
    yield server
    await server.stop()


@pytest.fixture
async def exchanges(
    private_ca: PrivateCA,
) -> AsyncIterator[Callable[[str, set[str]], FakeExchange]]:
    """Makes fake exchanges (started by the test with TLS); stops them afterwards."""
    made: list[FakeExchange] = []

    def make(protocol: str, listed: set[str]) -> FakeExchange:
        fake = FakeExchange(protocol, listed, tls=private_ca.server_context())
        made.append(fake)
        return fake

    yield make
    for fake in made:
        await fake.stop()


def default_ws(exchange: str, port: int) -> str:
    return swap_host(DEFAULT_EXCHANGES[exchange].url, port)


def default_rest(exchange: str, port: int) -> str:
    return swap_host(DEFAULT_EXCHANGES[exchange].rest_url, port)


async def run_until(producer: Producer, sink: Sink, done: Callable[[], bool]) -> None:
    """Run ``producer`` until ``done()``; it must still be running then."""
    task = asyncio.create_task(producer.run(sink))
    try:
        await wait_until(done, timeout=10)
        assert not task.done(), "the producer stopped"
    finally:
        task.cancel()
        await asyncio.wait({task})


# --- quotes from every exchange ------------------------------------------------------------


@pytest.mark.parametrize("exchange", sorted(LISTED))
async def test_quotes_from_each_exchange_over_wss(
    exchange: str, policy: NetworkPolicy, exchanges: Callable[[str, set[str]], FakeExchange]
) -> None:
    fake = await exchanges(exchange, {LISTED[exchange]}).start()
    url = default_ws(exchange, fake.port)
    assert url.startswith("wss://")
    producers = crypto_producers(
        ["BTC-USD"],
        [exchange],
        urls={exchange: url},
        breadth=False,
        network=policy,
        **FAST,
    )
    (feeds,) = producers
    hub = Hub(SystemClock(), simulated=False, symbols=["BTC-USD"])
    await run_until(
        feeds,
        hub,
        lambda: (
            "BTC-USD" in hub.snapshot().quotes
            and exchange in hub.snapshot().health
            and hub.snapshot().health[exchange].status == "ok"
        ),
    )
    quote = hub.snapshot().quotes["BTC-USD"]
    assert quote.source == exchange
    assert 100 < quote.price < 200  # the fakes send 100.01, 100.02, ...
    # The handshake asked for the default URL's own path (the fake answers nothing else).
    default_path = urlsplit(DEFAULT_EXCHANGES[exchange].url).path
    assert fake.paths
    assert all(p.split("?")[0].startswith(default_path) for p in fake.paths), fake.paths


async def test_failover_and_fail_back_over_wss(
    trusted: PrivateCA, exchanges: Callable[[str, set[str]], FakeExchange]
) -> None:
    """The primary stops: its symbol moves to the secondary; the primary comes back on its
    old port (TLS again): the symbol moves back."""
    primary = await exchanges("binance", {"BTCUSDT"}).start()
    secondary = await exchanges("coinbase", {"BTC-USD"}).start()
    (feeds,) = crypto_producers(
        ["BTC-USD"],
        ["binance", "coinbase"],
        urls={
            "binance": default_ws("binance", primary.port),
            "coinbase": default_ws("coinbase", secondary.port),
        },
        breadth=False,
        failover=FailoverSettings(stale_after=0.4, check_interval=0.05),
        **FAST,
    )
    assert isinstance(feeds, FailoverFeeds)
    sink = RecordingSink()
    task = asyncio.create_task(feeds.run(sink))
    try:
        async with asyncio.timeout(20):
            await wait_until(lambda: len(sink.ticks_of("BTC-USD", "binance")) >= 3)
            port = primary.port
            await primary.stop()
            await wait_until(lambda: feeds.routes.get("BTC-USD") == "coinbase")
            await wait_until(lambda: len(sink.ticks_of("BTC-USD", "coinbase")) >= 3)
            await primary.start(port)
            await wait_until(lambda: feeds.routes.get("BTC-USD") == "binance")
            mark = len(sink.ticks)
            await wait_until(lambda: len(sink.ticks) >= mark + 5)
            assert {t.source for t in sink.ticks[mark:]} == {"binance"}
    finally:
        task.cancel()
        await asyncio.wait({task})
    assert primary.connections >= 2  # it really came back over a new (TLS) connection


# --- history from every exchange's REST API ------------------------------------------------

# (exchange, symbol, frozen now, scripted routes, interval checked, its first bar typed
# from the fixture)
BACKFILL = {
    "binance": (
        "LTC-USD",
        1781924220.0,  # 2026-06-20 02:57 UTC: the three minutes of the capture are closed
        {
            "/api/v3/klines?interval=1m": "binance/klines_LTCUSDT_1m_limit3_2026-06-20.json",
            "/api/v3/klines?interval=1d": (
                "binance/klines_BTCUSDT_1d_first10_from_listing_captured_2018.json"
            ),
        },
        "1m",
        Bar(1781924040.0, 43.88, 43.90, 43.87, 43.90, 44.943),
    ),
    "coinbase": (
        "BTC-USD",
        1781740800.0,  # 2026-06-18 00:00 UTC: both daily rows of the capture are closed
        {
            "/products/BTC-USD/candles?granularity=86400": (
                "coinbase_exchange/candles_BTC-USD_86400_2rows_2026-06-17.json"
            ),
        },
        "1d",
        Bar(1781568000.0, 66276.79, 66944.0, 65300.03, 65616.64, 6347.81),
    ),
    "kraken": (
        "BTC-USD",
        1701817200.0,  # 2023-12-05 23:00 UTC
        {"/0/public/OHLC?interval=1": "kraken/ohlc_XBTUSD_60_24rows_2023-12-05.json"},
        "1m",
        Bar(1701730800.0, 41970.0, 41984.7, 41793.6, 41984.7, 135.2464126),
    ),
}


@pytest.mark.parametrize("exchange", sorted(BACKFILL))
async def test_backfill_from_each_exchange_over_https(
    exchange: str, trusted: PrivateCA, https: FakeHTTP
) -> None:
    symbol, now, routes, interval, first = BACKFILL[exchange]
    for route, name in routes.items():
        https.script(route, Reply.file(HTTP_FIXTURES / name))
    rest = default_rest(exchange, https.port)
    assert rest.startswith("https://")
    # Built as the runtime builds it; only the interval checked here is asked, and the
    # shipped rate budget (Kraken: a request a second) would only slow the test.
    settings = settings_from_endpoints(
        {},
        (),
        crypto_symbols=[symbol],
        rest_urls={exchange: rest},
        history_intervals=(interval,),
        market_hours=False,
    )
    unhurried = dataclasses.replace(settings.providers[exchange], min_interval_s=0.0)
    settings = dataclasses.replace(settings, providers={exchange: unhurried})
    sink = RecordingSink()
    wanted = (symbol, interval, exchange)
    async with new_client(settings) as client:
        await run_until(
            Poller(client, settings, clock=FrozenClock(now)),
            sink,
            lambda: any((s, i, src) == wanted for s, i, _, src in sink.bars),
        )
    bars = next(b for s, i, b, src in sink.bars if (s, i, src) == wanted)
    assert bars[0] == first
    # Asked on the path the default REST URL leads to, and on no other.
    asked = {seen.path for seen in https.seen}
    assert asked == {route.split("?")[0] for route in routes}


# --- context values from every provider ---------------------------------------------------


def script_more(http: FakeHTTP) -> None:
    """What :func:`~tests.fakes.providers.script_providers` leaves out: iShares and the
    CoinPaprika fallback, on their real paths."""
    http.script(f"/{IWM_PATH}", Reply.file(HTTP_FIXTURES / "ishares" / ISHARES))
    http.script(
        "/v1/global", Reply.file(HTTP_FIXTURES / "coinpaprika" / "global_docs_example.json")
    )
    ticker = (HTTP_FIXTURES / "coinpaprika" / "tickers_btc-bitcoin_docs_example.json").read_bytes()
    # DERIVED: /v1/tickers answers a list of tickers; the recorded example is one of them.
    http.script("/v1/tickers", Reply(200, b"[" + ticker + b"]"))
    http.script(
        "/v1/tickers/btc-bitcoin/historical",
        Reply.file(HTTP_FIXTURES / "coinpaprika" / "tickers_historical_docs_example.json"),
    )


ISHARES = "IWM_holdings_2026-05-05_TRIMMED.csv"

# provider → (the value it delivers, as read from the sink; that value in its recording)
PROVIDERS: dict[str, tuple[Callable[[RecordingSink], object], object]] = {
    # the AAPL daily recording stands in for ^RUT; its last close
    "yahoo": (lambda sink: [float(t.price) for t in sink.ticks_of("^RUT", "yahoo")][:1], [244.87]),
    # WALCL 7,686,710 (USD mn) on 2024-01-10, in USD bn
    "fred": (lambda sink: _value(sink, "fed_total_assets", "fred"), pytest.approx(7686.710)),
    "coingecko": (
        lambda sink: _value(sink, "btc_dominance", "coingecko"),
        pytest.approx(50.4465263233584),
    ),
    "coinpaprika": (lambda sink: _value(sink, "btc_dominance", "coinpaprika"), 36.67),
    "alternative_me": (lambda sink: _value(sink, "fear_greed", "alternative_me"), 47.0),
    "ishares": (lambda sink: _value(sink, "iwm_shares_outstanding", "ishares"), 278_750_000.0),
    # with its key set: IWM's last close from the recorded daily answer (TSLA's, standing in)
    "twelvedata": (
        lambda sink: [float(t.price) for t in sink.ticks_of("IWM", "twelvedata")][-1:],
        [425.85001],
    ),
}


def _value(sink: RecordingSink, name: str, source: str) -> float | None:
    value = sink.last_context(name)
    return value.value if value is not None and value.source == source else None


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
async def test_context_values_from_each_provider_over_https(
    provider: str,
    direct_network: None,
    private_ca: PrivateCA,
    https: FakeHTTP,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Only ``provider`` enabled, at its default URL with host and port swapped; the CA
    trusted through ``[network] ca_file``."""
    monkeypatch.setenv("TWELVEDATA_API_KEY", "test-key")  # the keyed provider joins only so
    assert set(PROVIDERS) == set(DEFAULT_PROVIDERS)  # every shipped provider is here
    script_providers(https)
    script_more(https)
    endpoints = {
        name: dataclasses.replace(
            endpoint, url=swap_host(endpoint.url, https.port), enabled=name == provider
        )
        for name, endpoint in DEFAULT_PROVIDERS.items()
    }
    settings = settings_from_endpoints(
        endpoints,
        MARKETS,
        fred_series=("WALCL", "WTREGEN", "RRPONTSYD"),
        market_hours=False,
    )
    # The shipped rate budgets (Yahoo: a request every 2 s) would only slow the test.
    settings = dataclasses.replace(
        settings,
        providers={
            name: dataclasses.replace(cfg, min_interval_s=0.0)
            for name, cfg in settings.providers.items()
        },
    )
    assert settings.providers[provider].url.startswith("https://127.0.0.1:")
    sink = RecordingSink()
    read, expected = PROVIDERS[provider]
    async with new_client(settings, NetworkPolicy(ca_file=str(private_ca.ca_file))) as client:
        async with asyncio.timeout(20):
            await Poller(client, settings).run_once(sink)
    assert read(sink) == expected
    health = sink.last_health(provider)
    assert health is not None
    assert health.status == "ok", health
    # Every request went to the default URL's own path.
    default_path = urlsplit(DEFAULT_PROVIDERS[provider].url).path
    assert https.seen
    assert all(seen.path.startswith(default_path) for seen in https.seen)
