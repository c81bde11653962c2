"""Which path to the Russell 2000 works: each combination of a Yahoo that refuses plain
clients, the impersonate extra and the Twelve Data key, against fakes over TLS."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from urllib.parse import quote

import pytest

from r2kmon.net import NetworkPolicy
from r2kmon.sources import equity_check
from r2kmon.sources.equity_check import PathResult, check_paths, verdict
from r2kmon.sources.poller import ProviderSettings, new_client
from tests.fakes.http import FakeHTTP, Reply
from tests.fakes.tls import PrivateCA
from tests.sources.src_helpers import shared

RUT = f"/v8/finance/chart/{quote('^RUT', safe='')}"
BLOCKED = Reply.file(shared("yahoo_chart", "error_429_body_variant_b.txt"), 429)
KEY_ENV = "R2KMON_TEST_TWELVEDATA_KEY"
KEY = "td-check-key-9876543210"


@pytest.fixture
async def fake(private_ca: PrivateCA) -> AsyncIterator[FakeHTTP]:
    server = FakeHTTP()
    await server.start(ssl=private_ca.server_context())
    server.script(RUT, Reply.file(shared("yahoo_chart", "aapl_1d_period_with_events.json")))
    server.script(
        "/time_series?symbol=IWM",
        Reply.file(shared("twelvedata", "time_series_TSLA_1day_2rows_2025-09-23.json")),
    )
    yield server
    await server.stop()


async def run(fake: FakeHTTP, private_ca: PrivateCA, transport: str = "auto") -> list[PathResult]:
    providers = {
        "yahoo": ProviderSettings(fake.base, transport=transport),
        "twelvedata": ProviderSettings(fake.base, api_key_env=KEY_ENV),
    }
    policy = NetworkPolicy(ca_file=str(private_ca.ca_file))
    async with new_client(network=policy) as client, asyncio.timeout(30):
        return await check_paths(providers, client, policy, timeout=5.0)


def table(results: list[PathResult]) -> list[tuple[str, str, bool]]:
    return [(r.path, r.symbol, r.served) for r in results]


async def test_everything_served(
    fake: FakeHTTP, private_ca: PrivateCA, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_ENV, KEY)
    results = await run(fake, private_ca)
    assert table(results) == [
        ("yahoo (httpx)", "^RUT", True),
        ("yahoo (browser impersonation)", "^RUT", True),
        ("twelvedata", "IWM for ^RUT", True),
    ]
    assert results[0].detail == "^RUT 244.87"
    assert results[2].detail == "IWM 425.85001"
    assert verdict(results) is None
    assert all(KEY not in f"{r.detail} {r.fix}" for r in results)


async def test_yahoo_refuses_plain_clients_and_impersonation_serves(
    fake: FakeHTTP, private_ca: PrivateCA, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    fake.gate(RUT, "sec-ch-ua", BLOCKED)
    results = await run(fake, private_ca)
    assert table(results) == [
        ("yahoo (httpx)", "^RUT", False),
        ("yahoo (browser impersonation)", "^RUT", True),
        ("twelvedata", "IWM for ^RUT", False),
    ]
    assert results[0].detail.startswith("rate-limited: HTTP 429 Edge: Too Many Requests")
    assert results[2].fix == f"set ${KEY_ENV} (a free Twelve Data key)"
    assert not results[2].tried
    assert verdict(results) is None  # ^RUT is had: auto switches to what served it


async def test_yahoo_refuses_and_nothing_else_is_set_up(
    fake: FakeHTTP, private_ca: PrivateCA, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.setattr(equity_check, "available", lambda: False)
    fake.gate(RUT, "sec-ch-ua", BLOCKED)
    results = await run(fake, private_ca)
    assert [r.served for r in results] == [False, False, False]
    assert results[1].detail == "not installed"
    assert verdict(results) == (
        "Yahoo answers 429 to this network: pip install 'r2kmon[impersonate]', "
        f"or set ${KEY_ENV} (a free Twelve Data key)"
    )
    assert len(fake.hits(RUT)) == 1  # only the plain path could be tried
    assert not fake.hits("/time_series")


async def test_yahoo_refuses_and_the_key_serves_iwm(
    fake: FakeHTTP, private_ca: PrivateCA, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_ENV, KEY)
    fake.gate(RUT, "sec-ch-ua", BLOCKED)
    results = await run(fake, private_ca, transport="httpx")
    assert table(results) == [
        ("yahoo (httpx)", "^RUT", False),
        ("twelvedata", "IWM for ^RUT", True),
    ]
    assert verdict(results) is None
    (seen,) = fake.hits("/time_series")
    assert seen.headers["authorization"] == f"apikey {KEY}"
