"""History at start: exchange REST candles → ``sink.push_bars`` (1-minute and daily bars).

Used by the runtime once at start, next to the live feeds (it never blocks the first
screen: run it as its own task). For each symbol and each interval it asks the exchanges
in order (Binance, then Coinbase, then Kraken by default) and pushes the first answer
that has bars, naming the exchange as the bars' source; a shorter history than asked for
is kept and reported as partial in the health record.

Formats and limits (``fixtures/http/README.md`` §11-14):

* Binance ``/api/v3/klines``: ms, oldest first, rows ``t, O, H, L, C, V, …`` as strings,
  1000 per call; errors are 4xx ``{"code","msg"}``, 429/418 carry ``Retry-After``, 451 means
  a restricted location (final for that host).
* Coinbase ``/products/<id>/candles``: seconds, **newest first**, rows ``t, L, H, O, C, V``
  as JSON numbers, 300 per call, empty buckets omitted; errors are 4xx ``{"message"}``.
* Kraken ``/0/public/OHLC``: seconds, oldest first, rows ``t, O, H, L, C, vwap, V, n``,
  720 rows and no older data; errors come as **HTTP 200** with ``{"error": [...]}``.

Kraken is only a fallback: 720 rows cap its 1-minute history at 12 h and its daily history
at about two years, so what it returns is pushed but reported as partial.

Errors::

    BackfillError          one exchange cannot give this series (reason in the message)
    ├── RateLimited        429/418 with a Retry-After longer than we are willing to wait
    ├── Unavailable        451 restricted location, 4xx unknown symbol, repeated 5xx
    └── Unreachable        the exchange's host cannot be reached (DNS, refused, TLS, ...):
                           not asked again in this pass, and said once

TLS and proxies follow the :class:`~r2kmon.net.NetworkPolicy` (certificates always
verified). What could not be fetched is asked for again later by
:class:`BackfillProducer`, with a growing delay, so history arrives once the network does.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import httpx

from r2kmon import __version__
from r2kmon.clock import Clock, SystemClock
from r2kmon.feeds.base import FeedError, price, quantity
from r2kmon.feeds.symbols import exchange_quote
from r2kmon.model import (
    Bar,
    HealthStatus,
    Interval,
    Sink,
    SourceHealth,
    clean_text,
    split_pair,
)
from r2kmon.net import NetworkPolicy, describe_failure
from r2kmon.net.http import http_client

log = logging.getLogger(__name__)

DEFAULT_REST: Mapping[str, str] = {
    "binance": "https://api.binance.com",
    "coinbase": "https://api.exchange.coinbase.com",
    "kraken": "https://api.kraken.com",
}
BINANCE_LIMIT = 1000
COINBASE_LIMIT = 300
STEP: Mapping[Interval, int] = {"1m": 60, "1d": 86_400}


class BackfillError(Exception):
    """One exchange cannot give one series; the message says why.

    The message often quotes the exchange (Kraken's error list, a body that is not a
    list): it is cleaned here, once, of control, bidi and zero-width characters, since it
    is logged and shown in health."""

    def __init__(self, message: str) -> None:
        super().__init__(clean_text(message, 300))


class RateLimited(BackfillError):
    """The exchange asked us to wait longer than ``max_retry_after``."""


class Unavailable(BackfillError):
    """Restricted location, unknown symbol, or the exchange keeps failing."""


class Unreachable(BackfillError):
    """The exchange's host could not be reached; ``fault`` is the network's class of it."""

    def __init__(self, message: str, fault: str | None) -> None:
        super().__init__(message)
        self.fault = fault


@dataclass(frozen=True, slots=True)
class BackfillSettings:
    """What to fetch and how patiently. Times are seconds."""

    exchanges: tuple[str, ...] = ("binance", "coinbase", "kraken")
    """Exchange keys in the order they are asked (``binance``, ``coinbase``, ``kraken``)."""
    rest_urls: Mapping[str, str] = field(default_factory=dict)
    """Base URL per exchange key; missing or empty → the exchange's own."""
    intervals: tuple[Interval, ...] = ("1m", "1d")
    minute_hours: float = 24.0
    daily_days: int = 10 * 365
    """Deep enough for the event study: what BTC and ETH did after the Russell 2000
    breakouts of 2020 and 2021 needs daily bars from 2017 on (Binance's BTCUSDT starts in
    August 2017; Coinbase goes back to 2015)."""
    usdt_as_usd: bool = True
    timeout: float = 10.0
    max_retry_after: float = 60.0
    """Wait at most this long when told to (Retry-After); longer → next exchange."""
    attempts: int = 3
    """Tries per request on 429/5xx/network errors before moving to the next exchange."""
    retry_delay: float = 1.0
    """Wait before retrying a 5xx or network error, and after a 429 without Retry-After."""
    request_gap: Mapping[str, float] = field(
        default_factory=lambda: {"binance": 0.05, "coinbase": 0.2, "kraken": 1.0}
    )
    """Pause between two requests to one exchange (Coinbase allows 10/s, Kraken 1/s)."""
    name: str = "backfill"
    """Name of the health record."""
    network: NetworkPolicy = field(default_factory=NetworkPolicy, compare=False)
    """Certificates trusted and the proxy chosen, shared with every connection."""


