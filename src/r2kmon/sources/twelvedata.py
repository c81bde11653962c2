"""Twelve Data ``/time_series``: a keyed fallback for the equity side (IWM, SPY) when Yahoo
rejects this network.

Used by :mod:`r2kmon.sources.catalogue`, which puts it after Yahoo in the chains of the
symbols it maps (:data:`SYMBOLS`), and only when its API key is set. Pure: builds the
request, parses the answer.

Why Twelve Data (see README "Sources"): its free Basic plan takes a key by e-mail, serves US
ETFs daily *and* intraday (1min) from one endpoint, and allows 8 credits a minute and 800 a
day (one credit per symbol and request). The Russell 2000 index itself is not promised on
the free plan, so ``^RUT`` is served by **IWM standing in** for it, labelled so.

Wire format (``GET /time_series?symbol=IWM&interval=1day&outputsize=30``)::

    {"meta": {"symbol": "TSLA", "interval": "1day", "currency": "USD",
              "exchange_timezone": "America/New_York", "exchange": "NASDAQ",
              "mic_code": "XNGS", "type": "Common Stock"},
     "values": [{"datetime": "2025-09-23", "open": "439.88000", "high": "440.97000",
                 "low": "423.72000", "close": "425.85001", "volume": "83211500"}, ...],
     "status": "ok"}

Quirks handled here: numbers are strings; ``values`` are **newest first**; ``datetime`` is
exchange-local (``YYYY-MM-DD`` for daily, ``YYYY-MM-DD HH:MM:SS`` intraday) and the zone is
``meta.exchange_timezone`` (absent in the docs' short example: then New York, where every
symbol asked for here trades); errors are ``{"code": ..., "message": ..., "status":
"error"}``, possibly inside an HTTP 200, with ``code`` 429 when the credits are spent.

The key travels in the documented ``Authorization: apikey …`` header rather than in the
query string, so no URL this module builds (which may end up in an error or a log) holds it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx

from r2kmon.model import Bar, Tick
from r2kmon.sources.base import (
    BROWSER_HEADERS,
    BadBody,
    ErrorPayload,
    RateLimited,
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

PROVIDER = "twelvedata"

SYMBOLS: dict[str, str] = {"^RUT": "IWM", "IWM": "IWM", "SPY": "SPY"}
"""Market symbol (Yahoo spelling) → the Twelve Data symbol that serves it. ``^RUT`` → IWM is
a stand-in: the ETF tracking the index, at a tenth of its level (never mixed into the
index's own series, see the catalogue)."""

INTERVALS: dict[str, str] = {"1m": "1min", "5m": "5min", "15m": "15min", "1d": "1day"}
"""Yahoo interval names (the config's spelling) → Twelve Data's."""

_NEW_YORK = "America/New_York"


def stand_in(symbol: str) -> str | None:
    """The symbol standing in for ``symbol`` when it is not the same instrument (``IWM``
    for ``^RUT``), else ``None``."""
    served = SYMBOLS.get(symbol)
    return served if served is not None and served != symbol else None


@dataclass(frozen=True, slots=True)
class Series:
    """One parsed answer: ``bars`` oldest first (daily bars start at midnight UTC of their
    session date, the hub's ``1d`` convention), and the latest close as a tick."""

    symbol: str
    interval: str
    bars: list[Bar]
    tick: Tick | None


@dataclass(frozen=True, slots=True)
class TimeSeriesEndpoint:
    """``/time_series`` for one Twelve Data symbol and interval (Yahoo spelling)."""

    symbol: str
    base_url: str
    api_key: str
    interval: str = "1d"
    outputsize: int = 30

    provider: ClassVar[str] = PROVIDER

    def request(self) -> httpx.Request:
        params = {
            "symbol": self.symbol,
            "interval": INTERVALS.get(self.interval, self.interval),
            "outputsize": str(self.outputsize),
        }
        headers = {**BROWSER_HEADERS, "Authorization": f"apikey {self.api_key}"}
        return httpx.Request(
            "GET", join_url(self.base_url, "time_series"), params=params, headers=headers
        )

    def parse(self, response: httpx.Response) -> Series:
        return parse_time_series(response, self.symbol, self.interval)

    def __repr__(self) -> str:
        # The dataclass repr would show the key; an endpoint may end up in a log line.
        return f"TimeSeriesEndpoint({self.symbol!r}, {self.interval!r})"


def parse_time_series(response: httpx.Response, symbol: str, interval: str) -> Series:
    """Parse a ``/time_series`` answer for ``symbol`` (raises a ``SourceError`` subclass)."""
    check_status(response, PROVIDER)
    payload = require_dict(json_body(response, PROVIDER), PROVIDER, "the time series")
    if payload.get("status") == "error" or response.status_code != 200:
        _raise_error(payload, symbol, response.status_code)
    meta = require_dict(payload.get("meta", {}), PROVIDER, "'meta'")
    zone = _zone(meta.get("exchange_timezone"))
    daily = interval == "1d"
    bars: list[Bar] = []
    for raw in require_list(payload.get("values"), PROVIDER, "'values'"):
        row = require_dict(raw, PROVIDER, "a 'values' row")
        close = as_float(row.get("close"))
        if close is None:
            continue
        o, h, lo = (as_float(row.get(k)) for k in ("open", "high", "low"))
        volume = as_float(row.get("volume"))
        bars.append(filled_bar(_start(row.get("datetime"), zone, daily), o, h, lo, close, volume))
    bars.sort(key=lambda bar: bar.start)  # newest first on the wire
    return Series(symbol, interval, bars, _tick(symbol, bars, daily))


def _raise_error(payload: dict[str, object], symbol: str, status: int) -> None:
    code = payload.get("code", status)
    message = str(payload.get("message", "")) or f"HTTP {status}"
    if code == 429:
        raise RateLimited(PROVIDER, message)
    if code == 404 or (code == 400 and "not found" in message.lower()):
        raise UnknownSymbol(PROVIDER, f"{symbol}: {message}")
    raise ErrorPayload(PROVIDER, f"{symbol}: {code} {message}")


def _zone(name: object) -> ZoneInfo:
    try:
        return ZoneInfo(name if isinstance(name, str) and name else _NEW_YORK)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(_NEW_YORK)


def _start(value: object, zone: ZoneInfo, daily: bool) -> float:
    """A row's bar start: exchange-local ``datetime`` to UTC epoch seconds."""
    if not isinstance(value, str):
        raise BadBody(PROVIDER, f"datetime {value!r} is not a date")
    try:
        local = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise BadBody(PROVIDER, f"datetime {value!r} is not a date") from exc
    if daily:
        return session_day_start(local)
    return local.replace(tzinfo=zone).timestamp()


def _tick(symbol: str, bars: list[Bar], daily: bool) -> Tick | None:
    """The newest close as a quote; against the day before when these are daily bars.

    Its time is the bar's start: for a daily bar midnight UTC of the session date, earlier
    than the real close, so the quote can only look older than it is.
    """
    if not bars:
        return None
    last = bars[-1]
    ref = Decimal(str(bars[-2].close)) if daily and len(bars) >= 2 else None
    return Tick(symbol, Decimal(str(last.close)), last.start, PROVIDER, "bar", ref_price=ref)
