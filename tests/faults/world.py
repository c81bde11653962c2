"""The whole app against fake exchanges and providers over TLS, with every timer short.

:func:`running` starts, on the test's event loop: two fake exchanges (Binance first in
priority, Coinbase behind it, both serving ``wss://`` on their real paths with frames
stamped by the real clock, as a live exchange does), one fake ``https://`` server scripted
for every provider on its real paths (Yahoo's intraday chart shifted to now, so a market
quote can be fresh), a config file of the shipped defaults with only host and port
swapped (:func:`tests.fakes.tls.derived_endpoints`), loaded by the real loader, and the
:class:`~r2kmon.runtime.Runtime` built from it as ``r2kmon snapshot`` and the UI build it:
the producers by :func:`~r2kmon.runtime.engine.build_producers`, the store by
:func:`~r2kmon.runtime.engine.open_history`, the status file, the analysis.

The timers: what the config can say, it says (``[general] stale_after_s``); the reconnect
delays, watchdogs, failover window and poll intervals have no config keys (a user has no
business with them), so the two factories the engine calls are wrapped to shorten them,
and only them: :func:`r2kmon.feeds.producers.crypto_producers` gets the test-sized
:class:`~r2kmon.feeds.connection.FeedSettings` overrides and failover window,
:func:`r2kmon.sources.poller.settings_from_endpoints` polls every provider about twice a
second without rate budget. Everything else — URLs, TLS policy, clock-skew window, the
adapters, the poller's schedule and fallbacks, the supervisor, the store — is the app's.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import json
import socket
import struct
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from r2kmon.config import load_config
from r2kmon.feeds import producers as feed_producers
from r2kmon.feeds.failover import FailoverSettings
from r2kmon.runtime import Runtime, market_hours, open_history
from r2kmon.runtime.snapshot import build_document
from r2kmon.sources import poller as source_poller
from tests.fakes.exchanges import FakeExchange
from tests.fakes.http import FakeHTTP, Reply
from tests.fakes.providers import MARKETS, chart_path, script_providers
from tests.fakes.sinks import wait_until
from tests.fakes.tcp import TcpServer
from tests.fakes.tls import PrivateCA, derived_endpoints, toml_tables
from tests.paths import HTTP_FIXTURES

CRYPTO = ("BTC-USD", "ETH-USD")
LISTED = {"binance": {"BTCUSDT", "ETHUSDT"}, "coinbase": {"BTC-USD", "ETH-USD"}}
STALE_AFTER_S = 2.0
"""``[general] stale_after_s``: a streamed price older than this is stale."""

FAST_FEEDS: dict[str, Any] = {
    "stall_timeout": 1.0,
    "silence_timeout": 1.0,
    "ping_interval": None,
    "ping_timeout": None,
    "open_timeout": 1.5,
    "close_timeout": 0.2,
    "backoff_initial": 0.05,
    "backoff_max": 0.3,
    "min_reconnect_interval": 0.0,
    "fatal_retry": 1.0,
    "health_interval": 0.1,
}
FAST_FAILOVER = FailoverSettings(stale_after=0.8, check_interval=0.1)
FAST_POLLS: dict[str, Any] = {
    "market_hours": False,
    "intraday_open_s": 0.4,
    "daily_every_s": 5.0,
    "crypto_global_every_s": 0.4,
    "top_coins_every_s": 5.0,
    "coin_history_every_s": 5.0,
    "fear_greed_every_s": 0.5,
    "fred_every_s": 2.0,
    "ishares_every_s": 5.0,
    "history_retry_s": 0.5,
    "history_retry_max_s": 1.0,
    "timeout_s": 3.0,
    "deadline_s": 5.0,
    "jitter": 0.0,
}
POLITE_BUT_QUICK: dict[str, Any] = {
    "min_interval_s": 0.0,
    "backoff_base_s": 0.2,
    "backoff_cap_s": 0.5,
}
"""Per provider: no rate budget, a backoff in tenths of seconds (a longer Retry-After
from the server still wins, as in the app)."""


def shorten_timers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Wrap the two factories :func:`~r2kmon.runtime.engine.build_producers` calls (it
    imports them when called, so the module attributes are what it gets)."""
    make_feeds = feed_producers.crypto_producers
    make_settings = source_poller.settings_from_endpoints

    def feeds(*args: Any, **kwargs: Any) -> Any:
        return make_feeds(*args, **{"failover": FAST_FAILOVER, **kwargs, **FAST_FEEDS})

    def settings(*args: Any, **kwargs: Any) -> Any:
        built = make_settings(*args, **{**kwargs, **FAST_POLLS})
        quick = {
            name: dataclasses.replace(provider, **POLITE_BUT_QUICK)
            for name, provider in built.providers.items()
        }
        return dataclasses.replace(built, providers=quick)

    monkeypatch.setattr(feed_producers, "crypto_producers", feeds)
    monkeypatch.setattr(source_poller, "settings_from_endpoints", settings)