FROM_START = frozenset({"binance", "coinbase"})
"""Exchanges whose candles are fetched forward from the start of the window."""


@dataclass(frozen=True, slots=True)
class SeriesResult:
    """What happened to one (symbol, interval)."""

    symbol: str
    interval: Interval
    source: str | None
    bars: int
    complete: bool
    reasons: tuple[str, ...] = ()


Fetcher = Callable[["Backfill", str, Interval, float, float], Awaitable[list[Bar]]]


class Backfill:
    """Fetches history for a list of symbols once; see the module docstring."""

    def __init__(
        self,
        settings: BackfillSettings | None = None,
        *,
        clock: Clock | None = None,
        client: httpx.AsyncClient | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.settings = settings or BackfillSettings()
        self.clock: Clock = clock or SystemClock()
        self._client = client
        self._sleep = sleep
        self._last_request: dict[str, float] = {}
        self._unreachable: dict[str, Unreachable] = {}
        """Exchanges found unreachable in this pass, with why (not asked again in it)."""
        self._logged: dict[str, str] = {}
        """Exchange → why it was last logged unreachable. Kept across passes: the log gets
        a line when the reason changes and one when the exchange answers again, not one
        per retry pass."""
        self._reported = False
        self.retry_at: float | None = None
        """When :class:`BackfillProducer` asks again for what is missing (for health)."""

    @property
    def name(self) -> str:
        return self.settings.name

    async def run(self, sink: Sink, symbols: Sequence[str]) -> list[SeriesResult]:
        """Fetch and push every series; report one health record; return what happened."""
        if not self._reported:
            # Only before the first answer: a retry pass keeps showing the last reason
            # (down, and why) instead of flipping to "connecting" without one.
            sink.push_health(SourceHealth(self.name, "source", "connecting"))
        own_client = self._client is None
        client = self._client or http_client(
            self.settings.network, timeout=self.settings.timeout, follow_redirects=False
        )
        client.headers["User-Agent"] = f"r2kmon/{__version__}"
        self.client = client
        self._unreachable = {}
        results: list[SeriesResult] = []
        try:
            for symbol in symbols:
                for interval in self.settings.intervals:
                    results.append(await self._series(client, sink, symbol, interval))
        finally:
            if own_client:
                await client.aclose()
        sink.push_health(self.health(results))
        self._reported = True
        return results

    def health(self, results: Sequence[SeriesResult]) -> SourceHealth:
        """The health record for what ``results`` say of the history."""
        missing = [r for r in results if r.source is None]
        partial = [r for r in results if r.source is not None and not r.complete]
        status: HealthStatus
        if not results or len(missing) == len(results):
            status = "down"
        elif missing or partial:
            status = "stale"
        else:
            status = "ok"
        # An unreachable exchange is said once, not once per series it could not serve.
        down = [f"{exchange}: {exc}" for exchange, exc in self._unreachable.items()]
        said = tuple(f"{exchange}:" for exchange in self._unreachable)
        notes = []
        for r in (*missing, *partial):
            rest = [x for x in r.reasons if not x.startswith(said)]
            if rest or r.source is not None:
                notes.append(f"{r.symbol} {r.interval}: " + ("; ".join(rest) or "partial"))
        faults = [exc.fault for exc in self._unreachable.values() if exc.fault]
        return SourceHealth(
            self.name,
            "source",
            status,
            last_ok=self.clock.now() if status != "down" else None,
            last_error=clean_text(" | ".join(down + notes), 400) if down or notes else None,
            retry_at=self.retry_at,
            # Unreachable as a whole only when nothing came and every exchange was.
            fault=faults[0]
            if status == "down" and len(faults) == len(self.settings.exchanges)
            else None,
        )

    async def _series(
        self, client: httpx.AsyncClient, sink: Sink, symbol: str, interval: Interval
    ) -> SeriesResult:
        now = self.clock.now()
        span = (
            self.settings.minute_hours * 3600
            if interval == "1m"
            else self.settings.daily_days * 86_400
        )
        start = now - span
        reasons: list[str] = []
        for exchange in self.settings.exchanges:
            fetch = FETCHERS.get(exchange)
            if fetch is None:
                reasons.append(f"{exchange}: no REST candles support")
                continue
            if exchange in self._unreachable:
                reasons.append(f"{exchange}: {self._unreachable[exchange]}")
                continue
            try:
                bars = await fetch(self, symbol, interval, start, now)
            except Unreachable as exc:
                self._unreachable[exchange] = exc
                reasons.append(f"{exchange}: {exc}")
                if self._logged.get(exchange) != str(exc):
                    self._logged[exchange] = str(exc)
                    log.warning("backfill: %s unreachable: %s", exchange, exc)
                continue
            except BackfillError as exc:
                self._reached(exchange)
                reasons.append(f"{exchange}: {exc}")
                log.warning("backfill %s %s from %s failed: %s", symbol, interval, exchange, exc)
                continue
            except (LookupError, TypeError, ValueError, ArithmeticError) as exc:
                self._reached(exchange)
                # Rows of the wrong shape: that exchange's answer is unusable, try the next.
                reasons.append(f"{exchange}: malformed answer ({type(exc).__name__})")
                log.warning("backfill %s %s from %s: malformed answer", symbol, interval, exchange)
                continue
            self._reached(exchange)
            if not bars:
                reasons.append(f"{exchange}: no bars")
                continue
            sink.push_bars(symbol, interval, bars, exchange)
            expected = span / STEP[interval]
            # Coinbase omits buckets without trades, so "complete" allows some gaps;
            # Kraken's 720-row cap shows up as far less than expected.
            reaches_start = bars[0].start <= start + STEP[interval] * max(2.0, expected * 0.1)
            # Binance and Coinbase are asked from the window's start forward, so a later
            # first bar is where the pair's history begins (its listing), not a cut; only
            # Kraken, which returns its newest 720 rows whatever is asked, truncates.
            complete = reaches_start or exchange in FROM_START
            if not complete:
                reasons.append(f"{exchange}: only {len(bars)} bars back to {_iso(bars[0].start)}")
            return SeriesResult(symbol, interval, exchange, len(bars), complete, tuple(reasons))
        return SeriesResult(symbol, interval, None, 0, False, tuple(reasons))

    def _reached(self, exchange: str) -> None:
        """``exchange`` answered: say so once if it was logged unreachable."""
        if self._logged.pop(exchange, None) is not None:
            log.info("backfill: %s reachable again", exchange)

    # --- HTTP with the exchanges' rate-limit rules --------------------------------------

    client: httpx.AsyncClient

    async def get_json(self, exchange: str, url: str, params: Mapping[str, str | int]) -> Any:
        """GET with retries on 429/5xx/network errors; 451 and other 4xx are final."""
        settings = self.settings
        for attempt in range(1, settings.attempts + 1):
            gap = settings.request_gap.get(exchange, 0.0)
            wait = self._last_request.get(exchange, -1e9) + gap - self.clock.monotonic()
            if wait > 0:
                await self._sleep(wait)
            self._last_request[exchange] = self.clock.monotonic()
            try:
                response = await self.client.get(url, params=params)
            except httpx.HTTPError as exc:
                failure = describe_failure(
                    exc,
                    url,
                    timeout=settings.timeout,
                    connecting=isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout)),
                )
                if isinstance(exc, httpx.ConnectError) or attempt == settings.attempts:
                    # The host cannot be reached: retrying at once will not change that.
                    raise Unreachable(failure.reason, failure.fault) from None
                await self._sleep(settings.retry_delay * attempt)
                continue
            status = response.status_code
            if status == 200:
                try:
                    return response.json()
                except ValueError:
                    raise Unavailable("answer is not JSON") from None
            detail = _error_text(response)
            if status in (429, 418):
                delay = _retry_after(response, settings.retry_delay)
                what = "IP banned" if status == 418 else "rate limited"
                if (
                    status == 418
                    or delay > settings.max_retry_after
                    or attempt == settings.attempts
                ):
                    raise RateLimited(f"HTTP {status} {what}, retry after {delay:g} s")
                await self._sleep(delay)
                continue
            if status == 451:
                raise Unavailable(f"HTTP 451 restricted location: {detail}")
            if status >= 500 and attempt < settings.attempts:
                await self._sleep(settings.retry_delay * attempt)
                continue
            raise Unavailable(f"HTTP {status}: {detail}")
        raise Unavailable("no answer")  # pragma: no cover - the loop always returns or raises

    def base(self, exchange: str) -> str:
        return (self.settings.rest_urls.get(exchange) or DEFAULT_REST[exchange]).rstrip("/")


