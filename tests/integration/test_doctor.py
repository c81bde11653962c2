"""``r2kmon doctor`` against the TLS fakes: healthy, and each way a connection fails.

The main cases run the real ``python -m r2kmon doctor`` in a subprocess, with a config
derived from the shipped defaults (only host and port swapped,
:func:`tests.fakes.tls.derived_endpoints`) and the private test CA trusted through
``SSL_CERT_FILE`` — or not, for the untrusted case. The servers that fail in ways the
shared fakes do not script (a TLS reset, a stall, a 451 handshake) live here. A few
narrower cases call :func:`r2kmon.runtime.doctor.run_doctor` in-process.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import os
import re
import socket
import struct
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID
from websockets.asyncio.server import ServerConnection, serve
from websockets.http11 import Request, Response

from r2kmon.cli import main
from r2kmon.config import DEFAULT_PROVIDERS, load_config
from r2kmon.runtime.doctor import run_doctor
from r2kmon.sources import ishares
from tests.fakes.exchanges import FakeExchange, Fault
from tests.fakes.http import FakeHTTP, Reply
from tests.fakes.providers import LOCAL, MARKETS, chart_path, script_providers
from tests.fakes.tls import HOST, PrivateCA, derived_endpoints, swap_host, toml_tables
from tests.paths import HTTP_FIXTURES

pytestmark = pytest.mark.timeout(120)

NOWHERE = "nonexistent.invalid"
"""A host no resolver knows (RFC 6761 reserves ``.invalid``)."""


# --- servers the shared fakes do not have -------------------------------------------------


def daily_candles_coinbase(days: int = 4) -> tuple[bytes, Decimal]:
    """Coinbase ``/products/<id>/candles`` rows for the last finished days, newest first,
    as ``[time, low, high, open, close, volume]`` JSON numbers; and the newest close."""
    today = int(time.time()) // 86_400 * 86_400
    rows = [
        [today - n * 86_400, 99.5, 101.5, 100.0, 100.0 + n / 4, 12.5] for n in range(1, days + 1)
    ]
    return json.dumps(rows).encode(), Decimal(str(rows[0][4]))


def daily_candles_kraken(days: int = 4) -> tuple[bytes, Decimal]:
    """Kraken ``/0/public/OHLC`` for the last finished days, oldest first, values as text,
    plus the current (unfinished) bucket Kraken always appends; and the last close."""
    today = int(time.time()) // 86_400 * 86_400
    rows: list[list[Any]] = [
        [today - n * 86_400, "100.0", "101.5", "99.5", f"{100 + n / 4:.2f}", "100.2", "3.5", 7]
        for n in range(days, -1, -1)
    ]
    body = {"error": [], "result": {"XXBTZUSD": rows, "last": today}}
    return json.dumps(body).encode(), Decimal(rows[-2][4])


def script_the_rest(http: FakeHTTP) -> dict[str, Decimal]:
    """What :func:`script_providers` leaves out: CoinPaprika, iShares, Coinbase's and
    Kraken's candles. Returns the close each exchange's REST answer ends with."""
    http.script(
        "/v1/global", Reply.file(HTTP_FIXTURES / "coinpaprika" / "global_docs_example.json")
    )
    http.script(
        "/" + ishares.IWM_PATH,
        Reply.file(HTTP_FIXTURES / "ishares" / "IWM_holdings_2026-05-05_TRIMMED.csv"),
    )
    coinbase, coinbase_close = daily_candles_coinbase()
    http.script("/products/BTC-USD/candles", Reply(200, coinbase))
    kraken, kraken_close = daily_candles_kraken()
    http.script("/0/public/OHLC", Reply(200, kraken))
    klines = json.loads((HTTP_FIXTURES / "binance" / "klines_docs_example.json").read_text())
    return {"binance": Decimal(klines[-1][4]), "coinbase": coinbase_close, "kraken": kraken_close}


Behaviour = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@asynccontextmanager
async def raw_server(behaviour: Behaviour) -> AsyncIterator[int]:
    """A TCP server on 127.0.0.1 running ``behaviour`` on each connection; its port."""
    tasks: set[asyncio.Task[None]] = set()
    writers: list[asyncio.StreamWriter] = []

    def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        task = asyncio.ensure_future(behaviour(reader, writer))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    server = await asyncio.start_server(accept, HOST, 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        for task in list(tasks):
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for writer in writers:
            writer.transport.abort()
        await server.wait_closed()


async def reset_on_hello(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Accept the TCP connection, then reset it when the TLS ClientHello arrives (as a
    middlebox filtering on the server name does)."""
    await reader.read(1)
    sock = writer.get_extra_info("socket")
    # SO_LINGER 0 turns the close into a TCP RST.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def never_answer(_reader: asyncio.StreamReader, _writer: asyncio.StreamWriter) -> None:
    """Accept the TCP connection and say nothing, ever."""
    await asyncio.Event().wait()


