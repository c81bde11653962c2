"""The exchanges' REST candles (Binance, Coinbase, Kraken): the crypto pairs' history.

Used by :mod:`r2kmon.sources.catalogue` for the history jobs (24 h of 1-minute bars and
years of daily bars per crypto pair, asked of the configured exchanges in order) and by
``r2kmon doctor`` for its REST check. Pure, like every provider module: builds requests and
parses answers; the poller sends them. One page per request: a page's answer names the
request for the next page, and :func:`collect` follows them.

Formats and limits (``fixtures/http/README.md`` §11-14):

* Binance ``/api/v3/klines``: ms, oldest first, rows ``t, O, H, L, C, V, close_t, …`` with
  prices as strings, 1000 per call; errors are 4xx ``{"code","msg"}`` (``-1121``: unknown
  symbol), 429/418 carry ``Retry-After``, 451 means a restricted location.
* Coinbase ``/products/<id>/candles``: seconds, **newest first**, rows ``t, L, H, O, C, V``
  as JSON numbers, at most 300 buckets per call, empty buckets omitted; errors are 4xx
  ``{"message"}`` (404 ``NotFound``: unknown product).
* Kraken ``/0/public/OHLC``: seconds, oldest first, rows ``t, O, H, L, C, vwap, V, n``, its
  newest 720 rows whatever is asked; errors come as **HTTP 200** with ``{"error": [...]}``.

Kraken is only a fallback: 720 rows cap its 1-minute history at 12 h and its daily history
at about two years, so :func:`shortfall` calls what it returns partial.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import ClassVar

import httpx

from r2kmon import __version__
from r2kmon.model import BAR_SECONDS, Bar, Interval, split_pair
from r2kmon.model.numbers import WireError, price, quantity
from r2kmon.sources.base import (
    BadBody,
    Endpoint,
    ErrorPayload,
    Fetch,
    RateLimited,
    UnknownSymbol,
    as_float,
    check_status,
    join_url,
    json_body,
    parse_retry_after,
)

BINANCE_LIMIT = 1000
COINBASE_LIMIT = 300

HEADERS = {"User-Agent": f"r2kmon/{__version__}", "Accept": "application/json"}
"""The exchanges ask clients to name themselves; their APIs answer JSON only."""

FROM_START = frozenset({"binance", "coinbase"})
"""Exchanges asked forward from the window's start: a first bar later than the start is
where the pair's history begins (its listing), not a cut."""


@dataclass(frozen=True, slots=True)
class CandlePage:
    """One answer's finished bars, oldest first, and the request for the next page
    (``None``: done)."""

    bars: tuple[Bar, ...]
    next: Endpoint[CandlePage] | None = None


@dataclass(frozen=True, slots=True)
class Window:
    """The bars wanted: ``symbol`` (canonical ``BASE-QUOTE``) at ``interval`` from
    ``start`` up to ``now`` (epoch seconds; a bar still open at ``now`` is left out)."""

    symbol: str
    interval: Interval
    start: float
    now: float

    @property
    def step(self) -> int:
        return BAR_SECONDS[self.interval]


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _bar(provider: str, start: object, *prices: object, volume: object = None) -> Bar:
    """A bar from ``start, open, high, low, close`` and ``volume`` (the last price given
    when ``volume`` is not); :class:`BadBody` for anything else.

    The prices and the volume obey the websocket feeds' number rule
    (:mod:`r2kmon.model.numbers`): Binance and Kraken send them as text, held to it as it
    is; Coinbase sends JSON numbers, which arrive as floats and are held to its range
    (``Decimal(float)`` is exact, so the bar keeps the very float)."""
    raw = [*prices] if volume is None else [*prices, volume]
    when = as_float(start)
    if len(raw) != 5 or when is None:
        raise BadBody(provider, f"malformed candle row: {[start, *raw]!r}"[:160])
    try:
        values = [float(price(_exact(x))) for x in raw[:4]]
        size = quantity(_exact(raw[4]))
    except WireError as exc:
        raise BadBody(provider, f"malformed candle row: {exc}") from None
    if size is None:
        raise BadBody(provider, "malformed candle row: no volume")
    return Bar(when, values[0], values[1], values[2], values[3], float(size))


def _exact(value: object) -> object:
    return Decimal(value) if isinstance(value, float) else value