# --- the three exchanges ------------------------------------------------------------------


async def _binance(
    bf: Backfill, symbol: str, interval: Interval, start: float, now: float
) -> list[Bar]:
    base, quote = split_pair(symbol)
    pair = base + exchange_quote(quote, bf.settings.usdt_as_usd)
    url = bf.base("binance") + "/api/v3/klines"
    step_ms = STEP[interval] * 1000
    cursor = int(start * 1000) // step_ms * step_ms
    now_ms = int(now * 1000)
    bars: list[Bar] = []
    while cursor < now_ms:
        params: dict[str, str | int] = {
            "symbol": pair,
            "interval": interval,
            "startTime": cursor,
            "limit": BINANCE_LIMIT,
        }
        rows = await bf.get_json("binance", url, params)
        if not isinstance(rows, list):
            raise Unavailable("klines answer is not a list")
        for row in rows:
            # The newest row of a range reaching now is still open: its close time is
            # in the future. Only finished bars are history.
            if int(row[6]) >= now_ms:
                continue
            bars.append(_bar(row[0] / 1000, row[1], row[2], row[3], row[4], row[5]))
        if len(rows) < BINANCE_LIMIT:
            break
        cursor = int(rows[-1][0]) + step_ms
    return bars


async def _coinbase(
    bf: Backfill, symbol: str, interval: Interval, start: float, now: float
) -> list[Bar]:
    url = f"{bf.base('coinbase')}/products/{symbol}/candles"
    step = STEP[interval]
    window = step * COINBASE_LIMIT
    by_start: dict[float, Bar] = {}
    cursor = start // step * step
    while cursor < now:
        end = min(now, cursor + window - step)  # ≤ 300 buckets, start and end inclusive
        params: dict[str, str | int] = {
            "granularity": step,
            "start": _iso(cursor),
            "end": _iso(end),
        }
        rows = await bf.get_json("coinbase", url, params)
        if not isinstance(rows, list):
            raise Unavailable(f"candles answer is not a list: {str(rows)[:80]}")
        for row in rows:
            t = float(row[0])
            # Rows can precede the asked start; the newest bucket may still be open.
            if t < start - step or t + step > now:
                continue
            by_start[t] = _bar(t, row[3], row[2], row[1], row[4], row[5])
        cursor = end + step
    return [by_start[t] for t in sorted(by_start)]


