"""Every certificate and connection failure, told once and in words, for every kind of client.

The failures are real: a server whose certificate comes from a CA nobody trusts, one whose
certificate names another host (by IP and by name), one whose certificate has expired, one
that resets the TCP connection during the TLS handshake, a host name that does not resolve
(``.invalid``: DNS fails at once here), a port nobody listens on. Each meets the three
clients the app runs — a websocket feed (through ``crypto_producers``), the HTTP poller
(with ``new_client``) for the providers and for the exchanges' REST candles (the pairs'
history, reported as ``backfill``) — at the shipped default URL with only host and port
swapped, and the private test CA trusted through ``SSL_CERT_FILE``.

What each test shows: the source is ``down`` with the reason in words and
``SourceHealth.fault`` set; it keeps retrying with a growing delay (never faster than the
backoff allows) and does not crash; and over more retries than a minute holds with the
shipped backoff (the backoff is shrunk so they take a second), the log — configured as the
app configures it (:func:`r2kmon.logsetup.configure_logging`) — holds one line per change
of state, the same after 16 retries as after 8, and no traceback.

Only the backoff is shrunk, not the clients' timeouts (:data:`PATIENT`): the resolver here
drops queries under load and glibc then waits up to 5 s twice, so a short timeout would
turn a DNS failure into a timeout now and then — a true change of state, but not the one
under test.

The JSON side: one ``r2kmon snapshot --json`` run whose every exchange, provider and REST
endpoint meets one of these failures.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
import logging
import os
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from r2kmon.config import DEFAULT_EXCHANGES, DEFAULT_PROVIDERS
from r2kmon.feeds.producers import crypto_producers
from r2kmon.logsetup import configure_logging
from r2kmon.model import Producer, SourceHealth
from r2kmon.sources.poller import Poller, PollerSettings, new_client, settings_from_endpoints
from tests.fakes.http import FakeHTTP
from tests.fakes.sinks import RecordingSink, wait_until
from tests.fakes.tls import (
    PROXY_VARIABLES,
    PrivateCA,
    ResettingServer,
    closed_port,
    swap_host,
    toml_tables,
)

pytestmark = pytest.mark.timeout(120)

CERTIFICATE = "certificate rejected"
PATIENT = 20.0
"""Seconds the clients wait for an answer here: longer than a slow DNS failure takes."""


@dataclass(frozen=True)
class Broken:
    """One way of failing to reach a server, at ``host:port``."""

    kind: str
    port: int
    host: str = "127.0.0.1"

    def url(self, default: str) -> str:
        """``default`` pointed here (for a DNS failure: its own host, made ``.invalid``)."""
        if self.kind == "DNS failure":
            parts = urlsplit(default)
            host = (parts.hostname or "").rsplit(".", 1)[0] + ".invalid"
            return swap_host(default, parts.port or 443, host)
        return swap_host(default, self.port, self.host)

    def reason(self, url: str) -> str:
        """The words health must hold for a connection to ``url``."""
        where = f"127.0.0.1:{self.port}"
        return {
            "untrusted CA": "certificate verify failed: unable to get local issuer certificate",
            "wrong host (IP)": (
                "certificate verify failed: IP address mismatch, "
                "certificate is not valid for '127.0.0.1'"
            ),
            "wrong host (name)": (
                "certificate verify failed: Hostname mismatch, "
                "certificate is not valid for 'localhost'"
            ),
            "expired certificate": "certificate verify failed: certificate has expired",
            "handshake reset": f"connection reset by {where} during the TLS handshake",
            "DNS failure": f"cannot resolve {urlsplit(url).hostname}",
            "connection refused": f"connection refused by {where}",
        }[self.kind]

    @property
    def fault(self) -> str:
        """The short class the header's offline line counts."""
        return {
            "untrusted CA": CERTIFICATE,
            "wrong host (IP)": CERTIFICATE,
            "wrong host (name)": CERTIFICATE,
            "expired certificate": CERTIFICATE,
            "handshake reset": "connection reset",
            "DNS failure": "DNS failure",
            "connection refused": "connection refused",
        }[self.kind]


KINDS = [
    "untrusted CA",
    "wrong host (IP)",
    "wrong host (name)",
    "expired certificate",
    "handshake reset",
    "DNS failure",
    "connection refused",
]


