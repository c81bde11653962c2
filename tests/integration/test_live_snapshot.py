"""``r2kmon snapshot --json`` over TLS, with the shipped default endpoints, against fakes.

The real command runs in a subprocess. Its config is the shipped defaults with nothing
changed but each endpoint's host and port (:func:`tests.fakes.tls.derived_endpoints`):
``wss://`` exchange fakes speaking their real protocols on their real paths
(``tests/fakes/exchanges.py``) and one ``https://`` server replaying recorded provider
answers on their real paths (``tests/fakes/providers.py``). The private test CA is trusted
the two ways a user can: ``SSL_CERT_FILE``, or ``[network] ca_file``. Nothing reaches the
internet.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from r2kmon.config import DEFAULT_EXCHANGES, DEFAULT_PROVIDERS
from tests.fakes.exchanges import FakeExchange
from tests.fakes.http import FakeHTTP
from tests.fakes.providers import MARKETS, script_providers
from tests.fakes.tls import PrivateCA, derived_endpoints, toml_tables

pytestmark = pytest.mark.timeout(120)


@dataclass
class Fakes:
    binance: FakeExchange
    coinbase: FakeExchange
    http: FakeHTTP


@pytest.fixture
async def fakes(private_ca: PrivateCA) -> AsyncIterator[Fakes]:
    # Binance lists BTC and ETH (as USDT pairs) but not SOL; Coinbase lists all three.
    tls = private_ca.server_context()
    binance = await FakeExchange("binance", {"BTCUSDT", "ETHUSDT"}).start(ssl=tls)
    coinbase = await FakeExchange("coinbase", {"BTC-USD", "ETH-USD", "SOL-USD"}).start(ssl=tls)
    http = FakeHTTP()
    await http.start(ssl=tls)
    script_providers(http)
    try:
        yield Fakes(binance, coinbase, http)
    finally:
        await binance.stop()
        await coinbase.stop()
        await http.stop()


def write_config(
    tmp_path: Path, fakes: Fakes, extra: Mapping[str, Mapping[str, object]] | None = None
) -> Path:
    tables: dict[str, Mapping[str, object]] = {
        "crypto": {
            "symbols": ["BTC-USD", "ETH-USD", "SOL-USD"],
            "exchanges": ["binance", "coinbase"],
            "breadth": False,
        },
        "markets": {"symbols": list(MARKETS)},
        "store": {"path": str(tmp_path / "store.sqlite")},
        **(extra or {}),
    }
    tables.update(
        derived_endpoints(
            {"binance": fakes.binance.port, "coinbase": fakes.coinbase.port}, fakes.http.port
        )
    )
    path = tmp_path / "live.toml"
    path.write_text(toml_tables(tables))
    return path


async def run_snapshot(config: Path, env: Mapping[str, str]) -> tuple[int, Any, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "r2kmon", "snapshot", "--json", "--wait", "60",
        "--config", str(config),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL, env=dict(env),
    )  # fmt: skip
    async with asyncio.timeout(100):
        out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, json.loads(out) if out else None, err.decode()


def base_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env.pop("SSL_CERT_FILE", None)
    env.pop("SSL_CERT_DIR", None)
    env["XDG_STATE_HOME"] = str(tmp_path)
    return env


def check_document(doc: Any, fakes: Fakes) -> None:
    quotes = doc["quotes"]
    # crypto: each from the highest-priority exchange that lists it, named on the row
    assert quotes["BTC-USD"]["source"] == "binance"
    assert quotes["ETH-USD"]["source"] == "binance"
    assert quotes["SOL-USD"]["source"] == "coinbase"
    for symbol in ("BTC-USD", "ETH-USD", "SOL-USD"):
        assert 100 <= quotes[symbol]["price"] < 200  # the fakes send 100.01, 100.02, ...
        # (the fakes stamp their frames 2026-01-01, so "stale" is rightly true here)
    assert doc["health"]["binance"]["status"] == "ok"
    assert doc["health"]["coinbase"]["status"] == "ok"
    # the websockets opened the exchanges' real paths, as the defaults name them
    assert fakes.binance.paths
    assert all(p == "/stream" for p in fakes.binance.paths)
    assert fakes.coinbase.paths
    assert all(p == "/" for p in fakes.coinbase.paths)

    # markets: every configured symbol from Yahoo, with its age
    for symbol in MARKETS:
        assert quotes[symbol] is not None, symbol
        assert quotes[symbol]["source"] == "yahoo"
        assert quotes[symbol]["age_s"] >= 0

    # context values carry their source and as_of
    dominance = doc["context"]["btc_dominance"]
    assert dominance["source"] == "coingecko"
    assert dominance["value"] is not None
    assert dominance["as_of"] is not None
    fear = doc["context"]["fear_greed"]
    assert fear["source"] == "alternative_me"
    assert fear["as_of"] is not None
    assert doc["simulated"] is False
    # the REST backfill reached Binance's klines over https
    assert fakes.http.hits("/api/v3/klines")


async def test_snapshot_over_tls_trusting_ssl_cert_file(
    tmp_path: Path, fakes: Fakes, private_ca: PrivateCA
) -> None:
    env = base_env(tmp_path) | {"SSL_CERT_FILE": str(private_ca.ca_file)}
    code, doc, err = await run_snapshot(write_config(tmp_path, fakes), env)
    assert code == 0, err
    check_document(doc, fakes)


async def test_snapshot_over_tls_trusting_ca_file_from_the_config(
    tmp_path: Path, fakes: Fakes, private_ca: PrivateCA
) -> None:
    config = write_config(tmp_path, fakes, {"network": {"ca_file": str(private_ca.ca_file)}})
    code, doc, err = await run_snapshot(config, base_env(tmp_path))
    assert code == 0, err
    check_document(doc, fakes)


async def test_an_untrusted_certificate_is_refused_and_said(tmp_path: Path, fakes: Fakes) -> None:
    """Without the CA, every connection is refused for its certificate — verification has
    no off switch — and every source says so in words."""
    code, doc, err = await run_snapshot(write_config(tmp_path, fakes), base_env(tmp_path))
    assert code == 1, err
    assert all(quote is None for quote in doc["quotes"].values())
    expected = "certificate verify failed: unable to get local issuer certificate"
    for name in ("binance", "coinbase", "yahoo", "fred", "coingecko", "alternative_me"):
        assert expected in doc["health"][name]["last_error"], name
    assert "Traceback" not in err


def test_the_defaults_are_tls_and_the_tests_change_only_host_and_port() -> None:
    """The shipped defaults speak wss:// and https://; the configuration the live-path
    tests use differs from them in host and port and nothing else."""
    for name, endpoint in DEFAULT_EXCHANGES.items():
        assert endpoint.url.startswith("wss://"), name
        assert endpoint.rest_url.startswith("https://"), name
    for name, endpoint in DEFAULT_PROVIDERS.items():
        assert endpoint.url.startswith("https://"), name

    derived = derived_endpoints({name: 4000 for name in DEFAULT_EXCHANGES}, 5000)
    defaults: dict[str, dict[str, str]] = {
        f"exchanges.{n}": {"url": e.url, "rest_url": e.rest_url}
        for n, e in DEFAULT_EXCHANGES.items()
    }
    defaults |= {f"providers.{n}": {"url": e.url} for n, e in DEFAULT_PROVIDERS.items()}
    assert derived.keys() == defaults.keys()
    for section, urls in defaults.items():
        for key, default in urls.items():
            got, want = urlsplit(derived[section][key]), urlsplit(default)
            assert (got.scheme, got.path, got.query) == (want.scheme, want.path, want.query)
            assert got.hostname == "127.0.0.1"
            port = 4000 if key == "url" and section.startswith("exchanges.") else 5000
            assert got.port == port, (section, key)
