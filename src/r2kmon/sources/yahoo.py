"""Yahoo Finance v8 chart endpoint: daily history and intraday bars for ^RUT, IWM, ^VIX, ...

Used by :mod:`r2kmon.sources.catalogue`; it is the primary (and for ^RUT the only keyless)
source for equities and indices. Pure: builds the request, parses the answer.

Wire format (``GET /v8/finance/chart/%5ETNX?range=1d&interval=5m``, trimmed)::

    {"chart": {"result": [{"meta": {"symbol": "^TNX", "regularMarketPrice": 4.275,
        "regularMarketTime": 1770062392, "previousClose": 4.227,
        "exchangeTimezoneName": "America/Chicago", "dataGranularity": "5m", "range": "1d"},
      "timestamp": [1770057900, 1770058200],
      "indicators": {"quote": [{"open": [4.271, null], "high": [4.273, null],
                                "low": [4.271, null], "close": [4.271, null],
                                "volume": [0, null]}]}}],
      "error": null}}

Quirks handled here (all from recorded responses, see ``../shared/fixtures/http/README.md``):
elements of the quote arrays can be ``null`` (those bars are dropped); with no bars the
``timestamp`` key is absent and ``quote`` is ``[{}]``; ``chartPreviousClose`` is the close
before the *range*, not yesterday's, so it is used as the reference only for ``range=1d``;
an unknown symbol is HTTP 404 with ``chart.error``; rate limiting is a plain-text 429.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone, tzinfo
from decimal import Decimal
from typing import ClassVar
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx

from r2kmon.model import Bar, Tick
from r2kmon.sources.base import (
    BROWSER_HEADERS,
    BadBody,
    ErrorPayload,
    UnknownSymbol,
    as_float,
    check_status,
    filled_bar,
    join_url,
    json_body,
    require_dict,
    require_list,
    session_day_start,
)

PROVIDER = "yahoo"

DAILY_INTERVALS = frozenset({"1d", "5d", "1wk", "1mo", "3mo"})
BAR_COLUMNS = ("open", "high", "low", "close", "volume")
_EPOCH_LIMIT = 6e10
"""Timestamps beyond ±this (years 68 and 3871) are junk, not dates: refused as a bad body
(and kept from ``datetime``, whose years end at 1 and 9999)."""


@dataclass(frozen=True, slots=True)
class Chart:
    """One parsed chart answer.

    ``bars`` are the answer's bars, null bars dropped; for daily data their ``start`` is
    midnight UTC of the exchange-local session date (the convention the hub's ``1d`` bars
    use), for intraday data Yahoo's own bar start. ``tick`` is the latest price from
    ``meta`` (``None`` if Yahoo gave none).
    """

    symbol: str
    interval: str
    tick: Tick | None
    bars: list[Bar]
    currency: str | None = None
    timezone: str | None = None


@dataclass(frozen=True, slots=True)
class ChartEndpoint:
    """``/v8/finance/chart/{symbol}`` for one symbol, range and interval."""

    symbol: str
    base_url: str
    range: str = "1d"
    interval: str = "1m"

    provider: ClassVar[str] = PROVIDER

    def request(self) -> httpx.Request:
        # "^RUT" must travel as "%5ERUT"; quote() with safe="" also encodes "/" and "=".
        url = join_url(self.base_url, f"v8/finance/chart/{quote(self.symbol, safe='')}")
        params = {"range": self.range, "interval": self.interval, "includePrePost": "false"}
        return httpx.Request("GET", url, params=params, headers=BROWSER_HEADERS)

    def parse(self, response: httpx.Response) -> Chart:
        return parse_chart(response, self.symbol)


def parse_chart(response: httpx.Response, symbol: str) -> Chart:
    """Parse a chart response for ``symbol`` (raises a ``SourceError`` subclass)."""
    check_status(response, PROVIDER)
    payload = require_dict(json_body(response, PROVIDER), PROVIDER, "the chart answer")
    chart = require_dict(payload.get("chart"), PROVIDER, "'chart'")
    error = chart.get("error")
    if error is not None:
        err = error if isinstance(error, dict) else {}
        code = str(err.get("code", ""))
        description = str(err.get("description", error))
        if response.status_code == 404 or code == "Not Found":
            raise UnknownSymbol(PROVIDER, f"{symbol}: {description}")
        raise ErrorPayload(PROVIDER, f"{symbol}: {code} {description}".strip())
    if response.status_code != 200:
        raise ErrorPayload(PROVIDER, f"{symbol}: HTTP {response.status_code} without chart.error")
    results = require_list(chart.get("result"), PROVIDER, "'chart.result'")
    if not results:
        raise BadBody(PROVIDER, f"{symbol}: empty chart.result")
    result = require_dict(results[0], PROVIDER, "'chart.result[0]'")
    meta = require_dict(result.get("meta", {}), PROVIDER, "'meta'")
    return chart_from_result(symbol, meta, result)


def chart_from_result(symbol: str, meta: dict[str, object], result: dict[str, object]) -> Chart:
    """Build a :class:`Chart` from ``chart.result[0]`` (split out for the parse tests)."""
    interval = str(meta.get("dataGranularity") or "")
    tz_name = meta.get("exchangeTimezoneName")
    tz_text = tz_name if isinstance(tz_name, str) else None
    zone = _zone(tz_text)
    daily = interval in DAILY_INTERVALS
    bars = _bars(result, zone if daily else None)
    currency = meta.get("currency")
    return Chart(
        symbol=symbol,
        interval=interval,
        tick=_tick(symbol, meta, bars, zone if daily else None),
        bars=bars,
        currency=currency if isinstance(currency, str) else None,
        timezone=tz_text,
    )


def _zone(name: str | None) -> tzinfo:
    """The exchange's time zone (UTC when Yahoo names none or one this system lacks)."""
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return timezone.utc