async def start_broken(
    kind: str, private_ca: PrivateCA, stranger_ca: PrivateCA
) -> tuple[Broken, Callable[[], Awaitable[None]]]:
    """A server (or none) that fails in the way ``kind`` names, and how to stop it."""
    contexts = {
        "untrusted CA": lambda: stranger_ca.server_context(),
        "wrong host (IP)": lambda: private_ca.server_context("example.test"),
        "wrong host (name)": lambda: private_ca.server_context("example.test"),
        "expired certificate": lambda: private_ca.server_context(expired=True),
    }
    if kind in contexts:
        # The client gives up during the TLS handshake: what the server would say after it
        # does not matter, so one HTTPS fake stands for a websocket server too.
        server = FakeHTTP()
        await server.start(ssl=contexts[kind]())
        host = "localhost" if kind == "wrong host (name)" else "127.0.0.1"
        return Broken(kind, server.port, host), server.stop
    if kind == "handshake reset":
        resetting = await ResettingServer().start()
        return Broken(kind, resetting.port), resetting.stop

    async def nothing() -> None:
        return None

    return Broken(kind, closed_port()), nothing


@pytest.fixture(params=KINDS)
async def broken(
    request: pytest.FixtureRequest, trusted: PrivateCA, stranger_ca: PrivateCA
) -> AsyncIterator[Broken]:
    where, stop = await start_broken(request.param, trusted, stranger_ca)
    yield where
    await stop()