@asynccontextmanager
async def restricted_websocket(private_ca: PrivateCA) -> AsyncIterator[int]:
    """A wss:// server refusing every handshake as Binance does from a restricted
    country: HTTP 451."""

    def refuse(connection: ServerConnection, _request: Request) -> Response:
        return connection.respond(451, "Service unavailable from a restricted location\n")

    async def handler(_ws: ServerConnection) -> None:  # pragma: no cover - never reached
        return

    async with serve(
        handler, HOST, 0, ssl=private_ca.server_context(), process_request=refuse
    ) as server:
        yield server.sockets[0].getsockname()[1]


def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
    return port


# --- running the command -------------------------------------------------------------------


@dataclass
class Fakes:
    binance: FakeExchange
    coinbase: FakeExchange
    http: FakeHTTP
    closes: dict[str, Decimal]


@pytest.fixture
async def fakes(private_ca: PrivateCA) -> AsyncIterator[Fakes]:
    tls = private_ca.server_context()
    binance = await FakeExchange("binance", {"BTCUSDT", "ETHUSDT"}).start(ssl=tls)
    coinbase = await FakeExchange("coinbase", {"BTC-USD", "ETH-USD", "SOL-USD"}).start(ssl=tls)
    http = FakeHTTP()
    await http.start(ssl=tls)
    script_providers(http)
    closes = script_the_rest(http)
    try:
        yield Fakes(binance, coinbase, http, closes)
    finally:
        await binance.stop()
        await coinbase.stop()
        await http.stop()


def write_config(
    tmp_path: Path,
    tables: Mapping[str, Mapping[str, object]],
    *,
    exchanges: list[str],
    symbols: tuple[str, ...] = ("BTC-USD", "ETH-USD", "SOL-USD"),
    providers: Collection[str] = tuple(DEFAULT_PROVIDERS),
) -> Path:
    """A config of ``tables`` (derived endpoints), streaming ``symbols`` from
    ``exchanges``; the providers not in ``providers`` are disabled."""
    out: dict[str, dict[str, object]] = {
        "crypto": {"symbols": list(symbols), "exchanges": exchanges},
        "markets": {"symbols": list(MARKETS)},
    }
    out.update({section: dict(values) for section, values in tables.items()})
    for name in DEFAULT_PROVIDERS:
        if name not in providers:
            out.setdefault(f"providers.{name}", {})["enabled"] = False
    path = tmp_path / "doctor.toml"
    path.write_text(toml_tables(out))
    return path


def env_for(tmp_path: Path, ca: PrivateCA | None) -> dict[str, str]:
    """This process's environment without proxies or trust settings; with ``ca``, that CA
    trusted through SSL_CERT_FILE (as a user behind a company proxy does)."""
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env.pop("SSL_CERT_FILE", None)
    env.pop("SSL_CERT_DIR", None)
    env["XDG_STATE_HOME"] = str(tmp_path)
    if ca is not None:
        env["SSL_CERT_FILE"] = str(ca.ca_file)
    return env


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def doc(self) -> Any:
        return json.loads(self.out)

    def endpoint(self, name: str) -> Any:
        return next(e for e in self.doc["endpoints"] if e["name"] == name)


