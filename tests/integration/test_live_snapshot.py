"""``r2kmon snapshot --json`` against fake exchanges and fake HTTP providers on loopback.

The real command runs in a subprocess with a config file pointing every endpoint at fake
servers in this process: websocket exchanges speaking their real protocols
(``tests/fakes/exchanges.py``) and an HTTP server replaying recorded provider answers
(``tests/fakes/http.py``). Nothing reaches the internet.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.conftest import REPO, SHARED
from tests.fakes.exchanges import FakeExchange
from tests.fakes.http import FakeHTTP, Reply

pytestmark = pytest.mark.timeout(120)

HTTP = SHARED / "fixtures" / "http"
LOCAL = REPO / "tests" / "sources" / "fixtures"
MARKETS = ("^RUT", "IWM", "SPY", "^VIX")


def chart(symbol: str) -> str:
    return f"/yahoo/v8/finance/chart/{quote(symbol, safe='')}"


def script_providers(http: FakeHTTP) -> None:
    """Recorded answers for every provider (the AAPL and ^TNX recordings stand in for the
    index charts: the wire format is what matters here)."""
    for symbol in MARKETS:
        http.script(
            chart(symbol) + "?interval=1d",
            Reply.file(HTTP / "yahoo_chart" / "aapl_1d_period_with_events.json"),
        )
        http.script(
            chart(symbol) + "?interval=1m",
            Reply.file(HTTP / "yahoo_chart" / "tnx_5m_range1d_index.json"),
        )
    for series_id, name in [
        ("WALCL", "WALCL_fredgraph_2023-12-27_2024-01-10.csv"),
        ("WTREGEN", "WTREGEN_fredgraph_2023-12-27_2024-01-10.csv"),
        ("RRPONTSYD", "RRPONTSYD_fredgraph_2023-12-29_2024-01-04_holiday_gap.csv"),
    ]:
        http.script(f"/fred/graph/fredgraph.csv?id={series_id}", Reply.file(HTTP / "fred" / name))
    http.script(
        "/coingecko/global", Reply.file(HTTP / "coingecko" / "global_docs_example_2024-04-07.json")
    )
    http.script(
        "/coingecko/coins/markets",
        Reply.file(HTTP / "coingecko" / "coins_markets_docs_example_2024-04-07.json"),
    )
    http.script(
        "/alternative_me/fng/", Reply.file(LOCAL / "alternative_me" / "fng_limit2_2026-04-27.json")
    )
    http.script("/binance/api/v3/klines", Reply.file(HTTP / "binance" / "klines_docs_example.json"))


def write_config(tmp_path: Path, binance: FakeExchange, coinbase: FakeExchange, base: str) -> Path:
    lines = [
        "[crypto]",
        'symbols = ["BTC-USD", "ETH-USD", "SOL-USD"]',
        'exchanges = ["binance", "coinbase"]',
        "breadth = false",
        "[markets]",
        'symbols = ["^RUT", "IWM", "SPY", "^VIX"]',
        "[exchanges.binance]",
        f'url = "{binance.url}"',
        f'rest_url = "{base}/binance"',
        "[exchanges.coinbase]",
        f'url = "{coinbase.url}"',
        f'rest_url = "{base}/coinbase"',
        "[store]",
        f'path = "{tmp_path / "store.sqlite"}"',
    ]
    for name in ("yahoo", "fred", "coingecko", "coinpaprika", "ishares", "alternative_me"):
        lines += [f"[providers.{name}]", f'url = "{base}/{name}"']
    path = tmp_path / "live.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


async def test_snapshot_from_fake_exchanges_and_providers(tmp_path: Path) -> None:
    # Binance lists BTC and ETH (as USDT pairs) but not SOL; Coinbase lists all three.
    binance = await FakeExchange("binance", {"BTCUSDT", "ETHUSDT"}).start()
    coinbase = await FakeExchange("coinbase", {"BTC-USD", "ETH-USD", "SOL-USD"}).start()
    http = FakeHTTP()
    base = await http.start()
    script_providers(http)
    config = write_config(tmp_path, binance, coinbase, base)
    env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost", "XDG_STATE_HOME": str(tmp_path)}
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "r2kmon", "snapshot", "--json", "--wait", "60",
            "--config", str(config),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            stdin=asyncio.subprocess.DEVNULL, env=env,
        )  # fmt: skip
        async with asyncio.timeout(100):
            out, err = await process.communicate()
    finally:
        await binance.stop()
        await coinbase.stop()
        await http.stop()
    assert process.returncode == 0, err.decode()
    doc = json.loads(out)
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
