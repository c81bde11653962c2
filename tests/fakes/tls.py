"""TLS for the fake servers: a private CA made at test time (``trustme``), and the shipped
default endpoints with only their host and port swapped for the fakes'.

The live-path tests run the app's real clients over ``wss://`` and ``https://`` exactly as
a user's configuration has them: the CA is trusted the way a user trusts a company CA
(``SSL_CERT_FILE`` or ``[network] ca_file``), and the URLs are the defaults of
:mod:`r2kmon.config` with nothing changed but ``host:port`` — so a default scheme or path
that stops working fails a test (the fakes answer only on the exchanges' real paths).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import socket
import ssl
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import trustme

from r2kmon.config import DEFAULT_EXCHANGES, DEFAULT_PROVIDERS
from tests.fakes.tcp import TcpServer

HOST = "127.0.0.1"


PROXY_VARIABLES = (
    *(name.upper() for name in ("https_proxy", "http_proxy", "all_proxy", "no_proxy")),
    *("https_proxy", "http_proxy", "all_proxy", "no_proxy"),
)
"""Every spelling of the proxy variables urllib (and so r2kmon) reads."""


@dataclass(frozen=True)
class PrivateCA:
    """A private CA and server certificates it issued for the fakes."""

    ca: trustme.CA
    ca_file: Path
    """The CA certificate (PEM), for ``SSL_CERT_FILE`` or ``[network] ca_file``."""

    def server_context(self, *names: str, expired: bool = False) -> ssl.SSLContext:
        """A server context with a certificate for ``names`` (default: 127.0.0.1 and
        localhost); ``expired``: valid only during 2020."""
        if expired:
            leaf = self.ca.issue_cert(
                *(names or (HOST,)),
                not_before=datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc),
                not_after=datetime.datetime(2020, 12, 31, tzinfo=datetime.timezone.utc),
            )
        else:
            leaf = self.ca.issue_cert(*(names or (HOST, "localhost")))
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        leaf.configure_cert(context)
        return context


@cache
def _ca(directory: str) -> PrivateCA:
    ca = trustme.CA()
    path = Path(directory) / "r2kmon-test-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return PrivateCA(ca, path)


@pytest.fixture(scope="session")
def private_ca(tmp_path_factory: pytest.TempPathFactory) -> PrivateCA:
    """One private CA for the whole test session."""
    return _ca(str(tmp_path_factory.mktemp("ca")))


@pytest.fixture(scope="session")
def stranger_ca(tmp_path_factory: pytest.TempPathFactory) -> PrivateCA:
    """A second CA that nothing trusts: its certificates stand for an impostor, or for a
    company proxy whose CA was never installed."""
    return _ca(str(tmp_path_factory.mktemp("stranger-ca")))


@pytest.fixture
def trusted(private_ca: PrivateCA, monkeypatch: pytest.MonkeyPatch) -> PrivateCA:
    """The private CA trusted through ``SSL_CERT_FILE``, as a user behind a company
    proxy would (it replaces the system store for every connection of this process)."""
    monkeypatch.setenv("SSL_CERT_FILE", str(private_ca.ca_file))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "https_proxy", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("all_proxy", raising=False)
    monkeypatch.setenv("NO_PROXY", f"{HOST},localhost")
    return private_ca


@pytest.fixture
def direct_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """No proxy and no ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` from the developer's
    environment: only the system store and what the test configures itself (``[network]
    ca_file``, ``[network] proxy``) are in force."""
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR", *PROXY_VARIABLES):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", f"{HOST},localhost")


def swap_host(url: str, port: int, host: str = HOST) -> str:
    """``url`` with its host and port replaced; scheme, path and query untouched."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{host}:{port}"))


def derived_endpoints(
    exchange_ports: Mapping[str, int], http_port: int
) -> dict[str, dict[str, str]]:
    """``[exchanges.*]`` and ``[providers.*]`` tables: every shipped default URL with its
    host and port swapped — websockets to each exchange's fake, every REST and HTTP URL to
    the one fake HTTPS server (the real paths do not collide)."""
    tables: dict[str, dict[str, str]] = {}
    for name, endpoint in DEFAULT_EXCHANGES.items():
        if name in exchange_ports:
            tables[f"exchanges.{name}"] = {
                "url": swap_host(endpoint.url, exchange_ports[name]),
                "rest_url": swap_host(endpoint.rest_url, http_port),
            }
    for name, endpoint in DEFAULT_PROVIDERS.items():
        tables[f"providers.{name}"] = {"url": swap_host(endpoint.url, http_port)}
    return tables


def toml_tables(tables: Mapping[str, Mapping[str, object]]) -> str:
    """TOML text for ``{"section.name": {key: value}}`` (strings, bools, lists of str)."""
    out: list[str] = []
    for section, values in tables.items():
        out.append(f"[{section}]")
        for key, value in values.items():
            if isinstance(value, bool):
                out.append(f"{key} = {str(value).lower()}")
            elif isinstance(value, (list, tuple)):
                out.append(f"{key} = [{', '.join(_quoted(str(v)) for v in value)}]")
            else:
                out.append(f"{key} = {_quoted(str(value))}")
        out.append("")
    return "\n".join(out)


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def closed_port() -> int:
    """A port on 127.0.0.1 that nobody listens on: connecting is refused at once."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
    return port


class ResettingServer(TcpServer):
    """Accepts TCP connections on 127.0.0.1, waits for the client's first bytes (its TLS
    ClientHello), then resets the connection (SO_LINGER 0 + abort sends a RST): what a
    middlebox that blocks by server name does. ``accepted`` counts the attempts."""

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            with contextlib.suppress(TimeoutError, ConnectionError):
                await asyncio.wait_for(reader.read(1), 2.0)
        finally:
            # Also when cancelled by stop(): no connection is left open.
            sock = writer.get_extra_info("socket")
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