def _column(quote_block: dict[str, object], name: str, length: int) -> list[float | None]:
    raw = quote_block.get(name)
    if raw is None:
        return [None] * length
    if not isinstance(raw, list) or len(raw) != length:
        raise BadBody(PROVIDER, f"quote '{name}' does not line up with the timestamps")
    return [as_float(v) for v in raw]


def _epoch(value: object) -> int:
    number = as_float(value)
    if number is None or not -_EPOCH_LIMIT < number < _EPOCH_LIMIT:
        raise BadBody(PROVIDER, f"timestamp {value!r} is not a date")
    return int(number)


def _session_day_start(ts: float, zone: tzinfo) -> float:
    """Midnight UTC of the exchange-local calendar date of ``ts`` (the 1d bar convention)."""
    return session_day_start(datetime.fromtimestamp(ts, zone))


def _bars(result: dict[str, object], session_zone: tzinfo | None) -> list[Bar]:
    """The bars of ``chart.result[0]``; with ``session_zone`` (daily data) each starts at
    midnight UTC of its session date."""
    raw_ts = result.get("timestamp")
    # No bars (a weekend, a holiday): Yahoo omits "timestamp" and sends "quote": [{}].
    timestamps = (
        [_epoch(t) for t in require_list(raw_ts, PROVIDER, "'timestamp'")] if raw_ts else []
    )
    indicators = require_dict(result.get("indicators", {}), PROVIDER, "'indicators'")
    quotes = require_list(indicators.get("quote", [{}]), PROVIDER, "'indicators.quote'")
    quote_block = require_dict(quotes[0] if quotes else {}, PROVIDER, "'indicators.quote[0]'")
    n = len(timestamps)
    opens, highs, lows, closes, volumes = (_column(quote_block, c, n) for c in BAR_COLUMNS)
    bars: list[Bar] = []
    for i, ts in enumerate(timestamps):
        close = closes[i]
        if close is None:
            # A bar whose close is null carries no information (Yahoo's illiquid or first
            # minute); a null open, high or low is the close, a null volume none.
            continue
        start = float(ts) if session_zone is None else _session_day_start(ts, session_zone)
        bars.append(filled_bar(start, opens[i], highs[i], lows[i], close, volumes[i]))
    return bars


def _decimal(value: object) -> Decimal | None:
    number = as_float(value)
    # str(float) gives the shortest text that round-trips: 4.275 stays "4.275".
    return None if number is None else Decimal(str(number))


def _tick(
    symbol: str, meta: dict[str, object], bars: list[Bar], session_zone: tzinfo | None
) -> Tick | None:
    price = _decimal(meta.get("regularMarketPrice"))
    when = as_float(meta.get("regularMarketTime"))
    if price is None or when is None:
        return None
    ref = _decimal(meta.get("previousClose"))
    if ref is None and meta.get("range") == "1d":
        # Only for range=1d is "the close before the range" the same as yesterday's close.
        ref = _decimal(meta.get("chartPreviousClose"))
    if (
        ref is None
        and session_zone is not None
        and len(bars) >= 2
        and abs(when) < _EPOCH_LIMIT
        # The last daily bar is today's session when it has the same local date as the
        # quote; the close before it is then yesterday's. Otherwise we cannot tell.
        and bars[-1].start == _session_day_start(when, session_zone)
    ):
        ref = Decimal(str(bars[-2].close))
    return Tick(symbol=symbol, price=price, ts=when, source=PROVIDER, kind="bar", ref_price=ref)