def shifted_to_now(path: Path, now: float) -> bytes:
    """A recorded Yahoo chart with every time in it moved so its last bar is a minute old
    (a market quote that can be live; the recording's own times are months old)."""
    body = json.loads(path.read_text())
    result = body["chart"]["result"][0]
    newest = max(*result["timestamp"], result["meta"]["regularMarketTime"])
    delta = int(now - 60 - newest)

    def shift(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: shift(v) for k, v in value.items()}
        if isinstance(value, list):
            return [shift(v) for v in value]
        if isinstance(value, int) and not isinstance(value, bool) and 1e9 < value < 3e9:
            return value + delta
        return value

    return json.dumps(shift(body)).encode()


class Blackhole(TcpServer):
    """Accepts TCP connections and never answers or closes them: a firewall that drops
    packets after the handshake, a dead middlebox."""

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await asyncio.Event().wait()
        finally:
            sock = writer.get_extra_info("socket")
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()

    async def start_on(self, port: int) -> Blackhole:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", port)
        self.port = port
        return self


@dataclass
class World:
    """The running app and the fakes it talks to."""

    runtime: Runtime
    exchanges: dict[str, FakeExchange]
    http: FakeHTTP
    tmp: Path
    ca: PrivateCA
    store_path: Path
    status_path: Path
    config_path: Path
    task: asyncio.Task[None] | None = None
    blackholes: dict[str, Blackhole] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)

    def doc(self) -> dict[str, Any]:
        """The ``snapshot --json`` document of the state now, as the command builds it."""
        return build_document(self.runtime.state(), self.runtime.clock.now())

    def health(self, name: str) -> dict[str, Any]:
        record: dict[str, Any] = self.doc()["health"].get(name) or {}
        return record

    def quote(self, symbol: str) -> dict[str, Any]:
        quote: dict[str, Any] = self.doc()["quotes"].get(symbol) or {}
        return quote

    async def until(self, predicate: Callable[[], bool], what: str, timeout: float = 30) -> None:
        """Poll ``predicate``; fail naming ``what`` and the document as it stood."""
        try:
            await wait_until(predicate, timeout=timeout)
        except TimeoutError:
            doc = self.doc()
            shown = {"quotes": doc["quotes"], "health": doc["health"]}
            pytest.fail(f"not seen within {timeout} s: {what}\n{json.dumps(shown, indent=1)}")
        self.check_running()

    def check_running(self) -> None:
        """The app stays up: the runtime task is alive (under the UI, the app runs it and
        the UI test checks the app)."""
        assert self.task is None or not self.task.done(), self.task

    # --- fault helpers -------------------------------------------------------------------

    async def send_to_clients(self, exchange: str, frames: list[str | bytes]) -> int:
        """Send ``frames`` on every open connection of ``exchange``'s fake; how many got
        them (the frames go in between the fake's own data frames)."""
        server = self.exchanges[exchange].server
        assert server is not None
        connections = list(server.connections)
        for connection in connections:
            for frame in frames:
                await connection.send(frame)
        return len(connections)

    async def refuse(self, exchange: str) -> None:
        """Stop the fake: its port refuses connections."""
        fake = self.exchanges[exchange]
        self.ports[exchange] = fake.port
        await fake.stop()

    async def blackhole(self, exchange: str) -> None:
        """Stop the fake and leave a server on its port that accepts and says nothing."""
        await self.refuse(exchange)
        self.blackholes[exchange] = await Blackhole().start_on(self.ports[exchange])

    async def restore(self, exchange: str) -> None:
        """The fake back on its old port, as it was (TLS again)."""
        hole = self.blackholes.pop(exchange, None)
        if hole is not None:
            await hole.stop()
        fake = self.exchanges[exchange]
        fake.faults = ()
        if fake.server is None:
            await fake.start(self.ports[exchange])


