"""Yahoo's browser-grade transport: ``auto`` switches after repeated 429s and says so; the
impersonating transport reaches the private-CA fakes over TLS, trusting the CA file.

The fake Yahoo tells browsers from scripts by a header Chrome sends and httpx never does
(``sec-ch-ua``); the TLS hello itself cannot be checked by an ``ssl``-module server.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from r2kmon.config import load_config
from r2kmon.errors import ConfigError
from r2kmon.net import NetworkPolicy, describe_failure
from r2kmon.net.failure import CERTIFICATE
from r2kmon.sources import scheduler as scheduler_module
from r2kmon.sources.poller import (
    Poller,
    PollerSettings,
    ProviderSettings,
    new_client,
    settings_from_endpoints,
)
from r2kmon.sources.transport import EXTRA, ImpersonatingTransport
from tests.fakes.http import FakeHTTP, Reply
from tests.fakes.proxy import ConnectProxy
from tests.fakes.sinks import RecordingSink
from tests.fakes.tls import PROXY_VARIABLES, PrivateCA
from tests.sources.src_helpers import shared

DAILY = shared("yahoo_chart", "aapl_1d_period_with_events.json")
BLOCKED = Reply.file(shared("yahoo_chart", "error_429_body_variant_a.txt"), 429)
RUT = f"/v8/finance/chart/{quote('^RUT', safe='')}"
BROWSER_ONLY = "sec-ch-ua"


@pytest.fixture
async def yahoo(private_ca: PrivateCA) -> AsyncIterator[FakeHTTP]:
    fake = FakeHTTP()
    await fake.start(ssl=private_ca.server_context())
    fake.script(RUT, Reply.file(DAILY))
    fake.gate(RUT, BROWSER_ONLY, BLOCKED)
    yield fake
    await fake.stop()


def settings(base: str, transport: str) -> PollerSettings:
    fast = {"min_interval_s": 0.0, "backoff_base_s": 0.05, "backoff_cap_s": 0.1}
    return PollerSettings(
        providers={"yahoo": ProviderSettings(base, transport=transport, **fast)},  # type: ignore[arg-type]
        market_symbols=("^RUT",),
        fred_series=(),
        market_hours=False,
        intraday=False,
        timeout_s=5.0,
        deadline_s=10.0,
        jitter=0.0,
    )


async def poll_until_served(poller: Poller, sink: RecordingSink) -> None:
    """Run the poller's due jobs until ^RUT is served (callers bound this with a timeout)."""
    await poller.run_once(sink)
    while not sink.ticks_of("^RUT"):
        if not await poller.run_due():
            await asyncio.sleep(0.02)


async def test_auto_switches_to_impersonation_after_repeated_429s_and_says_so(
    yahoo: FakeHTTP, private_ca: PrivateCA
) -> None:
    # The CA reaches both clients through [network] ca_file only: not SSL_CERT_FILE.
    policy = NetworkPolicy(ca_file=str(private_ca.ca_file))
    sink = RecordingSink()
    async with new_client(network=policy) as client, asyncio.timeout(30):
        poller = Poller(client, settings(yahoo.base, "auto"), network=policy)
        await poll_until_served(poller, sink)

    hits = yahoo.hits(RUT)
    plain = [seen for seen in hits if BROWSER_ONLY not in seen.headers]
    browser = [seen for seen in hits if BROWSER_ONLY in seen.headers]
    assert len(plain) == scheduler_module.SWITCH_AFTER  # refused twice, then switched
    assert browser  # the browser-grade transport got the answer
    assert hits.index(browser[0]) == len(plain)  # and never went back to plain httpx
    assert "Chrome" in browser[0].headers["user-agent"]
    (tick,) = sink.ticks_of("^RUT")
    assert tick.source == "yahoo"
    assert tick.price == Decimal("244.87")  # meta.regularMarketPrice of the recording
    yahoo_health = sink.last_health("yahoo")
    assert yahoo_health is not None
    assert yahoo_health.status == "ok"
    assert yahoo_health.last_error == "rate-limited on httpx → using browser impersonation"


