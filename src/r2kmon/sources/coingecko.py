"""CoinGecko: global crypto market cap, BTC dominance, top coins and their 90-day history.

Used by :mod:`r2kmon.sources.catalogue` as the primary crypto-context provider (CoinPaprika is
the fallback). Pure: builds the request, parses the answer. Keyless by default; a Demo key,
when configured, goes in the ``x-cg-demo-api-key`` header.

Wire formats (trimmed from the docs examples in ``../shared/fixtures/http/coingecko/``)::

    GET /global
    {"data": {"total_market_cap": {"usd": 2721226850772.63, ...},
              "market_cap_percentage": {"btc": 50.4465263233584, ...},
              "updated_at": 1712512855}}

    GET /coins/markets?vs_currency=usd&order=market_cap_desc&per_page=100&page=1
    [{"id": "bitcoin", "symbol": "btc", "name": "Bitcoin", "current_price": 70187,
      "market_cap": 1381651251183, "market_cap_rank": 1,
      "price_change_percentage_30d_in_currency": 12.3, ...}]

    GET /coins/bitcoin/market_chart?vs_currency=usd&days=90&interval=daily
    {"prices": [[1711843200000, 69702.3087473573], ...], "market_caps": [...], ...}

Errors: HTTP 429 with ``Retry-After`` and ``{"status": {"error_code": 429, ...}}``;
``{"error": "coin not found"}`` for an unknown id (status uncertain: 404 or 400).
``market_chart`` timestamps are **milliseconds** and its last point is "now", not midnight.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import httpx

from r2kmon.sources.base import (
    BROWSER_HEADERS,
    BadBody,
    ErrorPayload,
    RateLimited,
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

PROVIDER = "coingecko"


def _headers(api_key: str | None) -> dict[str, str]:
    headers = dict(BROWSER_HEADERS)
    if api_key:
        headers["x-cg-demo-api-key"] = api_key
    return headers


def _checked_json(response: httpx.Response, what: str) -> object:
    """Status, HTML and error-object checks shared by every CoinGecko endpoint."""
    check_status(response, PROVIDER)
    payload = json_body(response, PROVIDER)
    if isinstance(payload, dict):
        status = payload.get("status")
        if isinstance(status, dict) and "error_code" in status:
            code = status.get("error_code")
            message = str(status.get("error_message", ""))
            if code == 429:
                raise RateLimited(PROVIDER, f"{what}: {message}")
            raise ErrorPayload(PROVIDER, f"{what}: error {code} {message}")
        error = payload.get("error")
        if error is not None:
            text = str(error)
            if "not found" in text.lower():
                raise UnknownSymbol(PROVIDER, f"{what}: {text}")
            raise ErrorPayload(PROVIDER, f"{what}: {text}")
    if response.status_code != 200:
        raise ErrorPayload(PROVIDER, f"{what}: HTTP {response.status_code}")
    return payload


@dataclass(frozen=True, slots=True)
class GlobalEndpoint:
    """``/global``: total market cap and BTC dominance."""

    base_url: str
    api_key: str | None = field(default=None, repr=False)

    provider: ClassVar[str] = PROVIDER

    def request(self) -> httpx.Request:
        return httpx.Request(
            "GET", join_url(self.base_url, "global"), headers=_headers(self.api_key)
        )

    def parse(self, response: httpx.Response) -> GlobalMarket:
        return parse_global(_checked_json(response, "global"))


def parse_global(payload: object) -> GlobalMarket:
    """Parse a decoded ``/global`` body."""
    data = require_dict(require_dict(payload, PROVIDER, "global").get("data"), PROVIDER, "data")
    caps = require_dict(data.get("total_market_cap"), PROVIDER, "total_market_cap")
    shares = require_dict(data.get("market_cap_percentage"), PROVIDER, "market_cap_percentage")
    total = as_float(caps.get("usd"))
    btc = as_float(shares.get("btc"))
    updated = as_float(data.get("updated_at"))
    if total is None or btc is None or updated is None:
        raise BadBody(PROVIDER, "global: total_market_cap.usd, btc share or updated_at missing")
    return GlobalMarket(total, btc, updated, PROVIDER)


@dataclass(frozen=True, slots=True)
class MarketsEndpoint:
    """``/coins/markets``: the largest coins by market cap with their 30-day change.

    There is no 90-day change here (valid windows are 1h, 24h, 7d, 14d, 30d, 200d, 1y);
    the 90-day return comes from :class:`MarketChartEndpoint`.
    """

    base_url: str
    per_page: int = 100
    api_key: str | None = field(default=None, repr=False)

    provider: ClassVar[str] = PROVIDER

    def request(self) -> httpx.Request:
        params = {
            "vs_currency": "usd",
            "order": "market_cap_desc",
            "per_page": str(self.per_page),
            "page": "1",
            "sparkline": "false",
            "price_change_percentage": "30d",
        }
        url = join_url(self.base_url, "coins/markets")
        return httpx.Request("GET", url, params=params, headers=_headers(self.api_key))

    def parse(self, response: httpx.Response) -> list[Coin]:
        return parse_markets(_checked_json(response, "coins/markets"))


def parse_markets(payload: object) -> list[Coin]:
    """Parse a decoded ``/coins/markets`` body into coins.

    ``symbol`` is upper-cased; a row whose symbol or id does not fit
    :data:`~r2kmon.sources.crypto_common.COIN_SYMBOL` / ``COIN_ID`` is left out (and said
    once in the log); ``rank`` falls back to list position when
    ``market_cap_rank`` is null. Exclusions are applied later by
    :func:`~r2kmon.sources.crypto_common.top_coins`.
    """
    coins: list[Coin] = []
    for position, item in enumerate(require_list(payload, PROVIDER, "coins/markets"), start=1):
        coin = require_dict(item, PROVIDER, "a coins/markets item")
        rank = as_float(coin.get("market_cap_rank"))
        parsed = coin_row(
            coin,
            PROVIDER,
            rank=int(rank) if rank is not None and abs(rank) < 1e15 else position,
            price=as_float(coin.get("current_price")),
            market_cap=as_float(coin.get("market_cap")),
            change_30d_pct=as_float(coin.get("price_change_percentage_30d_in_currency")),
        )
        if parsed is not None:  # None: refused (and said once), it never becomes a symbol
            coins.append(parsed)
    return coins


@dataclass(frozen=True, slots=True)
class MarketChartEndpoint:
    """``/coins/{id}/market_chart``: daily prices for the last ``days`` days."""

    coin_id: str
    symbol: str
    base_url: str
    days: int = 90
    api_key: str | None = field(default=None, repr=False)

    provider: ClassVar[str] = PROVIDER

    def request(self) -> httpx.Request:
        # interval=daily: without it, 2-90 days come back hourly (CoinGecko auto-granularity).
        params = {"vs_currency": "usd", "days": str(self.days), "interval": "daily"}
        url = join_url(self.base_url, f"coins/{self.coin_id}/market_chart")
        return httpx.Request("GET", url, params=params, headers=_headers(self.api_key))

    def parse(self, response: httpx.Response) -> CoinHistory:
        payload = _checked_json(response, f"market_chart {self.coin_id}")
        return parse_market_chart(payload, self.coin_id, self.symbol)


def parse_market_chart(payload: object, coin_id: str, symbol: str) -> CoinHistory:
    """Parse a decoded ``market_chart`` body (millisecond timestamps) into a history."""
    body = require_dict(payload, PROVIDER, "market_chart")
    points: list[PricePoint] = []
    for point in require_list(body.get("prices"), PROVIDER, "market_chart prices"):
        pair = require_list(point, PROVIDER, "a market_chart point")
        ms = as_float(pair[0]) if len(pair) == 2 else None
        price = as_float(pair[1]) if len(pair) == 2 else None
        if ms is None:
            raise BadBody(PROVIDER, f"market_chart {coin_id}: bad point {pair!r}")
        points.append(PricePoint(ms / 1000.0, price))
    return CoinHistory(coin_id, symbol.upper(), tuple(points), PROVIDER)
