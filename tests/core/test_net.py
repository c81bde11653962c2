"""``r2kmon.net``: failures told in words, the proxy choice, the TLS trust, the config keys.

:func:`~r2kmon.net.describe_failure` is fed the exceptions that real connection attempts
raise — through a bare ``asyncio`` TLS connection, the app's httpx client and the websockets
client — against servers on 127.0.0.1 that fail in each way a user meets (an untrusted or
expired certificate, one for another host, a reset during the handshake, a silent server,
a server that does not speak TLS, an unresolvable name, a closed port). Only the failures
that cannot be staged here (an unreachable network) are built by hand.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import shutil
import ssl
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from websockets.asyncio.client import ClientConnection, connect

from r2kmon.config import parse_config
from r2kmon.errors import ConfigError
from r2kmon.net import Failure, NetworkPolicy, describe_failure, is_reset
from r2kmon.net.http import http_client
from tests.fakes.exchanges import FakeExchange, Fault, FaultKind
from tests.fakes.http import FakeHTTP
from tests.fakes.proxy import ConnectProxy
from tests.fakes.tls import PROXY_VARIABLES, PrivateCA, ResettingServer, closed_port

pytestmark = pytest.mark.timeout(30)

TIMEOUT = 0.5
"""How long the silent server is waited for."""
PATIENT = 20.0
"""How long the others are: a DNS failure can take 10 s here when the resolver is busy."""
CLIENTS = ["asyncio", "httpx", "websockets"]


class RawServer:
    """A TCP server on 127.0.0.1 that either never says a word (``silent``) or answers
    plain HTTP at once (``plain``: not TLS)."""

    def __init__(self, plain: bool) -> None:
        self.plain = plain
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []

    async def start(self) -> RawServer:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.append(writer)
        if self.plain:
            writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    async def stop(self) -> None:
        for writer in self._writers:
            writer.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


@dataclass(frozen=True)
class Staged:
    """A failing endpoint: its host and port, and what must be said about it."""

    host: str
    port: int
    reason: str
    fault: str | None
    timeout: float = PATIENT

    def url(self, scheme: str) -> str:
        return f"{scheme}://{self.host}:{self.port}/"


async def stage(
    kind: str, ca: PrivateCA, stranger: PrivateCA
) -> tuple[Staged, Callable[[], Awaitable[None]]]:
    """Start what fails in the way ``kind`` names; say what ``describe_failure`` must tell."""

    async def nothing() -> None:
        return None

    if kind in ("untrusted CA", "wrong host (IP)", "wrong host (name)", "expired certificate"):
        contexts: dict[str, Callable[[], ssl.SSLContext]] = {
            "untrusted CA": stranger.server_context,
            "expired certificate": lambda: ca.server_context(expired=True),
        }
        context = contexts.get(kind, lambda: ca.server_context("example.test"))()
        server = FakeHTTP()
        await server.start(ssl=context)
        host = "localhost" if kind == "wrong host (name)" else "127.0.0.1"
        detail = {
            "untrusted CA": "unable to get local issuer certificate",
            "wrong host (IP)": "IP address mismatch, certificate is not valid for '127.0.0.1'",
            "wrong host (name)": "Hostname mismatch, certificate is not valid for 'localhost'",
            "expired certificate": "certificate has expired",
        }[kind]
        staged = Staged(
            host, server.port, f"certificate verify failed: {detail}", "certificate rejected"
        )
        return staged, server.stop
    if kind == "handshake reset":
        resetting = await ResettingServer().start()
        where = f"127.0.0.1:{resetting.port}"
        reason = f"connection reset by {where} during the TLS handshake"
        return Staged("127.0.0.1", resetting.port, reason, "connection reset"), resetting.stop
    if kind in ("silent server", "not TLS"):
        raw = await RawServer(plain=kind == "not TLS").start()
        if kind == "silent server":
            reason = f"no answer from 127.0.0.1:{raw.port} within {TIMEOUT:g} s"
            return Staged("127.0.0.1", raw.port, reason, "timeout", TIMEOUT), raw.stop
        reason = "TLS handshake with 127.0.0.1 failed: wrong version number"
        return Staged("127.0.0.1", raw.port, reason, "TLS failure"), raw.stop
    if kind == "DNS failure":
        return Staged(
            "stream.binance.invalid", 443, "cannot resolve stream.binance.invalid", "DNS failure"
        ), nothing
    port = closed_port()
    if kind == "connection refused":
        reason = f"connection refused by 127.0.0.1:{port}"
        return Staged("127.0.0.1", port, reason, "connection refused"), nothing
    # localhost has two addresses (::1 and 127.0.0.1): httpx tries both and sums up with
    # "All connection attempts failed"; the refusal underneath is what counts.
    assert kind == "connection refused (every address of localhost)"
    return Staged(
        "localhost", port, f"connection refused by localhost:{port}", "connection refused"
    ), nothing


KINDS = [
    "untrusted CA",
    "wrong host (IP)",
    "wrong host (name)",
    "expired certificate",
    "handshake reset",
    "silent server",
    "not TLS",
    "DNS failure",
    "connection refused",
    "connection refused (every address of localhost)",
]


@pytest.fixture(params=KINDS)
async def staged(
    request: pytest.FixtureRequest, trusted: PrivateCA, stranger_ca: PrivateCA
) -> AsyncIterator[Staged]:
    where, stop = await stage(request.param, trusted, stranger_ca)
    yield where
    await stop()


async def attempt(client: str, staged: Staged) -> tuple[BaseException, str]:
    """Connect to ``staged`` with ``client`` as the app does (TLS verified); the exception
    it raised and the URL it was asked for."""
    policy = NetworkPolicy()
    url = staged.url("wss" if client == "websockets" else "https")
    try:
        if client == "asyncio":
            async with asyncio.timeout(staged.timeout):
                _, writer = await asyncio.open_connection(
                    staged.host, staged.port, ssl=policy.tls_context()
                )
            writer.close()
        elif client == "httpx":
            async with http_client(policy, timeout=staged.timeout) as http:
                await http.get(url)
        else:
            async with connect(
                url, ssl=policy.tls_context(), open_timeout=staged.timeout, proxy=None
            ):
                pass
    except Exception as exc:
        return exc, url
    raise AssertionError(f"{client} reached {url}")


@pytest.mark.parametrize("client", CLIENTS)
async def test_each_real_failure_is_told_in_words(client: str, staged: Staged) -> None:
    exc, url = await attempt(client, staged)
    failure = describe_failure(exc, url, timeout=staged.timeout)
    assert failure == Failure(staged.reason, staged.fault)


async def test_a_reset_after_the_handshake_is_not_said_to_be_during_it(trusted: PrivateCA) -> None:
    fake = FakeExchange("binance", {"BTCUSDT"}, faults=[Fault("reset", after=0)])
    await fake.start(ssl=trusted.server_context())
    try:
        async with connect(fake.url + "/ws", ssl=NetworkPolicy().tls_context(), proxy=None) as ws:
            await ws.send('{"method": "SUBSCRIBE", "params": ["btcusdt@miniTicker"], "id": 1}')
            exc = await read_until_it_fails(ws)
    finally:
        await fake.stop()
    failure = describe_failure(exc, fake.url, connecting=False)
    assert failure == Failure(f"connection reset by 127.0.0.1:{fake.port}", "connection reset")


@pytest.mark.parametrize(("kind", "reset"), [("drop", True), ("reset", True), ("close", False)])
async def test_a_connection_cut_under_the_websocket_is_a_reset(
    kind: FaultKind, reset: bool, trusted: PrivateCA
) -> None:
    # A FIN or a RST with no close frame (websockets' 1006) is the server cutting the
    # connection; a close frame, whatever its code, is the server closing it.
    fake = FakeExchange("binance", {"BTCUSDT"}, faults=[Fault(kind, after=0, code=1001)])
    await fake.start(ssl=trusted.server_context())
    try:
        async with connect(fake.url + "/ws", ssl=NetworkPolicy().tls_context(), proxy=None) as ws:
            await ws.send('{"method": "SUBSCRIBE", "params": ["btcusdt@miniTicker"], "id": 1}')
            exc = await read_until_it_fails(ws)
    finally:
        await fake.stop()
    assert is_reset(exc) is reset, repr(exc)


def test_a_reset_without_websockets() -> None:
    assert is_reset(ConnectionResetError(errno.ECONNRESET, "Connection reset by peer"))
    assert not is_reset(ValueError("boom"))
    assert not is_reset(TimeoutError())


async def read_until_it_fails(ws: ClientConnection) -> Exception:
    """What the websocket raises once the server has gone (bounded: 5 s)."""
    async with asyncio.timeout(5):
        try:
            while True:
                await ws.recv()
        except Exception as exc:
            return exc


def test_failures_that_cannot_be_staged_here() -> None:
    unreachable = OSError(errno.ENETUNREACH, "Network is unreachable")
    assert describe_failure(unreachable, "wss://ws.kraken.com/v2") == Failure(
        "network unreachable: ws.kraken.com", "network unreachable"
    )
    # Not the network's failure: its type and message, and no fault for the offline line.
    assert describe_failure(ValueError("boom"), "https://x.test/") == Failure("ValueError: boom")
    # The default port of the scheme when the URL names none.
    refused = ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused")
    assert describe_failure(refused, "wss://ws.okx.com/ws").reason == (
        "connection refused by ws.okx.com:443"
    )


# --- which proxy --------------------------------------------------------------------------


@pytest.fixture
def no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("REQUEST_METHOD", raising=False)  # urllib ignores HTTP_PROXY in CGI
    return monkeypatch


def chosen(policy: NetworkPolicy, url: str) -> tuple[str, str] | None:
    proxy = policy.proxy_for(url)
    return None if proxy is None else (proxy.url, proxy.origin)


def test_no_proxy_configured_means_direct(no_proxy_env: pytest.MonkeyPatch) -> None:
    assert chosen(NetworkPolicy(), "wss://stream.binance.com:9443/stream") is None
    assert chosen(NetworkPolicy(), "https://api.binance.com/api/v3/klines") is None


def test_the_variables_by_scheme(no_proxy_env: pytest.MonkeyPatch) -> None:
    no_proxy_env.setenv("HTTPS_PROXY", "http://secure:3128")
    no_proxy_env.setenv("HTTP_PROXY", "http://plain:3128")
    policy = NetworkPolicy()
    assert chosen(policy, "wss://ws.kraken.com/v2") == ("http://secure:3128", "HTTPS_PROXY")
    assert chosen(policy, "https://api.kraken.com") == ("http://secure:3128", "HTTPS_PROXY")
    assert chosen(policy, "ws://relay.lan/ws") == ("http://plain:3128", "HTTP_PROXY")
    assert chosen(policy, "http://relay.lan/") == ("http://plain:3128", "HTTP_PROXY")


def test_all_proxy_stands_in_for_both_and_yields_to_the_specific_one(
    no_proxy_env: pytest.MonkeyPatch,
) -> None:
    no_proxy_env.setenv("ALL_PROXY", "socks5://all:1080")
    policy = NetworkPolicy()
    assert chosen(policy, "wss://ws.okx.com:8443/ws/v5/public") == (
        "socks5://all:1080",
        "ALL_PROXY",
    )
    assert chosen(policy, "http://relay.lan/") == ("socks5://all:1080", "ALL_PROXY")
    no_proxy_env.setenv("HTTPS_PROXY", "http://secure:3128")
    assert chosen(policy, "wss://ws.okx.com:8443/ws/v5/public") == (
        "http://secure:3128",
        "HTTPS_PROXY",
    )


def test_lower_case_variables_count_too(no_proxy_env: pytest.MonkeyPatch) -> None:
    no_proxy_env.setenv("https_proxy", "http://lower:3128")
    assert chosen(NetworkPolicy(), "wss://stream.bybit.com/v5/public/spot") == (
        "http://lower:3128",
        "HTTPS_PROXY",
    )


def test_a_proxy_without_scheme_is_http(no_proxy_env: pytest.MonkeyPatch) -> None:
    """``proxy:3128``, as curl reads it."""
    no_proxy_env.setenv("HTTPS_PROXY", "proxy:3128")
    assert chosen(NetworkPolicy(), "https://api.coingecko.com/api/v3") == (
        "http://proxy:3128",
        "HTTPS_PROXY",
    )


def test_the_configured_proxy_wins_over_the_variables(no_proxy_env: pytest.MonkeyPatch) -> None:
    no_proxy_env.setenv("HTTPS_PROXY", "http://env:3128")
    no_proxy_env.setenv("ALL_PROXY", "http://all:3128")
    policy = NetworkPolicy(proxy="http://configured:8080")
    for url in ("wss://ws.kraken.com/v2", "https://api.kraken.com", "ws://relay.lan/"):
        assert chosen(policy, url) == ("http://configured:8080", "[network] proxy")


def test_no_proxy_hosts_go_direct_whatever_the_proxy(no_proxy_env: pytest.MonkeyPatch) -> None:
    no_proxy_env.setenv("HTTPS_PROXY", "http://env:3128")
    no_proxy_env.setenv("NO_PROXY", "api.binance.com,.kraken.com,127.0.0.1")
    for policy in (NetworkPolicy(), NetworkPolicy(proxy="http://configured:8080")):
        assert chosen(policy, "https://api.binance.com/api/v3/klines") is None
        assert chosen(policy, "wss://ws.kraken.com/v2") is None  # a domain and its hosts
        assert chosen(policy, "wss://127.0.0.1:9443/stream") is None
        assert chosen(policy, "wss://stream.binance.com:9443/stream") is not None


def test_the_proxy_is_shown_without_its_password(no_proxy_env: pytest.MonkeyPatch) -> None:
    no_proxy_env.setenv("HTTPS_PROXY", "http://alice:s3cret@proxy:3128")
    proxy = NetworkPolicy().proxy_for("https://api.binance.com")
    assert proxy is not None
    assert proxy.url == "http://alice:s3cret@proxy:3128"  # what the clients are given
    assert proxy.shown == "http://***@proxy:3128"
    assert "s3cret" not in proxy.shown


# --- which certificates -------------------------------------------------------------------


@pytest.fixture
async def private_server(private_ca: PrivateCA) -> AsyncIterator[int]:
    """An HTTPS server whose certificate the private CA issued; its port."""
    server = FakeHTTP()
    await server.start(ssl=private_ca.server_context())
    yield server.port
    await server.stop()


@pytest.fixture
async def stranger_server(stranger_ca: PrivateCA) -> AsyncIterator[int]:
    server = FakeHTTP()
    await server.start(ssl=stranger_ca.server_context())
    yield server.port
    await server.stop()


async def handshake(policy: NetworkPolicy, port: int) -> str | None:
    """Why a TLS handshake with 127.0.0.1:``port`` under ``policy`` failed (``None``: it
    succeeded)."""
    try:
        async with asyncio.timeout(5):
            _, writer = await asyncio.open_connection("127.0.0.1", port, ssl=policy.tls_context())
    except ssl.SSLCertVerificationError as exc:
        return exc.verify_message
    writer.close()
    with contextlib.suppress(ConnectionError, ssl.SSLError):
        await writer.wait_closed()
    return None


def test_certificates_and_host_names_are_always_checked(private_ca: PrivateCA) -> None:
    for policy in (NetworkPolicy(), NetworkPolicy(ca_file=str(private_ca.ca_file))):
        context = policy.tls_context()
        assert context.verify_mode == ssl.CERT_REQUIRED
        assert context.check_hostname


async def test_the_system_store_alone_does_not_trust_the_private_ca(
    direct_network: None, private_server: int
) -> None:
    assert await handshake(NetworkPolicy(), private_server) == (
        "unable to get local issuer certificate"
    )


async def test_ssl_cert_file_is_honoured(
    direct_network: None,
    private_ca: PrivateCA,
    private_server: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(private_ca.ca_file))
    assert await handshake(NetworkPolicy(), private_server) is None


async def test_ssl_cert_dir_is_honoured(
    direct_network: None,
    private_ca: PrivateCA,
    private_server: int,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("needs the openssl command to hash a certificate directory")
    directory = tmp_path / "certs"
    directory.mkdir()
    shutil.copy(private_ca.ca_file, directory / "r2kmon-test-ca.pem")
    subprocess.run([openssl, "rehash", str(directory)], check=True, capture_output=True)  # noqa: ASYNC221
    monkeypatch.setenv("SSL_CERT_DIR", str(directory))
    assert await handshake(NetworkPolicy(), private_server) is None


async def test_ca_file_is_trusted_on_top_of_the_rest(
    direct_network: None,
    private_ca: PrivateCA,
    stranger_ca: PrivateCA,
    private_server: int,
    stranger_server: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with_ca_file = NetworkPolicy(ca_file=str(private_ca.ca_file))
    assert await handshake(with_ca_file, private_server) is None
    # SSL_CERT_FILE replaces the system store; ca_file is added to whatever that is.
    monkeypatch.setenv("SSL_CERT_FILE", str(stranger_ca.ca_file))
    assert await handshake(with_ca_file, private_server) is None
    assert await handshake(with_ca_file, stranger_server) is None
    assert await handshake(NetworkPolicy(), private_server) == (
        "unable to get local issuer certificate"
    )


# --- [network] in the config ----------------------------------------------------------------


def config_problem(tmp_path: Path, network: str) -> tuple[str, Path]:
    """The error for a config whose ``[network]`` table (at line 4) holds ``network``."""
    path = tmp_path / "config.toml"
    text = '[crypto]\nsymbols = ["BTC-USD"]\n\n[network]\n' + network
    with pytest.raises(ConfigError) as caught:
        parse_config(text, path)
    return str(caught.value), path


def test_a_missing_ca_file_is_told_with_where_and_how_to_fix(tmp_path: Path) -> None:
    missing = tmp_path / "company-ca.pem"
    message, path = config_problem(tmp_path, f'ca_file = "{missing}"\n')
    assert message.startswith(f"{path}:5: key 'network.ca_file': no such file: {missing}")
    assert "PEM file of CA certificates" in message  # what to give instead


def test_a_ca_file_that_holds_no_certificate_is_refused(tmp_path: Path) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("not a certificate\n")
    message, path = config_problem(tmp_path, f'proxy = "http://proxy:3128"\nca_file = "{junk}"\n')
    assert message.startswith(f"{path}:6: key 'network.ca_file': no PEM certificates")
    assert str(junk) in message
    assert "BEGIN CERTIFICATE" in message  # what a PEM file looks like


@pytest.mark.parametrize(
    ("proxy", "why"),
    [
        ("proxy:3128", "the scheme must be one of http, https, socks5"),
        ("ftp://proxy:21", "the scheme must be one of http, https, socks5"),
        ("http://", "no host name"),
        ("http://proxy:3128/path", "a proxy URL has no path or query"),
    ],
)
def test_a_bad_proxy_is_told_with_where_and_how_to_fix(
    tmp_path: Path, proxy: str, why: str
) -> None:
    message, path = config_problem(tmp_path, f'proxy = "{proxy}"\n')
    assert message.startswith(f"{path}:5: key 'network.proxy': {why}")
    assert "e.g. http://proxy:3128" in message


def test_good_network_keys_make_the_policy(tmp_path: Path, private_ca: PrivateCA) -> None:
    text = f'[network]\nca_file = "{private_ca.ca_file}"\nproxy = "http://proxy:3128"\n'
    config = parse_config(text, tmp_path / "config.toml")
    assert config.network.policy() == NetworkPolicy(
        ca_file=str(private_ca.ca_file), proxy="http://proxy:3128"
    )


class SilentServer:
    """Accepts TCP and never answers (a TLS handshake stalls there); counts the clients
    whose connection it saw closed."""

    def __init__(self) -> None:
        self.closed = 0
        self.accepted = 0
        self.server: asyncio.Server | None = None

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        with contextlib.suppress(ConnectionError):
            await reader.read()  # until the client closes
        self.closed += 1
        writer.close()


@pytest.mark.parametrize("through", ["direct", "proxy"])
async def test_a_request_cancelled_during_the_tls_handshake_closes_its_socket(
    through: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """httpcore closes the TCP stream when a handshake fails with an error, not when it is
    cancelled: a poll cancelled there (the app stopping, a timeout around it) kept its
    socket open until the loop closed (seen in CI as an unclosed transport). Through a
    CONNECT proxy, the handshake with the host runs on the tunnel's stream."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    silent = SilentServer()
    server = await asyncio.start_server(silent.serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    proxy = await ConnectProxy().start() if through == "proxy" else None
    policy = NetworkPolicy(proxy=proxy.url if proxy is not None else "")
    try:
        async with http_client(policy, timeout=30) as http:
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.5):
                    await http.get(f"https://127.0.0.1:{port}/")
            async with asyncio.timeout(10):
                while silent.closed < 1:  # noqa: ASYNC110 - bounded by the timeout
                    await asyncio.sleep(0.01)
            assert silent.accepted == 1
    finally:
        if proxy is not None:
            await proxy.stop()
        server.close()
        await server.wait_closed()