async def test_httpx_never_switches(yahoo: FakeHTTP, private_ca: PrivateCA) -> None:
    policy = NetworkPolicy(ca_file=str(private_ca.ca_file))
    sink = RecordingSink()
    async with new_client(network=policy) as client, asyncio.timeout(30):
        poller = Poller(client, settings(yahoo.base, "httpx"), network=policy)
        await poller.run_once(sink)
        while len(yahoo.hits(RUT)) < scheduler_module.SWITCH_AFTER + 1:
            if not await poller.run_due():
                await asyncio.sleep(0.02)

    assert all(BROWSER_ONLY not in seen.headers for seen in yahoo.hits(RUT))
    assert not sink.ticks_of("^RUT")
    health = sink.last_health("yahoo")
    assert health is not None
    assert health.last_error is not None
    assert "rate-limited: HTTP 429 Too Many Requests" in health.last_error
    assert "impersonation" not in health.last_error


async def test_without_the_extra_the_429_says_how_to_install_it(
    yahoo: FakeHTTP, private_ca: PrivateCA, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scheduler_module, "available", lambda: False)
    policy = NetworkPolicy(ca_file=str(private_ca.ca_file))
    sink = RecordingSink()
    async with new_client(network=policy) as client, asyncio.timeout(30):
        await Poller(client, settings(yahoo.base, "auto"), network=policy).run_once(sink)

    health = sink.last_health("yahoo")
    assert health is not None
    assert health.last_error is not None
    assert health.last_error.startswith(
        f"rate-limited on httpx: {EXTRA} for a browser-grade transport · rate-limited: HTTP 429"
    )
    assert all(BROWSER_ONLY not in seen.headers for seen in yahoo.hits(RUT))


async def test_impersonating_transport_honours_the_ca_file(
    yahoo: FakeHTTP, private_ca: PrivateCA
) -> None:
    url = yahoo.base + RUT + "?interval=1d"
    trusting = httpx.AsyncClient(
        transport=ImpersonatingTransport(NetworkPolicy(ca_file=str(private_ca.ca_file)))
    )
    async with trusting, asyncio.timeout(20):
        answer = await trusting.get(url)
    assert answer.status_code == 200
    assert answer.json()["chart"]["result"][0]["meta"]["symbol"] == "AAPL"
    # Without the CA file the private CA is unknown: the certificate is refused, as httpx
    # refuses it, and the failure reads as one.
    refusing = httpx.AsyncClient(transport=ImpersonatingTransport(NetworkPolicy()))
    async with refusing, asyncio.timeout(20):
        with pytest.raises(httpx.ConnectError) as caught:
            await refusing.get(url)
    assert describe_failure(caught.value, url).fault == CERTIFICATE


def test_the_config_takes_a_transport_for_yahoo_only(tmp_path: Path) -> None:
    assert load_config(None).providers["yahoo"].transport == "auto"
    good = tmp_path / "good.toml"
    good.write_text('[providers.yahoo]\ntransport = "impersonate"\n')
    config = load_config(good)
    assert config.providers["yahoo"].transport == "impersonate"
    tables = settings_from_endpoints(config.providers, ("^RUT",)).providers
    assert tables["yahoo"].transport == "impersonate"
    for text, why in [
        ('[providers.yahoo]\ntransport = "curl"\n', "must be auto, httpx or impersonate"),
        ('[providers.fred]\ntransport = "auto"\n', "only [providers.yahoo] has a transport"),
    ]:
        bad = tmp_path / "bad.toml"
        bad.write_text(text)
        with pytest.raises(ConfigError) as caught:
            load_config(bad)
        assert why in caught.value.message


async def test_impersonating_transport_goes_through_the_configured_proxy(
    yahoo: FakeHTTP, private_ca: PrivateCA, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)  # [network] proxy alone decides
    proxy = await ConnectProxy().start()
    try:
        policy = NetworkPolicy(ca_file=str(private_ca.ca_file), proxy=proxy.url)
        client = httpx.AsyncClient(transport=ImpersonatingTransport(policy))
        async with client, asyncio.timeout(20):
            answer = await client.get(yahoo.base + RUT + "?interval=1d")
    finally:
        await proxy.stop()
    assert answer.status_code == 200
    assert proxy.targets == [f"127.0.0.1:{yahoo.port}"]  # tunnelled, TLS end to end