async def doctor(config: Path, env: Mapping[str, str], *args: str) -> Run:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "r2kmon", "doctor", "--config", str(config), *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL, env=dict(env),
    )  # fmt: skip
    async with asyncio.timeout(60):
        out, err = await process.communicate()
    assert process.returncode is not None
    return Run(process.returncode, out.decode(), err.decode())


def steps(endpoint: Any) -> dict[str, str]:
    return {step["step"]: step["status"] for step in endpoint["steps"]}


def ca_organization(ca: PrivateCA) -> str:
    cert = x509.load_pem_x509_certificate(ca.ca.cert_pem.bytes())
    value = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value
    assert isinstance(value, str)
    return value


# --- healthy -------------------------------------------------------------------------------

HEALTHY = [
    "binance",
    "binance rest",
    "coinbase",
    "coinbase rest",
    "yahoo",
    "fred",
    "coingecko",
    "coinpaprika",
    "ishares",
    "alternative_me",
]


def healthy_config(tmp_path: Path, fakes: Fakes) -> Path:
    tables = derived_endpoints(
        {"binance": fakes.binance.port, "coinbase": fakes.coinbase.port}, fakes.http.port
    )
    return write_config(tmp_path, tables, exchanges=["binance", "coinbase"])


async def test_healthy_json_gives_every_endpoint_with_its_data(
    tmp_path: Path, fakes: Fakes, private_ca: PrivateCA
) -> None:
    run = await doctor(healthy_config(tmp_path, fakes), env_for(tmp_path, private_ca), "--json")
    assert run.code == 0, run.out + run.err
    doc = run.doc
    assert doc["ok"] is True
    assert doc["doctor_version"] == 1
    assert doc["first_failure"] is None
    assert [e["name"] for e in doc["endpoints"]] == HEALTHY
    not_checked = {n["name"]: n["why"] for n in doc["not_checked"]}
    assert set(not_checked) == {"kraken", "okx", "bybit", "twelvedata"}
    assert not_checked["twelvedata"] == "set $TWELVEDATA_API_KEY to use it"
    issuer = ca_organization(private_ca)
    for endpoint in doc["endpoints"]:
        name = endpoint["name"]
        assert endpoint["ok"] is True, name
        assert set(steps(endpoint).values()) == {"ok"}, (name, endpoint["steps"])
        assert endpoint["addresses"] == [HOST], name
        assert endpoint["proxy"] is None, name
        assert issuer in endpoint["certificate"]["issuer"], name
        assert endpoint["certificate"]["expires"] > doc["generated_at"][:10], name
        assert endpoint["rtt_ms"] is not None, name
        assert endpoint["error"] is None, name
        assert endpoint["fix"] is None, name

    # The websockets: the adapters' real paths, subscriptions and prices from the fakes'
    # frames (100.01, 100.02, ...), the handshake's Date header against our clock.
    for name in ("binance", "coinbase"):
        ws = run.endpoint(name)
        assert ws["kind"] == "websocket"
        assert ws["http_status"] == 101
        assert ws["price"]["symbol"] == "BTC-USD"
        assert 100 < ws["price"]["value"] < 200
        assert ws["skew_s"] is not None
        assert abs(ws["skew_s"]) <= 2
    assert fakes.binance.paths == ["/stream"]
    assert fakes.coinbase.paths == ["/"]
    assert "SUBSCRIBE" in fakes.binance.received[0][0]

    # REST: the backfill's candles requests; the price is the last candle's close.
    for exchange in ("binance", "coinbase"):
        rest = run.endpoint(f"{exchange} rest")
        assert rest["http_status"] == 200
        assert Decimal(str(rest["price"]["value"])) == fakes.closes[exchange], exchange
    assert fakes.http.hits("/api/v3/klines")
    assert fakes.http.hits("/products/BTC-USD/candles")

    # Providers: the recorded answers, read by the providers' own parsers.
    chart = json.loads((HTTP_FIXTURES / "yahoo_chart" / "tnx_5m_range1d_index.json").read_text())
    price = chart["chart"]["result"][0]["meta"]["regularMarketPrice"]
    assert run.endpoint("yahoo")["result"] == f"^RUT {price}"
    assert run.endpoint("yahoo")["url"].startswith(f"https://{HOST}:{fakes.http.port}/v8/")
    assert run.endpoint("coingecko")["result"].startswith("BTC dom ")
    assert run.endpoint("alternative_me")["result"].startswith("F&G ")


