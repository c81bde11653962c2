"""What a hostile HTTP server cannot make the poller do (issue 12, items 2 and 6a).

* An endless body is read up to the provider's cap and no further: the fake counts the
  bytes it managed to hand to the kernel, which stay bounded, and the provider's health
  says why. Before the cap the client read 2.1 GB in a minute.
* A request carrying an API key is never redirected to another origin: a second fake, the
  "other host", records the headers of every request that reaches it, and none does. The
  same redirect without a key is followed (the fakes really redirect), and a same-origin
  redirect with the key is followed too.

Both fakes speak TLS with certificates of the private test CA, and the poller's client is
the runtime's own (:func:`~r2kmon.sources.poller.new_client`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterator

import httpx
import pytest

from r2kmon.model.health import failure_headline
from r2kmon.net.http import BodyTooLarge, send_capped
from r2kmon.redact import forget_secrets
from r2kmon.sources.poller import Poller, PollerSettings, ProviderSettings, new_client
from tests.fakes.http import FakeHTTP, Reply
from tests.fakes.sinks import RecordingSink
from tests.fakes.tls import PrivateCA
from tests.sources.src_helpers import shared

pytestmark = pytest.mark.timeout(60)

CAP = 1_000_000
KEY_ENV = "R2KMON_TEST_COINGECKO_KEY"
KEY = "CG-plantedKey0123456789abcd"
GLOBAL = shared("coingecko", "global_docs_example_2024-04-07.json")


@pytest.fixture
async def server(trusted: PrivateCA) -> AsyncIterator[FakeHTTP]:
    fake = FakeHTTP()
    await fake.start(ssl=trusted.server_context())
    yield fake
    await fake.stop()


@pytest.fixture
async def other_host(trusted: PrivateCA) -> AsyncIterator[FakeHTTP]:
    """A second server, another origin (its own port): where a key must never arrive."""
    fake = FakeHTTP()
    await fake.start(ssl=trusted.server_context())
    yield fake
    await fake.stop()


@pytest.fixture
async def client(trusted: PrivateCA) -> AsyncIterator[httpx.AsyncClient]:
    async with new_client() as http:
        yield http


@pytest.fixture
def planted_key(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The CoinGecko key in the environment; the process's registry emptied afterwards."""
    monkeypatch.setenv(KEY_ENV, KEY)
    yield KEY
    forget_secrets()


def poller_settings(base: str, provider: str, **fields: object) -> PollerSettings:
    values: dict[str, object] = {"min_interval_s": 0.0, "backoff_base_s": 60.0}
    values.update(fields)
    return PollerSettings(
        providers={provider: ProviderSettings(f"{base}/{provider}", **values)},  # type: ignore[arg-type]
        market_symbols=(),
        fred_series=(),
        market_hours=False,
        timeout_s=5.0,
        deadline_s=50.0,
        jitter=0.0,
    )


@contextlib.asynccontextmanager
async def running(poller: Poller, sink: RecordingSink) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(poller.run(sink))
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def until(check: Callable[[], bool]) -> None:
    while not check():  # noqa: ASYNC110 - a condition on recorded state, bounded by the caller
        await asyncio.sleep(0.01)


def down(sink: RecordingSink, name: str) -> str | None:
    """The first reason of ``name``'s latest record if it is down."""
    records = [h for h in sink.health if h.name == name]
    if not records or records[-1].status != "down":
        return None
    return failure_headline(records[-1])


# --- item 2: the body cap ---------------------------------------------------------------


