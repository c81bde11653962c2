"""Every client through an HTTP ``CONNECT`` proxy, TLS still checked end to end.

A fake proxy (:class:`tests.fakes.proxy.ConnectProxy`) records each ``CONNECT`` target and
tunnels the bytes untouched, as a company proxy does for TLS. The clients the app runs —
the websocket feed (``crypto_producers``), the HTTP poller (``new_client``) for the
providers and for the exchanges' REST candles — reach fakes at the shipped default URLs
(host and port swapped), each its own fake so the proxy's log tells them apart. The proxy
is chosen the three ways a user can: ``HTTPS_PROXY``, ``NetworkPolicy(proxy=...)``,
``[network] proxy`` in the config; ``NO_PROXY`` sends a host direct; ``ALL_PROXY`` counts
for the websocket too (r2kmon decides that itself: websockets alone reads only
``HTTPS_PROXY``). The private CA is trusted through ``SSL_CERT_FILE``; the fixture
``trusted`` exempts loopback through ``NO_PROXY``, which every test here overrides.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from r2kmon.clock import FrozenClock
from r2kmon.config import DEFAULT_EXCHANGES, DEFAULT_PROVIDERS, parse_config
from r2kmon.feeds.producers import crypto_producers
from r2kmon.net import NetworkPolicy
from r2kmon.sources.poller import Poller, PollerSettings, new_client, settings_from_endpoints
from tests.fakes.exchanges import FakeExchange
from tests.fakes.http import FakeHTTP, Reply
from tests.fakes.providers import script_providers
from tests.fakes.proxy import ConnectProxy
from tests.fakes.sinks import RecordingSink, wait_until
from tests.fakes.tls import PROXY_VARIABLES, PrivateCA, swap_host
from tests.paths import HTTP_FIXTURES

pytestmark = pytest.mark.timeout(60)

FAST: dict[str, Any] = {
    "ping_interval": None,
    "ping_timeout": None,
    "open_timeout": 2.0,
    "backoff_initial": 0.05,
    "backoff_max": 0.2,
    "health_interval": 0.05,
}
LTC_NOW = 1781924220.0  # 2026-06-20 02:57 UTC: the three minutes of the capture are closed


@dataclass
class Fakes:
    exchange: FakeExchange
    providers: FakeHTTP
    rest: FakeHTTP

    def targets(self) -> dict[str, str]:
        """What the proxy would be asked to ``CONNECT`` to, per client."""
        return {
            "feed": f"127.0.0.1:{self.exchange.port}",
            "poller": f"127.0.0.1:{self.providers.port}",
            "backfill": f"127.0.0.1:{self.rest.port}",
        }


@pytest.fixture
def no_env_proxy(trusted: PrivateCA, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CA trusted through ``SSL_CERT_FILE``; no proxy variable at all, not even the
    ``NO_PROXY`` that ``trusted`` sets (each test sets what it is about)."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
async def proxy() -> AsyncIterator[ConnectProxy]:
    server = await ConnectProxy().start()
    yield server
    await server.stop()


async def start_fakes(tls_exchange: Any, tls_http: Any) -> Fakes:
    exchange = await FakeExchange("binance", {"BTCUSDT"}).start(ssl=tls_exchange)
    providers, rest = FakeHTTP(), FakeHTTP()
    await providers.start(ssl=tls_http)
    await rest.start(ssl=tls_http)
    script_providers(providers)
    script_providers(rest)
    rest.script(
        "/api/v3/klines",
        Reply.file(HTTP_FIXTURES / "binance" / "klines_LTCUSDT_1m_limit3_2026-06-20.json"),
    )
    return Fakes(exchange, providers, rest)


async def stop_fakes(fakes: Fakes) -> None:
    await fakes.exchange.stop()
    await fakes.providers.stop()
    await fakes.rest.stop()


@pytest.fixture
async def fakes(private_ca: PrivateCA) -> AsyncIterator[Fakes]:
    """The three fakes, with certificates the trusted CA issued."""
    started = await start_fakes(private_ca.server_context(), private_ca.server_context())
    yield started
    await stop_fakes(started)


def poller_settings(port: int) -> PollerSettings:
    """Only Fear & Greed, at its default URL on ``port``."""
    endpoints = {
        name: dataclasses.replace(
            endpoint, url=swap_host(endpoint.url, port), enabled=name == "alternative_me"
        )
        for name, endpoint in DEFAULT_PROVIDERS.items()
    }
    return settings_from_endpoints(endpoints, (), fred_series=(), market_hours=False, timeout_s=5.0)


@dataclass
class Reached:
    """What each client got (or why not)."""

    feed: RecordingSink
    poller: RecordingSink
    backfill: RecordingSink


async def reach_everything(
    fakes: Fakes, policy: NetworkPolicy, *, expect_data: bool = True
) -> Reached:
    """Run the feed, one poll and one backfill pass against ``fakes`` under ``policy``;
    with ``expect_data``, until the feed has streamed prices (else until it is down)."""
    feed_sink, poller_sink, backfill_sink = RecordingSink(), RecordingSink(), RecordingSink()
    (feeds,) = crypto_producers(
        ["BTC-USD"],
        ["binance"],
        urls={"binance": swap_host(DEFAULT_EXCHANGES["binance"].url, fakes.exchange.port)},
        breadth=False,
        network=policy,
        **FAST,
    )
    task = asyncio.create_task(feeds.run(feed_sink))
    try:
        async with asyncio.timeout(30):
            settings = poller_settings(fakes.providers.port)
            async with new_client(settings, policy) as client:
                await Poller(client, settings).run_once(poller_sink)
            rest = swap_host(DEFAULT_EXCHANGES["binance"].rest_url, fakes.rest.port)
            history = settings_from_endpoints(
                {},
                (),
                crypto_symbols=["LTC-USD"],
                rest_urls={"binance": rest},
                history_intervals=("1m",),
                history_minute_hours=0.05,
                market_hours=False,
            )
            async with new_client(history, policy) as client:
                poller = Poller(client, history, clock=FrozenClock(LTC_NOW))
                await poller.run_once(backfill_sink)
            if expect_data:
                await wait_until(lambda: len(feed_sink.ticks_of("BTC-USD")) >= 3, timeout=20)
            else:
                await wait_until(
                    lambda: getattr(feed_sink.last_health("binance"), "status", "") == "down",
                    timeout=20,
                )
        assert not task.done()
    finally:
        task.cancel()
        await asyncio.wait({task})
    return Reached(feed_sink, poller_sink, backfill_sink)


def check_data(reached: Reached) -> None:
    """Each client got its data: the TLS handshake with the fake, through the tunnel or
    not, succeeded with certificates checked."""
    assert reached.feed.ticks_of("BTC-USD", "binance")
    fear = reached.poller.last_context("fear_greed")
    assert fear is not None
    assert fear.value == 47.0
    assert [b[:2] for b in reached.backfill.bars] == [("LTC-USD", "1m")]


def config_policy(tmp_path: Path, proxy_url: str) -> NetworkPolicy:
    """The policy a config file with ``[network] proxy`` gives."""
    path = tmp_path / "proxy.toml"
    text = f'[network]\nproxy = "{proxy_url}"\n'
    return parse_config(text, path).network.policy()


@pytest.mark.parametrize("how", ["HTTPS_PROXY", "NetworkPolicy(proxy=...)", "[network] proxy"])
async def test_every_client_goes_through_the_proxy(
    how: str,
    no_env_proxy: None,
    proxy: ConnectProxy,
    fakes: Fakes,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    if how == "HTTPS_PROXY":
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        policy = NetworkPolicy()
    elif how == "NetworkPolicy(proxy=...)":
        policy = NetworkPolicy(proxy=proxy.url)
    else:
        policy = config_policy(tmp_path, proxy.url)
    check_data(await reach_everything(fakes, policy))
    assert set(proxy.targets) == set(fakes.targets().values()), proxy.targets
    assert proxy.refused == []  # TLS through a tunnel: no plain request went to the proxy


async def test_through_the_proxy_certificates_are_still_checked(
    no_env_proxy: None, proxy: ConnectProxy, private_ca: PrivateCA, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The proxy only carries bytes: a certificate for another host is refused as it
    would be on a direct connection."""
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    wrong = private_ca.server_context("example.test")
    impostors = await start_fakes(wrong, wrong)
    try:
        reached = await reach_everything(impostors, NetworkPolicy(), expect_data=False)
    finally:
        await stop_fakes(impostors)
    mismatch = "certificate verify failed: IP address mismatch"
    feed = reached.feed.last_health("binance")
    poller = reached.poller.last_health("alternative_me")
    backfill = reached.backfill.last_health("backfill")
    for health in (feed, poller, backfill):
        assert health is not None
        assert mismatch in (health.last_error or ""), health
        assert health.fault == "certificate rejected"
    assert not reached.feed.ticks
    assert not reached.poller.context
    assert not reached.backfill.bars
    assert set(proxy.targets) == set(impostors.targets().values())


@pytest.mark.parametrize("how", ["HTTPS_PROXY", "NetworkPolicy(proxy=...)"])
async def test_no_proxy_sends_the_host_direct(
    how: str,
    no_env_proxy: None,
    proxy: ConnectProxy,
    fakes: Fakes,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    if how == "HTTPS_PROXY":
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        policy = NetworkPolicy()
    else:
        policy = NetworkPolicy(proxy=proxy.url)
    check_data(await reach_everything(fakes, policy))
    assert proxy.targets == []


async def test_all_proxy_counts_for_the_websocket_too(
    no_env_proxy: None, proxy: ConnectProxy, fakes: Fakes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only ``ALL_PROXY`` set: websockets on its own would connect directly; r2kmon's
    policy sends the websocket through the proxy like the HTTP clients."""
    monkeypatch.setenv("ALL_PROXY", proxy.url)
    check_data(await reach_everything(fakes, NetworkPolicy()))
    assert set(proxy.targets) == set(fakes.targets().values()), proxy.targets
    assert fakes.targets()["feed"] in proxy.targets
