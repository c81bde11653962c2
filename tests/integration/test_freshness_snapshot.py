"""``r2kmon snapshot --json`` over TLS says each quote's freshness: the real command in a
subprocess, the shipped defaults with only host and port swapped, against fakes.

Yahoo answers for ``^RUT``, but with a price whose own time is four months old; Yahoo
does not know ``^VIX``, so FRED's daily close (VIXCLS) serves it; Binance streams
BTC-USD stamped as it sends. Whatever the session when this runs, the months-old price is
``stale`` though its provider answered, and FRED's close of the last session is
``delayed`` while the market trades or ``closed`` while it is shut."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Mapping
from datetime import datetime, timezone
from pathlib import Path

import pytest

from r2kmon.analytics.market_hours import MarketHours
from tests.fakes.exchanges import FakeExchange
from tests.fakes.http import FakeHTTP, Reply
from tests.fakes.providers import chart_path, script_providers
from tests.fakes.tls import PrivateCA, derived_endpoints, toml_tables
from tests.integration.test_live_snapshot import base_env, run_snapshot
from tests.paths import HTTP_FIXTURES

pytestmark = pytest.mark.timeout(120)

MONTHS = 120 * 86_400.0


def months_old_chart(symbol: str, now: float) -> Reply:
    """Yahoo's recorded ^TNX chart answer, made ``symbol``'s with its price stamped four
    months before ``now``: a provider that answers with an old price."""
    body = json.loads((HTTP_FIXTURES / "yahoo_chart" / "tnx_5m_range1d_index.json").read_text())
    meta = body["chart"]["result"][0]["meta"]
    meta["symbol"] = symbol
    meta["regularMarketTime"] = int(now - MONTHS)
    return Reply(200, json.dumps(body).encode())


def day(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d")


@pytest.fixture
async def fakes(private_ca: PrivateCA) -> AsyncIterator[tuple[FakeExchange, FakeHTTP, str]]:
    tls = private_ca.server_context()
    binance = await FakeExchange("binance", {"BTCUSDT"}, clock=time.time).start(ssl=tls)
    http = FakeHTTP()
    await http.start(ssl=tls)
    script_providers(http, markets=("^RUT",))
    now = time.time()
    for interval in ("1d", "1m"):
        http.script(f"{chart_path('^RUT')}?interval={interval}", months_old_chart("^RUT", now))
        http.script(
            f"{chart_path('^VIX')}?interval={interval}",
            Reply.file(HTTP_FIXTURES / "yahoo_chart" / "error_404_unknown_symbol.json", 404),
        )
    # FRED's VIXCLS up to the close of the most recent completed session.
    market = MarketHours().state(now)
    assert market.last_close is not None
    assert market.prior_close is not None
    last = day(market.last_close)
    csv = f"observation_date,VIXCLS\n{day(market.prior_close)},18.00\n{last},17.19\n"
    http.script("/graph/fredgraph.csv?id=VIXCLS", Reply(200, csv.encode(), "application/csv"))
    try:
        yield binance, http, last
    finally:
        await binance.stop()
        await http.stop()


async def test_snapshot_json_says_each_quotes_freshness(
    tmp_path: Path, fakes: tuple[FakeExchange, FakeHTTP, str], private_ca: PrivateCA
) -> None:
    binance, http, last_session = fakes
    tables: dict[str, Mapping[str, object]] = {
        "crypto": {"symbols": ["BTC-USD"], "exchanges": ["binance"], "breadth": False},
        "markets": {"symbols": ["^RUT", "^VIX"]},
        "store": {"enabled": False},
    }
    tables.update(derived_endpoints({"binance": binance.port}, http.port))
    config = tmp_path / "fresh.toml"
    config.write_text(toml_tables(tables))
    env = base_env(tmp_path) | {"SSL_CERT_FILE": str(private_ca.ca_file)}
    code, doc, err = await run_snapshot(config, env)
    assert code == 0, err
    quotes = doc["quotes"]
    # The provider answered, and is ok: the price is stale by its own time.
    assert doc["health"]["yahoo"]["status"] == "ok"
    assert (quotes["^RUT"]["source"], quotes["^RUT"]["freshness"]) == ("yahoo", "stale")
    assert quotes["^RUT"]["stale"] is True
    # FRED's close of the last session stands in for ^VIX.
    vix = quotes["^VIX"]
    assert (vix["source"], vix["ts"][:10], vix["price"]) == ("fred", last_session, 17.19)
    market_open = doc["market"]["state"] == "open"
    assert vix["freshness"] == ("delayed" if market_open else "closed")
    assert vix["stale"] is False
    # Streamed and stamped as sent: live.
    assert (quotes["BTC-USD"]["freshness"], quotes["BTC-USD"]["stale"]) == ("live", False)