async def test_healthy_table_fits_the_terminal_and_exits_zero(
    tmp_path: Path, fakes: Fakes, private_ca: PrivateCA
) -> None:
    run = await doctor(healthy_config(tmp_path, fakes), env_for(tmp_path, private_ca))
    assert run.code == 0, run.out + run.err
    lines = run.out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("endpoint "))
    table = lines[header : header + 1 + len(HEALTHY)]
    for row, name in zip(table[1:], HEALTHY, strict=True):
        assert row.startswith(f"{name} "), (row, name)
    assert all(len(row) <= 100 for row in table), table
    for row in table[1:]:
        assert " FAIL " not in f" {row} "
    assert re.search(
        r"^binance +127\.0\.0\.1:\d+ +ok +ok +ok +101 +ok +ok +BTC-USD 100\.\d\d", run.out, re.M
    )
    assert "10 of 10 endpoints work" in run.out
    assert "fix:" not in run.out


# --- failures, each told in words with its fix --------------------------------------------


def binance_only(
    ws_host: str, ws_port: int, http_host: str, http_port: int
) -> dict[str, dict[str, str]]:
    """``[exchanges.binance]`` derived from the defaults with the given hosts and ports."""
    tables = derived_endpoints({"binance": ws_port}, http_port)
    binance = tables["exchanges.binance"]
    binance["url"] = swap_host(binance["url"], ws_port, ws_host)
    binance["rest_url"] = swap_host(binance["rest_url"], http_port, http_host)
    return {"exchanges.binance": binance}


def fix_line(out: str) -> str:
    fixes = [line for line in out.splitlines() if line.startswith("fix: ")]
    assert len(fixes) == 1, out
    return fixes[0]


async def failing_run(
    tmp_path: Path, tables: Mapping[str, Mapping[str, str]], env: Mapping[str, str], *args: str
) -> tuple[Run, Run]:
    """The doctor on ``tables`` (Binance only), as text and as JSON; both must exit 1."""
    config = write_config(tmp_path, tables, exchanges=["binance"], providers=())
    text = await doctor(config, env, *args)
    assert text.code == 1, text.out + text.err
    as_json = await doctor(config, env, "--json", *args)
    assert as_json.code == 1, as_json.out + as_json.err
    assert as_json.doc["ok"] is False
    assert "Traceback" not in text.err + as_json.err
    return text, as_json


async def test_untrusted_ca_fails_every_endpoint_and_says_how_to_trust_it(
    tmp_path: Path, fakes: Fakes
) -> None:
    run = await doctor(healthy_config(tmp_path, fakes), env_for(tmp_path, None), "--json")
    assert run.code == 1, run.err
    expected = "certificate verify failed: unable to get local issuer certificate"
    for endpoint in run.doc["endpoints"]:
        assert endpoint["ok"] is False
        assert endpoint["error"] == expected, endpoint["name"]
        assert endpoint["fault"] == "certificate rejected"
        assert steps(endpoint)["tls"] == "failed"
        assert steps(endpoint)["tcp"] == "ok"
    first = run.doc["first_failure"]
    assert first["name"] == "binance"
    assert "SSL_CERT_FILE" in first["fix"]
    assert "[network] ca_file" in first["fix"]
    # nothing was accepted without verification: no frame, no request got through
    assert fakes.binance.received == []
    assert fakes.http.seen == []