def write_config(
    tmp: Path,
    exchanges: Mapping[str, FakeExchange],
    http: FakeHTTP,
    store_path: Path,
) -> Path:
    tables: dict[str, Mapping[str, object]] = {
        "crypto": {"symbols": list(CRYPTO), "exchanges": list(exchanges), "breadth": False},
        "markets": {"symbols": list(MARKETS)},
        "store": {"path": str(store_path)},
    }
    tables.update(derived_endpoints({n: f.port for n, f in exchanges.items()}, http.port))
    # CoinPaprika (CoinGecko's fallback) and iShares are not scripted: off, so a provider
    # outage below is CoinGecko's alone.
    tables["providers.coinpaprika"] = {**tables["providers.coinpaprika"], "enabled": False}
    tables["providers.ishares"] = {**tables["providers.ishares"], "enabled": False}
    # toml_tables writes strings: the one number goes in by hand.
    text = f"[general]\nstale_after_s = {STALE_AFTER_S}\n\n" + toml_tables(tables)
    path = tmp / "faults.toml"
    path.write_text(text)
    return path


def script_live_providers(http: FakeHTTP) -> None:
    """Every provider scripted (:func:`script_providers`), Yahoo's intraday chart moved to
    now."""
    script_providers(http)
    for coin in ("bitcoin", "ethereum"):
        http.script(
            f"/api/v3/coins/{coin}/market_chart",
            Reply.file(HTTP_FIXTURES / "coingecko" / "coins_id_market_chart_docs_example.json"),
        )
    intraday = shifted_to_now(
        HTTP_FIXTURES / "yahoo_chart" / "tnx_5m_range1d_index.json", time.time()
    )
    for symbol in MARKETS:
        http.script(chart_path(symbol) + "?interval=1m", Reply(200, intraday))


@contextlib.asynccontextmanager
async def running(
    tmp: Path,
    ca: PrivateCA,
    monkeypatch: pytest.MonkeyPatch,
    before_start: Callable[[World], None] | None = None,
    *,
    start: bool = True,
) -> AsyncIterator[World]:
    """The fakes, the config and the running app; ``before_start`` may damage the disk
    first; without ``start`` the runtime is built but not run (the UI runs it).
    Everything is stopped on the way out."""
    shorten_timers(monkeypatch)
    tls = ca.server_context()
    fakes = {
        name: FakeExchange(name, listed, clock=time.time, tls=tls)
        for name, listed in LISTED.items()
    }
    for fake in fakes.values():
        await fake.start()
    http = FakeHTTP()
    await http.start(ssl=tls)
    script_live_providers(http)
    store_path = tmp / "data" / "r2kmon.sqlite"
    store_path.parent.mkdir(exist_ok=True)
    config_path = write_config(tmp, fakes, http, store_path)
    world: World | None = None
    try:
        # The status-line file lives beside the store, in the data dir, as the app's does.
        status_path = store_path.parent / "status.json"
        probe = World(
            None,  # type: ignore[arg-type]
            fakes,
            http,
            tmp,
            ca,
            store_path,
            status_path,
            config_path,
        )
        if before_start is not None:
            before_start(probe)
        # The calendar first: the runtime and the poller would both load it in threads, and
        # two threads in warnings.catch_warnings at once can let a pandas warning through
        # (filterwarnings=error), as tests/ui/test_offline.py found.
        await asyncio.to_thread(market_hours)
        config = load_config(config_path)
        hub, store = await asyncio.to_thread(functools.partial(open_history, config, demo=False))
        runtime = Runtime(
            config,
            demo=False,
            hub=hub,
            store=store,
            persist_every_s=0.3,
            status_file=status_path,
        )
        world = dataclasses.replace(probe, runtime=runtime)
        if start:
            world.task = asyncio.create_task(runtime.run())
        yield world
    finally:
        if world is not None and world.task is not None:
            world.task.cancel()
            await asyncio.gather(world.task, return_exceptions=True)
        if world is not None:
            for hole in world.blackholes.values():
                await hole.stop()
        for fake in fakes.values():
            await fake.stop()
        await http.stop()