def _rows(payload: object, provider: str, width: int) -> list[list[object]]:
    """``payload`` as a list of rows of at least ``width`` values, or :class:`BadBody`."""
    if not isinstance(payload, list):
        raise BadBody(provider, f"candles answer is not a list: {str(payload)[:80]}")
    if not all(isinstance(row, list) and len(row) >= width for row in payload):
        raise BadBody(provider, f"candle rows of fewer than {width} values")
    return payload


def _checked(response: httpx.Response, provider: str) -> object:
    """The JSON body of a 200; a :class:`~r2kmon.sources.base.SourceError` for the rest."""
    check_status(response, provider)
    status = response.status_code
    if status == 418:
        # Binance's ban after ignored 429s; Retry-After says when it ends.
        headers = response.headers
        after = parse_retry_after(headers.get("retry-after"), headers.get("date"))
        raise RateLimited(provider, "HTTP 418 IP banned", after)
    payload = json_body(response, provider)
    if status == 200:
        return payload
    body = payload if isinstance(payload, dict) else {}
    detail = str(body.get("msg") or body.get("message") or payload)
    if status == 451:
        raise ErrorPayload(provider, f"HTTP 451 restricted location: {detail}")
    if body.get("code") == -1121 or (status == 404 and detail == "NotFound"):
        raise UnknownSymbol(provider, f"HTTP {status}: {detail}")
    raise ErrorPayload(provider, f"HTTP {status}: {detail}")


@dataclass(frozen=True, slots=True)
class BinanceKlines:
    """``/api/v3/klines`` from ``cursor`` (ms; the window's start at first), 1000 rows."""

    window: Window
    base_url: str
    usdt_as_usd: bool = True
    """Ask for the USDT pair where the canonical pair is quoted in USD (Binance has no USD)."""
    cursor: int | None = None

    provider: ClassVar[str] = "binance"

    def request(self) -> httpx.Request:
        base, quote = split_pair(self.window.symbol)
        quote = "USDT" if self.usdt_as_usd and quote == "USD" else quote
        step_ms = self.window.step * 1000
        cursor = self.cursor
        if cursor is None:
            cursor = int(self.window.start * 1000) // step_ms * step_ms
        params = {
            "symbol": base + quote,
            "interval": self.window.interval,
            "startTime": str(cursor),
            "limit": str(BINANCE_LIMIT),
        }
        url = join_url(self.base_url, "api/v3/klines")
        return httpx.Request("GET", url, params=params, headers=HEADERS)

    def parse(self, response: httpx.Response) -> CandlePage:
        rows = _rows(_checked(response, self.provider), self.provider, 7)
        now_ms = int(self.window.now * 1000)
        try:
            # The newest row of a range reaching now is still open: its close time is in
            # the future. Only finished bars are history.
            closes = [int(str(row[6])) for row in rows]
            opens = [int(str(row[0])) for row in rows]
        except ValueError as exc:
            raise BadBody(self.provider, f"malformed kline times: {exc}") from exc
        bars = tuple(
            _bar(self.provider, t / 1000, *row[1:6])
            for t, close, row in zip(opens, closes, rows, strict=True)
            if close < now_ms
        )
        following = opens[-1] + self.window.step * 1000 if opens else now_ms
        more = len(rows) >= BINANCE_LIMIT and following < now_ms
        return CandlePage(bars, dataclasses.replace(self, cursor=following) if more else None)


@dataclass(frozen=True, slots=True)
class CoinbaseCandles:
    """``/products/<id>/candles`` for at most 300 buckets from ``cursor`` (seconds)."""

    window: Window
    base_url: str
    cursor: float | None = None

    provider: ClassVar[str] = "coinbase"

    def _span(self) -> tuple[float, float]:
        step = self.window.step
        cursor = self.cursor if self.cursor is not None else self.window.start // step * step
        # At most 300 buckets: start and end are both inclusive.
        return cursor, min(self.window.now, cursor + step * COINBASE_LIMIT - step)

    def request(self) -> httpx.Request:
        start, end = self._span()
        params = {"granularity": str(self.window.step), "start": _iso(start), "end": _iso(end)}
        url = join_url(self.base_url, f"products/{self.window.symbol}/candles")
        return httpx.Request("GET", url, params=params, headers=HEADERS)

    def parse(self, response: httpx.Response) -> CandlePage:
        rows = _rows(_checked(response, self.provider), self.provider, 6)
        w = self.window
        bars = [_bar(self.provider, row[0], row[3], row[2], row[1], row[4], row[5]) for row in rows]
        # Rows can precede the asked start; the newest bucket may still be open. Newest
        # first on the wire, oldest first here, as every page.
        kept = sorted(b for b in bars if b.start >= w.start - w.step and b.start + w.step <= w.now)
        _, end = self._span()
        following = end + w.step
        more = following < w.now
        return CandlePage(
            tuple(kept), dataclasses.replace(self, cursor=following) if more else None
        )