@pytest.mark.parametrize(
    ("certificate", "words", "fix_words"),
    [
        pytest.param(
            "wrong-name",
            "certificate verify failed: IP address mismatch, "
            "certificate is not valid for '127.0.0.1'",
            ["another name", "SSL_CERT_FILE", "[network] ca_file"],
            id="wrong-host-name",
        ),
        pytest.param(
            "expired",
            "certificate verify failed: certificate has expired",
            ["this machine's date", "SSL_CERT_FILE", "[network] ca_file"],
            id="expired",
        ),
    ],
)
async def test_a_bad_certificate_is_named(
    tmp_path: Path, private_ca: PrivateCA, certificate: str, words: str, fix_words: list[str]
) -> None:
    if certificate == "expired":
        tls = private_ca.server_context(expired=True)
    else:
        tls = private_ca.server_context("example.test")
    exchange = await FakeExchange("binance", {"BTCUSDT"}).start(ssl=tls)
    http = FakeHTTP()
    await http.start(ssl=tls)
    script_providers(http)
    try:
        tables = binance_only(HOST, exchange.port, HOST, http.port)
        text, run = await failing_run(tmp_path, tables, env_for(tmp_path, private_ca))
    finally:
        await exchange.stop()
        await http.stop()
    for name in ("binance", "binance rest"):
        assert run.endpoint(name)["error"] == words, name
        assert run.endpoint(name)["certificate"] is None
    fix = fix_line(text.out)
    assert words in fix
    for word in fix_words:
        assert word in fix, word
    assert run.doc["first_failure"]["fix"] == fix.removeprefix("fix: ")


async def test_a_reset_during_the_tls_handshake_is_named(
    tmp_path: Path, private_ca: PrivateCA
) -> None:
    async with raw_server(reset_on_hello) as port:
        tables = binance_only(HOST, port, HOST, port)
        text, run = await failing_run(tmp_path, tables, env_for(tmp_path, private_ca))
    expected = f"connection reset by 127.0.0.1:{port} during the TLS handshake"
    for name in ("binance", "binance rest"):
        endpoint = run.endpoint(name)
        assert endpoint["error"] == expected, name
        assert endpoint["fault"] == "connection reset"
        assert steps(endpoint)["tcp"] == "ok"
        assert steps(endpoint)["tls"] == "failed"
    fix = fix_line(text.out)
    assert expected in fix
    assert "HTTPS_PROXY" in fix
    assert "[network] proxy" in fix


async def test_a_host_that_does_not_resolve_is_named(
    tmp_path: Path, fakes: Fakes, private_ca: PrivateCA
) -> None:
    """One unknown host among working ones: its name, and where it is configured."""
    tables = binance_only(NOWHERE, 9443, HOST, fakes.http.port)
    text, run = await failing_run(tmp_path, tables, env_for(tmp_path, private_ca))
    ws = run.endpoint("binance")
    assert ws["fault"] == "DNS failure"
    assert NOWHERE in ws["error"]
    assert steps(ws)["dns"] == "failed"
    assert run.endpoint("binance rest")["ok"] is True
    fix = fix_line(text.out)
    assert NOWHERE in fix
    assert "check the host name in [exchanges.binance] url" in fix
    assert "1 of 2 endpoints work" in text.out


async def test_no_network_when_dns_fails_for_every_host(
    tmp_path: Path, private_ca: PrivateCA
) -> None:
    tables = derived_endpoints({"binance": 9443}, 443)
    for values in tables.values():
        for key, url in values.items():
            values[key] = swap_host(url, 443, NOWHERE)
    config = write_config(tmp_path, tables, exchanges=["binance"])
    run = await doctor(config, env_for(tmp_path, private_ca), "--json")
    assert run.code == 1, run.err
    endpoints = run.doc["endpoints"]
    # Twelve Data without its key is not checked (the app would not ask it).
    assert len(endpoints) == 2 + len(DEFAULT_PROVIDERS) - 1
    assert all(e["fault"] == "DNS failure" for e in endpoints), endpoints
    assert all(NOWHERE in e["error"] for e in endpoints)
    text = await doctor(config, env_for(tmp_path, private_ca))
    assert text.code == 1
    assert fix_line(text.out).startswith("fix: no network: DNS fails for every host")