async def _kraken(
    bf: Backfill, symbol: str, interval: Interval, start: float, now: float
) -> list[Bar]:
    base, quote = split_pair(symbol)
    # Kraken's REST names Bitcoin XBT (v2 websocket uses BTC).
    pair = ("XBT" if base == "BTC" else base) + quote
    params: dict[str, str | int] = {
        "pair": pair,
        "interval": 1 if interval == "1m" else 1440,
        "since": int(start),
    }
    body = await bf.get_json("kraken", bf.base("kraken") + "/0/public/OHLC", params)
    if not isinstance(body, dict):
        raise Unavailable("OHLC answer is not an object")
    errors = body.get("error") or []
    if errors:
        text = "; ".join(str(e) for e in errors)
        if "Too many requests" in text or "Rate limit" in text:
            raise RateLimited(text)
        raise Unavailable(text)
    result = body.get("result") or {}
    keys = [k for k in result if k != "last"]
    if len(keys) != 1:
        raise Unavailable("OHLC answer without one pair")
    rows = result[keys[0]]
    step = STEP[interval]
    # The last row is the uncommitted current bucket.
    return [
        _bar(float(row[0]), row[1], row[2], row[3], row[4], row[6])
        for row in rows
        if float(row[0]) + step <= now and float(row[0]) >= start - step
    ]