@dataclass(frozen=True, slots=True)
class KrakenOHLC:
    """``/0/public/OHLC``: Kraken's newest 720 rows at the window's interval, one page."""

    window: Window
    base_url: str

    provider: ClassVar[str] = "kraken"

    def request(self) -> httpx.Request:
        base, quote = split_pair(self.window.symbol)
        params = {
            # Kraken's REST names Bitcoin XBT (its v2 websocket says BTC).
            "pair": ("XBT" if base == "BTC" else base) + quote,
            "interval": str(self.window.step // 60),
            "since": str(int(self.window.start)),
        }
        url = join_url(self.base_url, "0/public/OHLC")
        return httpx.Request("GET", url, params=params, headers=HEADERS)

    def parse(self, response: httpx.Response) -> CandlePage:
        payload = _checked(response, self.provider)
        if not isinstance(payload, dict):
            raise BadBody(self.provider, "OHLC answer is not an object")
        errors = payload.get("error") or []
        if errors:
            text = "; ".join(str(e) for e in errors) if isinstance(errors, list) else str(errors)
            if "Too many requests" in text or "Rate limit" in text:
                raise RateLimited(self.provider, text)
            if "Unknown asset pair" in text:
                raise UnknownSymbol(self.provider, text)
            raise ErrorPayload(self.provider, text)
        result = payload.get("result")
        keys = [k for k in result if k != "last"] if isinstance(result, dict) else []
        if not isinstance(result, dict) or len(keys) != 1:
            raise BadBody(self.provider, "OHLC answer without one pair")
        rows = _rows(result[keys[0]], self.provider, 7)
        w = self.window
        bars = [_bar(self.provider, row[0], *row[1:5], volume=row[6]) for row in rows]
        # The last row is the bucket still forming.
        return CandlePage(
            tuple(b for b in bars if b.start + w.step <= w.now and b.start >= w.start - w.step)
        )


Factory = Callable[[Window, str, bool], Endpoint[CandlePage]]

EXCHANGES: Mapping[str, Factory] = {
    "binance": lambda window, url, usdt: BinanceKlines(window, url, usdt),
    "coinbase": lambda window, url, usdt: CoinbaseCandles(window, url),
    "kraken": lambda window, url, usdt: KrakenOHLC(window, url),
}
"""Exchanges with REST candles, each to the first page of a window: ``(window, base URL,
usdt_as_usd)``. The others (OKX, Bybit) stream live prices only."""


async def collect(first: Endpoint[CandlePage], fetch: Fetch) -> list[Bar]:
    """Every page from ``first`` on, sent with ``fetch``: the bars oldest first, one per start
    (pages may overlap; Coinbase's come newest first)."""
    by_start: dict[float, Bar] = {}
    page: Endpoint[CandlePage] | None = first
    while page is not None:
        answer = await fetch(page)
        by_start.update((bar.start, bar) for bar in answer.bars)
        page = answer.next
    return [by_start[t] for t in sorted(by_start)]


def shortfall(provider: str, bars: list[Bar], window: Window) -> str | None:
    """Why ``bars`` fall short of ``window`` (``None``: they do not).

    Coinbase omits buckets without trades, so some gaps are allowed; Kraken, which returns
    its newest 720 rows whatever is asked, is the only one that cuts history short.
    """
    if not bars or provider in FROM_START:
        return None
    expected = (window.now - window.start) / window.step
    if bars[0].start <= window.start + window.step * max(2.0, expected * 0.1):
        return None
    return f"only {len(bars)} bars back to {_iso(bars[0].start)}"