async def test_an_endless_body_is_cut_at_the_cap_and_health_says_why(
    server: FakeHTTP, client: httpx.AsyncClient
) -> None:
    server.script("/alternative_me/fng/", Reply(200, b'{"data": [', endless=True))
    config = poller_settings(server.base, "alternative_me", max_body=CAP)
    sink = RecordingSink()
    async with asyncio.timeout(30), running(Poller(client, config), sink) as task:
        await until(lambda: down(sink, "alternative_me") is not None)
        await until(lambda: server.hung_up >= 1)  # the client closed the connection
        assert not task.done(), "the poller stopped"
    error = down(sink, "alternative_me")
    assert error == (
        "bad body: answer larger than 1MB; reading stopped there; "
        "[providers.alternative_me] max_body raises the cap"
    )
    # Bounded by the cap plus what loopback's socket buffers hold (a few MB each way),
    # however long the server would have gone on: the uncapped client read until the
    # 50 s deadline, gigabytes.
    assert CAP < server.body_bytes_sent < CAP + 32_000_000
    assert len(server.hits("/alternative_me/fng/")) == 1  # not retried before the backoff


async def test_a_declared_length_past_the_cap_is_refused_before_reading(
    server: FakeHTTP, client: httpx.AsyncClient
) -> None:
    body = GLOBAL.read_bytes()
    server.script("/big", Reply(200, body))
    request = httpx.Request("GET", f"{server.base}/big")
    with pytest.raises(BodyTooLarge):
        await send_capped(client, request, len(body) - 1)
    response = await send_capped(client, request, len(body))  # exactly the cap: read
    assert response.content == body


# --- item 6a: no key to another origin ----------------------------------------------------


async def test_a_keyed_request_is_not_redirected_to_another_origin(
    server: FakeHTTP, other_host: FakeHTTP, client: httpx.AsyncClient, planted_key: str
) -> None:
    elsewhere = f"{other_host.base}/coingecko/global"
    server.script("/coingecko/global", Reply(302, headers={"Location": elsewhere}))
    other_host.script("/coingecko/global", Reply.file(GLOBAL))
    config = poller_settings(server.base, "coingecko", api_key_env=KEY_ENV)
    sink = RecordingSink()
    async with asyncio.timeout(30), running(Poller(client, config), sink):
        await until(lambda: down(sink, "coingecko") is not None)
    assert server.hits("/coingecko/global")[0].headers["x-cg-demo-api-key"] == planted_key
    assert other_host.seen == []  # neither the key nor anything else went there
    assert down(sink, "coingecko") == (
        f"redirect refused: redirect from https://127.0.0.1:{server.port} to another origin "
        f"(https://127.0.0.1:{other_host.port}) refused: the request carries an API key"
    )


async def test_without_a_key_the_same_redirect_is_followed(
    server: FakeHTTP,
    other_host: FakeHTTP,
    client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The control: the fakes really redirect, and the refusal above is about the key."""
    monkeypatch.delenv(KEY_ENV, raising=False)
    elsewhere = f"{other_host.base}/coingecko/global"
    server.script("/coingecko/global", Reply(302, headers={"Location": elsewhere}))
    other_host.script("/coingecko/global", Reply.file(GLOBAL))
    config = poller_settings(server.base, "coingecko", api_key_env=KEY_ENV)
    sink = RecordingSink()
    async with asyncio.timeout(30), running(Poller(client, config), sink):
        await until(lambda: any(v.source == "coingecko" for v in sink.context))
    (arrived,) = other_host.hits("/coingecko/global")
    assert "x-cg-demo-api-key" not in arrived.headers


async def test_a_keyed_request_follows_a_redirect_on_its_own_origin(
    server: FakeHTTP, client: httpx.AsyncClient, planted_key: str
) -> None:
    server.script("/coingecko/global", Reply(301, headers={"Location": "/coingecko/v2/global"}))
    server.script("/coingecko/v2/global", Reply.file(GLOBAL))
    config = poller_settings(server.base, "coingecko", api_key_env=KEY_ENV)
    sink = RecordingSink()
    async with asyncio.timeout(30), running(Poller(client, config), sink):
        await until(lambda: any(v.source == "coingecko" for v in sink.context))
    (arrived,) = server.hits("/coingecko/v2/global")
    assert arrived.headers["x-cg-demo-api-key"] == planted_key