@pytest.fixture
def app_log(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> Iterator[Path]:
    """Logging set up exactly as the app sets it up (levels, the file handler), with
    pytest's capture handler still attached so ``caplog.records`` holds what the file
    gets. Restored afterwards."""
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    names = ("websockets", "websockets.client", "httpx", "httpcore", "asyncio")
    saved_levels = {name: logging.getLogger(name).level for name in names}
    for handler in saved_handlers:
        root.removeHandler(handler)  # so configure_logging does not close pytest's
    path = configure_logging("INFO", tmp_path / "r2kmon.log")
    assert path is not None  # tmp_path is writable
    root.addHandler(caplog.handler)
    try:
        yield path
    finally:
        logging.captureWarnings(False)
        for handler in list(root.handlers):
            root.removeHandler(handler)
            if handler is not caplog.handler:
                handler.close()
        for handler in saved_handlers:
            root.addHandler(handler)
        root.setLevel(saved_level)
        for name, level in saved_levels.items():
            logging.getLogger(name).setLevel(level)


class StampedSink(RecordingSink):
    """Also notes when each health record arrived, to measure the gaps between retries."""

    def __init__(self) -> None:
        super().__init__()
        self.stamped: list[tuple[float, SourceHealth]] = []

    def push_health(self, health: SourceHealth) -> None:
        super().push_health(health)
        self.stamped.append((time.monotonic(), health))

    def failures(self, name: str) -> list[float]:
        """When each failed attempt of ``name`` was reported: each one announces its own
        next try (``retry_at``)."""
        seen: set[float] = set()
        out: list[float] = []
        for at, health in self.stamped:
            if health.name == name and health.retry_at is not None and health.retry_at not in seen:
                seen.add(health.retry_at)
                out.append(at)
        return out


def app_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """What the app's log got (the fakes' own server loggers left out)."""
    return [r for r in caplog.records if not r.name.startswith("websockets.server")]


async def check_told_once(
    producer: Producer,
    name: str,
    url: str,
    broken: Broken,
    nominal: Sequence[float],
    jitter_floor: float,
    caplog: pytest.LogCaptureFixture,
    log_file: Path,
) -> list[logging.LogRecord]:
    """Run ``producer`` through 16 failed attempts; check health, backoff and the log.
    ``nominal``: the backoff's nominal delays (the last repeats); each real delay is at
    least ``jitter_floor`` of it. Returns the log records."""
    sink = StampedSink()
    task = asyncio.create_task(producer.run(sink))
    try:
        async with asyncio.timeout(60):
            await wait_until(lambda: len(sink.failures(name)) >= 8, timeout=60)
            after_eight = len(app_lines(caplog))
            await wait_until(lambda: len(sink.failures(name)) >= 16, timeout=60)
        assert not task.done(), "the producer stopped (crashed?)"
    finally:
        task.cancel()
        await asyncio.wait({task})

    health = sink.last_health(name)
    assert health is not None
    assert health.status == "down", health
    assert broken.reason(url) in (health.last_error or ""), health
    assert health.fault == broken.fault, health
    assert health.retry_at is not None

    # Backoff: no attempt came sooner than the backoff allowed, however fast the failure.
    stamps = sink.failures(name)
    for index, (earlier, later) in enumerate(itertools.pairwise(stamps)):
        delay = nominal[min(index, len(nominal) - 1)]
        assert later - earlier >= delay * jitter_floor - 0.001, (index, later - earlier)

    lines = app_lines(caplog)
    assert len(lines) == after_eight, [r.getMessage() for r in lines[after_eight:]]
    assert not [r for r in lines if r.exc_info], "a traceback in the log"
    assert_no_traceback([log_file])
    return lines


def assert_no_traceback(logs: Sequence[Path]) -> None:
    """The log files exist and hold no traceback."""
    assert logs, "the app wrote no log"
    for log in logs:
        assert "Traceback" not in log.read_text(), log


def messages(lines: Sequence[logging.LogRecord]) -> list[str]:
    return [r.getMessage() for r in lines]


# --- a websocket feed --------------------------------------------------------------------


async def test_a_feed_tells_each_failure_once(
    broken: Broken, app_log: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = broken.url(DEFAULT_EXCHANGES["binance"].url)
    (feeds,) = crypto_producers(
        ["BTC-USD"],
        ["binance"],
        urls={"binance": url},
        breadth=False,
        backoff_initial=0.01,
        backoff_max=0.04,
        health_interval=0.05,
        open_timeout=PATIENT,
    )
    # Backoff with jitter: each delay is 50 to 100 % of 0.01, 0.02, 0.04, 0.04, ...
    lines = await check_told_once(
        feeds, "binance", url, broken, [0.01, 0.02, 0.04], 0.5, caplog, app_log
    )
    assert messages(lines) == [f"binance: {broken.reason(url)}"]


# --- the HTTP poller -----------------------------------------------------------------------


async def poller_told_once(
    settings: PollerSettings,
    provider: str,
    name: str,
    url: str,
    broken: Broken,
    caplog: pytest.LogCaptureFixture,
    log_file: Path,
) -> list[logging.LogRecord]:
    """:func:`check_told_once` for the poller asking only ``provider`` (its budget gone,
    its backoff 0.01 s doubling to 0.04 s, no jitter), on the health record ``name``."""
    fast = dataclasses.replace(
        settings.providers[provider], min_interval_s=0.0, backoff_base_s=0.01, backoff_cap_s=0.04
    )
    settings = dataclasses.replace(settings, providers={provider: fast})
    async with new_client(settings) as client:
        return await check_told_once(
            Poller(client, settings), name, url, broken, [0.01, 0.02, 0.04], 1.0, caplog, log_file
        )


async def test_the_poller_tells_each_failure_once(
    broken: Broken, app_log: Path, caplog: pytest.LogCaptureFixture
) -> None:
    endpoints = {
        name: dataclasses.replace(
            endpoint, url=broken.url(endpoint.url), enabled=name == "alternative_me"
        )
        for name, endpoint in DEFAULT_PROVIDERS.items()
    }
    url = endpoints["alternative_me"].url
    settings = settings_from_endpoints(
        endpoints, (), fred_series=(), market_hours=False, timeout_s=PATIENT, jitter=0.0
    )
    lines = await poller_told_once(
        settings, "alternative_me", "alternative_me", url, broken, caplog, app_log
    )
    # One line for the provider's failure, one for the series it leaves unserved.
    assert len(lines) == 2, messages(lines)
    assert all(broken.reason(url) in line for line in messages(lines))


# --- the REST candles (the pairs' history) ---------------------------------------------------


async def test_the_backfill_tells_each_failure_once(
    broken: Broken, app_log: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = broken.url(DEFAULT_EXCHANGES["binance"].rest_url)
    settings = settings_from_endpoints(
        {},
        (),
        crypto_symbols=("BTC-USD", "ETH-USD"),
        rest_urls={"binance": url},
        market_hours=False,
        timeout_s=PATIENT,
        jitter=0.0,
        history_retry_s=0.01,
        history_retry_max_s=0.04,
    )
    lines = await poller_told_once(settings, "binance", "backfill", url, broken, caplog, app_log)
    # Four series could not be had from one unreachable exchange: said once, not per
    # series and not per retry.
    assert messages(lines) == [f"backfill: binance unreachable: {broken.reason(url)}"]


# --- snapshot --json -----------------------------------------------------------------------


async def test_snapshot_json_tells_every_failure(
    tmp_path: Path, private_ca: PrivateCA, stranger_ca: PrivateCA
) -> None:
    """Every exchange, provider and REST endpoint meets one failure; ``health`` says which,
    in words, with its ``fault``; nothing crashes and nothing logs a traceback."""
    started: dict[str, Broken] = {}
    stops: list[Callable[[], Awaitable[None]]] = []
    for kind in KINDS:
        started[kind], stop = await start_broken(kind, private_ca, stranger_ca)
        stops.append(stop)
    exchange_kind = {
        "binance": "untrusted CA",
        "coinbase": "wrong host (IP)",
        "kraken": "expired certificate",
        "okx": "handshake reset",
        "bybit": "DNS failure",
    }
    rest_kind = {
        "binance": "connection refused",
        "coinbase": "DNS failure",
        "kraken": "expired certificate",
    }
    provider_kind = {
        "yahoo": "connection refused",
        "fred": "untrusted CA",
        "coingecko": "expired certificate",
        "coinpaprika": "DNS failure",
        "alternative_me": "handshake reset",
        "ishares": "wrong host (name)",
    }
    tables: dict[str, dict[str, Any]] = {
        "crypto": {"symbols": ["BTC-USD"], "exchanges": list(exchange_kind)},
        "markets": {"symbols": ["^RUT"]},
        "store": {"path": str(tmp_path / "store.sqlite")},
    }
    expected: dict[str, tuple[str, str]] = {}  # health name → (words, fault)
    for name, kind in exchange_kind.items():
        default = DEFAULT_EXCHANGES[name]
        url = started[kind].url(default.url)
        table = {"url": url}
        if name in rest_kind:
            table["rest_url"] = started[rest_kind[name]].url(default.rest_url)
        tables[f"exchanges.{name}"] = table
        expected[name] = (started[kind].reason(url), started[kind].fault)
    expected["binance-breadth"] = expected["binance"]
    for name, kind in provider_kind.items():
        url = started[kind].url(DEFAULT_PROVIDERS[name].url)
        tables[f"providers.{name}"] = {"url": url}
        expected[name] = (started[kind].reason(url), started[kind].fault)

    config = tmp_path / "broken.toml"
    config.write_text(toml_tables(tables))
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARIABLES}
    env |= {"SSL_CERT_FILE": str(private_ca.ca_file), "XDG_STATE_HOME": str(tmp_path)}
    env.pop("SSL_CERT_DIR", None)
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "r2kmon", "snapshot", "--json", "--wait", "60",
            "--config", str(config),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            stdin=asyncio.subprocess.DEVNULL, env=env,
        )  # fmt: skip
        async with asyncio.timeout(80):
            out, err = await process.communicate()
    finally:
        for stop in stops:
            await stop()
    stderr = err.decode()
    assert process.returncode == 1, stderr  # nothing at all could be fetched
    assert "Traceback" not in stderr
    doc = json.loads(out)
    health = doc["health"]
    for name, (words, fault) in expected.items():
        assert words in (health[name]["last_error"] or ""), (name, health[name])
        assert health[name]["fault"] == fault, (name, health[name])
        assert health[name]["status"] == "down", (name, health[name])
    # The backfill names each exchange's own reason; its fault is the first one's.
    backfill = health["backfill"]
    for name, kind in rest_kind.items():
        rest = started[kind].url(DEFAULT_EXCHANGES[name].rest_url)
        assert f"{name}: {started[kind].reason(rest)}" in backfill["last_error"], backfill
    assert backfill["fault"] == "connection refused"
    assert_no_traceback(logs_under(tmp_path))


def logs_under(directory: Path) -> list[Path]:
    return list(directory.rglob("*.log"))
