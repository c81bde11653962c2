"""A provider's coin symbol becomes a hub and store symbol only when it is a coin ticker.

Issue 12, item 8: a CoinGecko coin whose symbol held raw control characters was stored
(91 daily bars in SQLite under that name). Symbols from CoinGecko and CoinPaprika are now
held to ASCII letters and digits, 1 to 12 of them after upper-casing (every real ticker in
the fixtures fits), and their ids to a URL-safe slug; a row that does not fit is left out,
said once in the log with its characters escaped.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from r2kmon.clock import SystemClock
from r2kmon.config import DEFAULT_PROVIDERS
from r2kmon.hub import Hub
from r2kmon.net import NetworkPolicy
from r2kmon.sources import coinpaprika
from r2kmon.sources.crypto_common import coin_symbol
from r2kmon.sources.poller import Poller, PollerSettings, ProviderSettings, new_client
from r2kmon.store import Store
from tests.fakes.http import FakeHTTP, Reply
from tests.fakes.tls import PrivateCA, swap_host
from tests.paths import HTTP_FIXTURES

FIXTURES = HTTP_FIXTURES
UNSAFE = {chr(c) for c in [*range(0x20), *range(0x7F, 0xA0), 0x202E, 0x200B, 0xFEFF]}


def fixture_coins() -> list[dict[str, Any]]:
    """Every coin row of the recorded CoinGecko and CoinPaprika answers."""
    rows: list[dict[str, Any]] = []
    for path in [*FIXTURES.glob("coingecko/*.json"), *FIXTURES.glob("coinpaprika/*.json")]:
        body = json.loads(path.read_text())
        for item in body if isinstance(body, list) else [body]:
            if isinstance(item, dict) and "symbol" in item:
                rows.append(item)
    return rows


def test_every_recorded_coin_fits() -> None:
    rows = fixture_coins()
    assert len(rows) >= 3
    for row in rows:
        assert coin_symbol(row["symbol"], row["id"], "test") == (row["id"], row["symbol"].upper())


@pytest.mark.parametrize(
    ("symbol", "coin_id", "taken"),
    [
        ("S", "sonic-3", ("sonic-3", "S")),
        ("1000sats", "1000sats-ordinals", ("1000sats-ordinals", "1000SATS")),
        ("usd1", "usd1-wlfi", ("usd1-wlfi", "USD1")),
        ("btc\x1b]52;c;SGVsbG8=\x07", "evil-1", None),
        ("btc\x00", "evil-2", None),
        ("b\u202etc", "evil-3", None),
        ("bt\u200bc", "evil-4", None),
        ("\ufb01l", "evil-5", None),  # the ligature fi: "ﬁl".upper() would be "FIL"
        ("\u0131cp", "evil-6", None),  # dotless i: would upper-case to ICP
        ("btc-usd", "evil-7", None),
        ("", "evil-8", None),
        ("abcdefghijklm", "evil-9", None),  # 13 characters
        ("btc", "../../admin", None),  # the id goes into a request path
        ("btc", "bit coin", None),
        ("btc", "bitcoin%2f", None),
        (None, "evil-10", None),
        (7, "evil-11", None),
    ],
)
def test_coin_tickers_and_ids_are_held_to_a_pattern(
    symbol: object, coin_id: str, taken: tuple[str, str] | None
) -> None:
    assert coin_symbol(symbol, coin_id, "test") == taken


EVIL = "x\x1b]52;c;SGVsbG8=\x07\x1b[2J\u202e"


def markets_body(evil_id: str) -> bytes:
    """The recorded /coins/markets answer plus two coins a hostile provider made up."""
    rows = json.loads(
        (FIXTURES / "coingecko" / "coins_markets_docs_example_2024-04-07.json").read_text()
    )
    good = rows[0]
    return orjson.dumps(
        [
            *rows,
            {
                **good,
                "id": evil_id,
                "symbol": EVIL,
                "name": "Evil\x1b]0;pwned\x07",
                "market_cap_rank": 2,
            },
            {**good, "id": f"{evil_id}-b", "symbol": "e\u200bvil", "market_cap_rank": 3},
        ]
    )


@pytest.fixture
async def provider(private_ca: PrivateCA) -> AsyncIterator[FakeHTTP]:
    fake = FakeHTTP()
    await fake.start(ssl=private_ca.server_context())
    yield fake
    await fake.stop()


def settings_for(http: FakeHTTP, provider: str, url: str) -> PollerSettings:
    """Only ``provider``, at its shipped default URL with host and port swapped."""
    return PollerSettings(
        providers={provider: ProviderSettings(swap_host(url, http.port), min_interval_s=0.0)},
        market_symbols=(),
        fred_series=(),
        market_hours=False,
        timeout_s=2.0,
        deadline_s=4.0,
        jitter=0.0,
    )


async def test_a_hostile_coin_symbol_never_becomes_a_stored_symbol(
    provider: FakeHTTP, private_ca: PrivateCA, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    http = provider
    http.script(
        "/api/v3/global",
        Reply.file(FIXTURES / "coingecko" / "global_docs_example_2024-04-07.json"),
    )
    http.script("/api/v3/coins/markets", Reply(200, markets_body("evil-coin")))
    chart = Reply.file(FIXTURES / "coingecko" / "coins_id_market_chart_docs_example.json")
    for coin in ("bitcoin", "evil-coin", "evil-coin-b"):
        http.script(f"/api/v3/coins/{coin}/market_chart", chart)
    hub = Hub(SystemClock(), simulated=False)
    settings = settings_for(http, "coingecko", DEFAULT_PROVIDERS["coingecko"].url)
    caplog.set_level(logging.INFO)
    async with (
        asyncio.timeout(15),
        new_client(settings, NetworkPolicy(ca_file=str(private_ca.ca_file))) as client,
    ):
        poll = Poller(client, settings)
        await poll.run_once(hub)
        await poll.run_due()
        await poll.run_once(hub)  # the next day's poll: refused again, said only once
        await poll.run_due()
    path = tmp_path / "r2kmon.sqlite"
    store = Store(path)
    store.save(hub.snapshot())
    store.close()
    with sqlite3.connect(path) as db:
        stored = {row[0] for row in db.execute("SELECT DISTINCT symbol FROM bars")}
    assert stored == {"BTC-USD"}  # the recorded coin's history, and nothing else
    assert set(hub.snapshot().bars_1d) == {"BTC-USD"}
    assert http.hits("/api/v3/coins/evil-coin/market_chart") == []
    assert http.hits("/api/v3/coins/bitcoin/market_chart") != []  # the one coin taken
    refused = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert len(refused) == 2  # one line per refused coin, not one per poll
    assert "'evil-coin'" in refused[0]
    assert "\\x1b]52;c;" in refused[0]  # written as escapes: readable, inert
    for message in (r.getMessage() for r in caplog.records):
        assert not UNSAFE & set(message)
    for record in hub.snapshot().health.values():
        assert not UNSAFE & set(record.last_error or "")


def test_coinpaprika_tickers_drop_a_hostile_symbol() -> None:
    body = json.loads(
        (FIXTURES / "coinpaprika" / "tickers_btc-bitcoin_docs_example.json").read_text()
    )
    hostile = {**body, "id": "evil-paprika", "symbol": EVIL, "rank": 2}
    coins = coinpaprika.parse_tickers([body, hostile])
    assert [(c.id, c.symbol) for c in coins] == [("btc-bitcoin", "BTC")]