async def test_a_refused_connection_is_named_with_the_proxy_hint(
    tmp_path: Path, private_ca: PrivateCA
) -> None:
    port = closed_port()
    text, run = await failing_run(
        tmp_path, binance_only(HOST, port, HOST, port), env_for(tmp_path, private_ca)
    )
    expected = f"connection refused by 127.0.0.1:{port}"
    for name in ("binance", "binance rest"):
        endpoint = run.endpoint(name)
        assert endpoint["error"] == expected, name
        assert endpoint["fault"] == "connection refused"
        assert steps(endpoint)["dns"] == "ok"
        assert steps(endpoint)["tcp"] == "failed"
    fix = fix_line(text.out)
    assert expected in fix
    assert "HTTPS_PROXY" in fix
    assert "[network] proxy" in fix


async def test_binance_refusing_this_country_gets_the_binance_us_fix(
    tmp_path: Path, private_ca: PrivateCA
) -> None:
    http = FakeHTTP()
    await http.start(ssl=private_ca.server_context())
    http.script(
        "/api/v3/klines",
        Reply.file(HTTP_FIXTURES / "binance" / "error_451_restricted_location.json", status=451),
    )
    try:
        async with restricted_websocket(private_ca) as port:
            tables = binance_only(HOST, port, HOST, http.port)
            text, run = await failing_run(tmp_path, tables, env_for(tmp_path, private_ca))
    finally:
        await http.stop()
    ws = run.endpoint("binance")
    assert ws["http_status"] == 451
    assert ws["error"] == "handshake refused: HTTP 451 (restricted location)"
    assert steps(ws)["tls"] == "ok"
    assert steps(ws)["handshake"] == "failed"
    rest = run.endpoint("binance rest")
    assert rest["http_status"] == 451
    assert "restricted location" in rest["error"]
    fix = fix_line(text.out)
    assert fix.startswith("fix: HTTP 451 from 127.0.0.1: restricted location")
    assert "Binance.US" in fix
    assert "put coinbase first" in fix


async def test_a_stalled_server_fails_within_the_timeout(
    tmp_path: Path, private_ca: PrivateCA
) -> None:
    """Accepted, never answered: the run still ends (this test's timeout bounds it) and
    says the server gave no answer within --timeout."""
    async with raw_server(never_answer) as port:
        tables = binance_only(HOST, port, HOST, port)
        text, run = await failing_run(
            tmp_path, tables, env_for(tmp_path, private_ca), "--timeout", "1"
        )
    expected = f"no answer from 127.0.0.1:{port} within 1 s"
    for name in ("binance", "binance rest"):
        endpoint = run.endpoint(name)
        assert endpoint["error"] == expected, name
        assert endpoint["fault"] == "timeout"
        assert steps(endpoint)["tcp"] == "ok"
        assert steps(endpoint)["tls"] == "failed"
    assert run.doc["timeout_s"] == 1.0
    assert expected in fix_line(text.out)


# --- narrower cases, in-process ------------------------------------------------------------


async def test_every_exchange_adapter_gives_a_price(tmp_path: Path, trusted: PrivateCA) -> None:
    """All five exchanges, each through its own adapter's subscribe and parse."""
    tls = trusted.server_context()
    listed = {
        "binance": {"BTCUSDT"},
        "coinbase": {"BTC-USD"},
        "kraken": {"BTC/USD"},
        "okx": {"BTC-USDT"},
        "bybit": {"BTCUSDT"},
    }
    exchanges = {
        name: await FakeExchange(name, symbols).start(ssl=tls) for name, symbols in listed.items()
    }
    http = FakeHTTP()
    await http.start(ssl=tls)
    script_providers(http)
    closes = script_the_rest(http)
    try:
        tables = derived_endpoints({n: e.port for n, e in exchanges.items()}, http.port)
        config = write_config(
            tmp_path, tables, exchanges=list(listed), symbols=("BTC-USD",), providers=()
        )
        report = await run_doctor(load_config(config), timeout=5.0)
    finally:
        for exchange in exchanges.values():
            await exchange.stop()
        await http.stop()
    names = [c.name for c in report.checks]
    assert names == [
        "binance", "binance rest", "coinbase", "coinbase rest", "kraken", "kraken rest",
        "okx", "bybit",
    ]  # fmt: skip
    assert report.ok, [(c.name, c.error) for c in report.checks]
    for check in report.checks:
        assert check.price is not None
        assert check.price[0] == "BTC-USD"
        if check.kind == "websocket":
            assert Decimal("100") < check.price[1] < Decimal("200"), check.name
            assert check.steps["subscribe"].status == "ok", check.name
        else:
            assert check.price[1] == closes[check.name.removesuffix(" rest")]