FETCHERS: Mapping[str, Fetcher] = {
    "binance": _binance,
    "coinbase": _coinbase,
    "kraken": _kraken,
}


def _bar(start: float, o: Any, h: Any, low: Any, c: Any, v: Any) -> Bar:
    # The websocket feeds' number rule (feeds.base): Binance and Kraken send candle values
    # as text, held to it as it is; Coinbase sends JSON numbers, which arrive as floats
    # and are held to its range (Decimal(float) is exact, so the bar keeps the very float).
    # Bars themselves are floats by design (model.Bar).
    try:
        volume = quantity(_exact(v))
        if volume is None:
            raise FeedError("candle without a volume")
        return Bar(
            float(start),
            float(price(_exact(o))),
            float(price(_exact(h))),
            float(price(_exact(low))),
            float(price(_exact(c))),
            float(volume),
        )
    except FeedError as exc:
        raise Unavailable(f"malformed candle row: {exc}") from None


def _exact(value: Any) -> Any:
    return Decimal(value) if isinstance(value, float) else value


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _retry_after(response: httpx.Response, default: float) -> float:
    value = response.headers.get("Retry-After")
    if value is None:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        return default


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return clean_text(response.text, 120)
    if isinstance(body, dict):
        return clean_text(str(body.get("msg") or body.get("message") or body), 160)
    return clean_text(str(body), 120)


class BackfillProducer:
    """The backfill in the runtime's ``Producer`` shape: fetch, ask again later for what
    could not be had, then stay idle.

    Series no exchange served (the network was down, every exchange refused) are asked
    for again after ``retry_s``, doubling up to ``retry_max_s``. ``run`` returning would
    make the runtime restart it (and fetch everything again), so once all is in it waits
    until cancelled.
    """

    def __init__(
        self,
        backfill: Backfill,
        symbols: Sequence[str],
        *,
        retry_s: float = 60.0,
        retry_max_s: float = 1800.0,
    ) -> None:
        self.backfill = backfill
        self.symbols = tuple(symbols)
        self.results: list[SeriesResult] = []
        self._retry_s, self._retry_max_s = retry_s, retry_max_s

    @property
    def name(self) -> str:
        return self.backfill.name

    async def run(self, sink: Sink) -> None:
        pending, delay = self.symbols, self._retry_s
        served: dict[tuple[str, Interval], SeriesResult] = {}
        while pending:
            self.backfill.retry_at = None
            for result in await self.backfill.run(sink, pending):
                if result.source is not None or (result.symbol, result.interval) not in served:
                    served[(result.symbol, result.interval)] = result
            self.results = list(served.values())
            pending = tuple(dict.fromkeys(r.symbol for r in self.results if r.source is None))
            if pending:
                self.backfill.retry_at = self.backfill.clock.now() + delay
            sink.push_health(self.backfill.health(self.results))
            if pending:
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._retry_max_s)
        await asyncio.Event().wait()
