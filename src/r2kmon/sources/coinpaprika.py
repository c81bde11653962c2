"""CoinPaprika: the fallback for global crypto market cap, BTC dominance and top coins.

Used by :mod:`r2kmon.sources.catalogue` when CoinGecko fails. Pure: builds the request, parses
the answer into the same records as :mod:`r2kmon.sources.coingecko`. Free plan, no key.

Wire formats (docs examples in ``../shared/fixtures/http/coinpaprika/``)::

    GET /global
    {"market_cap_usd": 430252937008, "bitcoin_dominance_percentage": 36.67,
     "last_updated": 1525089441, ...}

    GET /tickers?quotes=USD      (an array of these; /tickers/{id} returns one)
    {"id": "btc-bitcoin", "symbol": "BTC", "name": "Bitcoin", "rank": 1,
     "quotes": {"USD": {"price": 5162.15, "market_cap": 91094433242,
                        "percent_change_30d": 27.39, ...}}}

    GET /tickers/{id}/historical?start=2018-02-28&interval=1d
    [{"timestamp": "2018-03-01T00:00:00Z", "price": 855.53, "volume_24h": ..., ...}]

Errors are ``{"error": "<message>"}``: 404 ``id not found``, 429 ``you have reached maximum
request limit``, 402 for plan limits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import ClassVar

import httpx

from r2kmon.sources.base import (
    BROWSER_HEADERS,
    BadBody,
    ErrorPayload,
    UnknownSymbol,
    as_float,
    check_status,
    join_url,
    json_body,
    require_dict,
    require_list,
)
from r2kmon.sources.crypto_common import (
    Coin,
    CoinHistory,
    GlobalMarket,
    PricePoint,
    coin_row,
)

PROVIDER = "coinpaprika"


def _checked_json(response: httpx.Response, what: str) -> object:
    check_status(response, PROVIDER)
    payload = json_body(response, PROVIDER)
    if isinstance(payload, dict) and "error" in payload:
        text = str(payload["error"])
        if response.status_code == 404 or "not found" in text.lower():
            raise UnknownSymbol(PROVIDER, f"{what}: {text}")
        raise ErrorPayload(PROVIDER, f"{what}: HTTP {response.status_code} {text}")
    if response.status_code != 200:
        raise ErrorPayload(PROVIDER, f"{what}: HTTP {response.status_code}")
    return payload


@dataclass(frozen=True, slots=True)
class GlobalEndpoint:
    """``/global``: total market cap and BTC dominance."""

    base_url: str

    provider: ClassVar[str] = PROVIDER

    def request(self) -> httpx.Request:
        return httpx.Request("GET", join_url(self.base_url, "global"), headers=BROWSER_HEADERS)

    def parse(self, response: httpx.Response) -> GlobalMarket:
        return parse_global(_checked_json(response, "global"))


def parse_global(payload: object) -> GlobalMarket:
    """Parse a decoded ``/global`` body."""
    body = require_dict(payload, PROVIDER, "global")
    total = as_float(body.get("market_cap_usd"))
    btc = as_float(body.get("bitcoin_dominance_percentage"))
    updated = as_float(body.get("last_updated"))
    if total is None or btc is None or updated is None:
        raise BadBody(PROVIDER, "global: market_cap_usd, dominance or last_updated missing")
    return GlobalMarket(total, btc, updated, PROVIDER)


@dataclass(frozen=True, slots=True)
class TickersEndpoint:
    """``/tickers?quotes=USD``: every coin by rank with its USD quote and 30-day change."""

    base_url: str

    provider: ClassVar[str] = PROVIDER

    def request(self) -> httpx.Request:
        url = join_url(self.base_url, "tickers")
        return httpx.Request("GET", url, params={"quotes": "USD"}, headers=BROWSER_HEADERS)

    def parse(self, response: httpx.Response) -> list[Coin]:
        return parse_tickers(_checked_json(response, "tickers"))


def parse_tickers(payload: object) -> list[Coin]:
    """Parse ``/tickers`` (an array) or ``/tickers/{id}`` (one object) into coins.

    ``change_30d_pct`` is ``percent_change_30d`` of the USD quote. A row whose symbol or id
    does not fit :data:`~r2kmon.sources.crypto_common.COIN_SYMBOL` / ``COIN_ID`` is left out
    (and said once in the log).
    """
    items = [payload] if isinstance(payload, dict) else require_list(payload, PROVIDER, "tickers")
    coins: list[Coin] = []
    for position, item in enumerate(items, start=1):
        coin = require_dict(item, PROVIDER, "a ticker")
        quotes = require_dict(coin.get("quotes", {}), PROVIDER, "ticker quotes")
        usd = require_dict(quotes.get("USD", {}), PROVIDER, "ticker USD quote")
        rank = as_float(coin.get("rank"))
        parsed = coin_row(
            coin,
            PROVIDER,
            # CoinPaprika gives inactive coins rank 0; put them after the ranked ones.
            rank=int(rank) if rank and abs(rank) < 1e15 else 1_000_000 + position,
            price=as_float(usd.get("price")),
            market_cap=as_float(usd.get("market_cap")),
            change_30d_pct=as_float(usd.get("percent_change_30d")),
        )
        if parsed is not None:  # None: refused (and said once), it never becomes a symbol
            coins.append(parsed)
    return coins


@dataclass(frozen=True, slots=True)
class HistoricalEndpoint:
    """``/tickers/{id}/historical``: daily USD prices from ``start`` (free plan: last year)."""

    coin_id: str
    symbol: str
    base_url: str
    start: date

    provider: ClassVar[str] = PROVIDER

    def request(self) -> httpx.Request:
        params = {"start": self.start.isoformat(), "interval": "1d", "quote": "usd"}
        url = join_url(self.base_url, f"tickers/{self.coin_id}/historical")
        return httpx.Request("GET", url, params=params, headers=BROWSER_HEADERS)

    def parse(self, response: httpx.Response) -> CoinHistory:
        payload = _checked_json(response, f"historical {self.coin_id}")
        return parse_historical(payload, self.coin_id, self.symbol)


def parse_historical(payload: object, coin_id: str, symbol: str) -> CoinHistory:
    """Parse a decoded ``historical`` body (ISO-8601 timestamps) into a history."""
    points: list[PricePoint] = []
    for item in require_list(payload, PROVIDER, "historical"):
        point = require_dict(item, PROVIDER, "a historical point")
        stamp = point.get("timestamp")
        try:
            when = datetime.fromisoformat(str(stamp))
            # A time without an offset is UTC (CoinPaprika writes "Z").
            ts = (when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when).timestamp()
        except (ValueError, OverflowError) as exc:
            raise BadBody(PROVIDER, f"historical {coin_id}: bad timestamp {stamp!r}") from exc
        points.append(PricePoint(ts, as_float(point.get("price"))))
    return CoinHistory(coin_id, symbol.upper(), tuple(points), PROVIDER)