async def test_a_connection_cut_without_a_close_frame_is_said_to_be_reset(
    tmp_path: Path, trusted: PrivateCA
) -> None:
    """The exchange drops the TCP connection before a price (no close frame): doctor
    says it in the feeds' words."""
    tls = trusted.server_context()
    binance = FakeExchange("binance", {"BTCUSDT"}, faults=[Fault("drop", after=0)])
    await binance.start(ssl=tls)
    http = FakeHTTP()
    await http.start(ssl=tls)
    script_providers(http)
    script_the_rest(http)
    try:
        tables = derived_endpoints({"binance": binance.port}, http.port)
        config = write_config(
            tmp_path, tables, exchanges=["binance"], symbols=("BTC-USD",), providers=()
        )
        report = await run_doctor(load_config(config), timeout=5.0)
    finally:
        await binance.stop()
        await http.stop()
    check = next(c for c in report.checks if c.name == "binance")
    assert not check.works
    assert check.error == "connection reset by the server", check.error


async def test_a_clock_far_off_is_noted_and_a_rate_limit_gets_its_fix(
    tmp_path: Path, trusted: PrivateCA
) -> None:
    http = FakeHTTP()
    await http.start(ssl=trusted.server_context())
    ahead = email.utils.formatdate(time.time() + 3600, usegmt=True)
    body = (LOCAL / "alternative_me" / "fng_limit2_2026-04-27.json").read_bytes()
    http.script("/fng/", Reply(200, body, headers={"Date": ahead}))
    http.script(
        "/api/v3/global",
        Reply(429, b'{"status":{"error_code":429}}', headers={"Retry-After": "60"}),
    )
    try:
        tables: dict[str, Mapping[str, object]] = dict(derived_endpoints({}, http.port))
        tables["exchanges.binance"] = {"enabled": False}
        config = write_config(
            tmp_path, tables, exchanges=["binance"], providers=("alternative_me", "coingecko")
        )
        report = await run_doctor(load_config(config), timeout=5.0)
    finally:
        await http.stop()
    fear = next(c for c in report.checks if c.name == "alternative_me")
    assert fear.works is True
    assert fear.skew_s is not None
    assert 3590 <= fear.skew_s <= 3601
    assert any("3" in note and "behind" in note for note in report.notes), report.notes
    gecko = next(c for c in report.checks if c.name == "coingecko")
    assert gecko.works is False
    assert gecko.http_status == 429
    assert gecko.fix is not None
    assert "rate limited" in gecko.fix
    assert "COINGECKO_API_KEY" in gecko.fix


def test_demo_has_nothing_to_check(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "--demo"]) == 0
    assert "nothing to check" in capsys.readouterr().out
    assert main(["--demo", "doctor", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["simulated"] is True
    assert doc["ok"] is True
    assert doc["endpoints"] == []


async def test_a_proxy_that_refuses_is_named_without_its_password(
    tmp_path: Path, fakes: Fakes, private_ca: PrivateCA
) -> None:
    """HTTPS_PROXY applies to every connection (no NO_PROXY here): the proxy is shown
    without its credentials, and its refusal is told as the proxy's, not the exchange's."""
    proxy_port = closed_port()
    env = env_for(tmp_path, private_ca) | {
        "HTTPS_PROXY": f"http://user:s3cret@127.0.0.1:{proxy_port}"
    }
    tables = binance_only(HOST, fakes.binance.port, HOST, fakes.http.port)
    text, run = await failing_run(tmp_path, tables, env)
    assert "s3cret" not in text.out + text.err + run.out + run.err
    expected = f"connection refused by 127.0.0.1:{proxy_port}"
    for name in ("binance", "binance rest"):
        endpoint = run.endpoint(name)
        assert endpoint["proxy"] == {
            "url": f"http://***@127.0.0.1:{proxy_port}",
            "origin": "HTTPS_PROXY",
        }
        assert endpoint["error"] == expected, name
    assert f"proxy: http://***@127.0.0.1:{proxy_port} (HTTPS_PROXY)" in text.out
    fix = fix_line(text.out)
    assert expected in fix
    assert "through the proxy" in fix
    # nothing reached the exchange: every connection went to the (refusing) proxy
    assert fakes.binance.paths == []


# --- which path to the Russell 2000 works ---------------------------------------------------


def yahoo_refuses_plain_clients(fakes: Fakes) -> None:
    """Yahoo as it answers on many networks: 429 unless the client is a browser (a header
    Chrome sends and httpx does not stands for the TLS fingerprint)."""
    blocked = Reply.file(HTTP_FIXTURES / "yahoo_chart" / "error_429_body_variant_b.txt", 429)
    fakes.http.gate(chart_path("^RUT"), "sec-ch-ua", blocked)


def equity(run: Run) -> list[tuple[str, str, bool]]:
    return [(p["path"], p["symbol"], p["served"]) for p in run.doc["equity_paths"]]


async def test_doctor_says_impersonation_serves_rut_where_yahoo_refuses_httpx(
    tmp_path: Path, fakes: Fakes, private_ca: PrivateCA
) -> None:
    yahoo_refuses_plain_clients(fakes)
    config = healthy_config(tmp_path, fakes)
    env = env_for(tmp_path, private_ca)
    env.pop("TWELVEDATA_API_KEY", None)
    run = await doctor(config, env, "--json")
    assert run.code == 1, run.err  # the plain Yahoo check fails
    assert equity(run) == [
        ("yahoo (httpx)", "^RUT", False),
        ("yahoo (browser impersonation)", "^RUT", True),
        ("twelvedata", "IWM for ^RUT", False),
    ]
    paths = run.doc["equity_paths"]
    assert paths[0]["detail"].startswith("rate-limited: HTTP 429")
    assert paths[2]["fix"] == "set $TWELVEDATA_API_KEY (a free Twelve Data key)"
    assert run.doc["equity_fix"] is None
    text = await doctor(config, env)
    assert "the Russell 2000:" in text.out
    assert re.search(r"ok +yahoo \(browser impersonation\) +\^RUT", text.out), text.out


async def test_doctor_gives_the_fix_when_no_path_serves_rut(
    tmp_path: Path, fakes: Fakes, private_ca: PrivateCA
) -> None:
    yahoo_refuses_plain_clients(fakes)
    tables = derived_endpoints(
        {"binance": fakes.binance.port, "coinbase": fakes.coinbase.port}, fakes.http.port
    )
    tables["providers.yahoo"]["transport"] = "httpx"
    config = write_config(tmp_path, tables, exchanges=["binance", "coinbase"])
    env = env_for(tmp_path, private_ca)
    env.pop("TWELVEDATA_API_KEY", None)
    run = await doctor(config, env, "--json")
    assert equity(run) == [
        ("yahoo (httpx)", "^RUT", False),
        ("twelvedata", "IWM for ^RUT", False),
    ]
    assert run.doc["equity_fix"] == (
        "Yahoo answers 429 to this network: set $TWELVEDATA_API_KEY (a free Twelve Data key)"
    )
    text = await doctor(config, env)
    assert "fix: Yahoo answers 429 to this network" in text.out
    # With the key, Twelve Data serves IWM in ^RUT's place, and the key is in no output.
    key = "td-doctor-key-0123456789"
    env["TWELVEDATA_API_KEY"] = key
    run = await doctor(config, env, "--json")
    assert equity(run)[-1] == ("twelvedata", "IWM for ^RUT", True)
    assert run.doc["equity_fix"] is None
    assert run.endpoint("twelvedata")["ok"] is True
    assert key not in run.out + run.err
    text = await doctor(config, env)
    assert key not in text.out + text.err
