"""The real clients' checks: the websocket opened, subscribed and read as the feeds do it,
and one HTTP request of a kind the poller makes, through the app's one client and read by
the provider's own parser. Only these set :attr:`Check.works`."""

from __future__ import annotations

import asyncio
import email.utils
import importlib.util
import time
from collections.abc import Callable
from datetime import timezone
from decimal import Decimal
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import (
    ConnectionClosed,
    InvalidHandshake,
    InvalidProxy,
    InvalidStatus,
    InvalidURI,
)

from r2kmon.feeds.base import Adapter, FeedError
from r2kmon.feeds.connection import FeedSettings
from r2kmon.model import clean_text
from r2kmon.net import RESET_BY_SERVER, Failure, NetworkPolicy, describe_failure, is_reset
from r2kmon.net.failure import TIMEOUT
from r2kmon.net.http import (
    BodyTooLarge,
    RedirectRefused,
    TooManyRedirects,
    http_client,
    send_capped,
)
from r2kmon.net.limits import DEFAULT_MAX_BODY
from r2kmon.runtime.doctor.check import Check, ms_since, plain_number, status_words
from r2kmon.sources.base import Endpoint, SourceError, UnknownSymbol
from r2kmon.sources.exchange_candles import CandlePage

Describe = Callable[[Any], str | None]
"""A provider's parsed answer → the short result shown (``None``: it held no data)."""


def _skew(check: Check, header: str | None) -> None:
    """The server's ``Date`` minus this machine's clock, in whole seconds."""
    if not header:
        return
    try:
        sent = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return
    if sent.tzinfo is None:
        sent = sent.replace(tzinfo=timezone.utc)
    # The header is cut to the second: the server's clock read half a second more on
    # average, so a clock in step shows 0, not -1.
    check.skew_s = round(sent.timestamp() + 0.5 - time.time())


async def check_websocket(
    check: Check, adapter: Adapter, feed: FeedSettings, policy: NetworkPolicy, timeout: float
) -> None:
    """Open, subscribe and read as :class:`~r2kmon.feeds.connection.FeedConnection` does."""
    url = check.url
    proxy = policy.proxy_for(url)
    if (
        proxy is not None
        and proxy.url.lower().startswith("socks")
        and importlib.util.find_spec("python_socks") is None
    ):
        check.failed(
            "handshake",
            f"{proxy.shown} ({proxy.origin}) is a SOCKS proxy: "
            "pip install 'r2kmon[socks]' to use it",
        )
        return
    start = time.perf_counter()
    try:
        ws = await connect(
            url,
            # The feeds' options: the policy's context for wss:// (websockets refuses
            # ssl=None there) and the policy's proxy or None (None keeps websockets from
            # reading the environment a second time).
            ssl=policy.tls_context() if url.lower().startswith("wss:") else None,
            proxy=proxy.url if proxy is not None else None,
            open_timeout=timeout,
            close_timeout=1.0,
            ping_interval=feed.ping_interval,
            ping_timeout=feed.ping_timeout,
            max_size=feed.max_frame_bytes,
        )
    except InvalidStatus as exc:
        check.http_status = exc.response.status_code
        _skew(check, exc.response.headers.get("Date"))
        reason = f"handshake refused: {status_words(check.http_status)}"
        check.failed("handshake", reason, ms_since(start))
        return
    except (InvalidURI, InvalidProxy) as exc:
        check.failed("handshake", f"{type(exc).__name__}: {exc}", ms_since(start))
        return
    except (OSError, TimeoutError, InvalidHandshake) as exc:
        failure = describe_failure(exc, url, timeout=timeout)
        if failure.fault is None and isinstance(exc, InvalidHandshake):
            failure = Failure(f"handshake failed: {exc}")
        check.failed("handshake", failure, ms_since(start))
        return
    try:
        response = ws.response
        if response is not None:
            check.http_status = response.status_code
            _skew(check, response.headers.get("Date"))
        check.steps["handshake"].ok(f"HTTP {check.http_status}", ms_since(start))
        await _first_price(check, adapter, ws, timeout)
    finally:
        await ws.close()


async def _first_price(
    check: Check, adapter: Adapter, ws: ClientConnection, timeout: float
) -> None:
    """Subscribe every configured symbol (paced as the feed paces it) and read frames
    until one parses to a price."""
    subscribe, data = check.steps["subscribe"], check.steps["data"]
    start = time.perf_counter()
    errors: list[str] = []
    unreadable: list[str] = []

    async def send(messages: list[str]) -> None:
        for number, message in enumerate(messages):
            if number:
                await asyncio.sleep(1.0 / adapter.send_rate)
            await ws.send(message)

    sender = asyncio.create_task(send(adapter.subscribe_messages(adapter.symbols)))
    try:
        async with asyncio.timeout(timeout):
            while True:
                try:
                    parsed = adapter.parse(await ws.recv(decode=False))
                except FeedError as exc:
                    unreadable.append(str(exc))
                    continue
                if parsed.kind == "ticks" and parsed.ticks:
                    tick = parsed.ticks[0]
                    if subscribe.status != "ok":
                        subscribe.ok("no acknowledgement, but data")
                    check.price = (tick.symbol, tick.price)
                    check.result = f"{tick.symbol} {plain_number(tick.price)}"
                    data.ok(check.result, ms_since(start))
                    check.works = True
                    return
                # A per-symbol heartbeat (Coinbase) proves a subscription as an ack does.
                proof = parsed.kind == "ack" or (parsed.kind == "heartbeat" and parsed.symbols)
                if proof and subscribe.status != "ok":
                    subscribe.ok("acknowledged", ms_since(start))
                elif parsed.kind == "error":
                    errors.append(parsed.message)
                    if parsed.resubscribe:
                        await send(adapter.subscribe_messages(parsed.resubscribe))
                elif parsed.kind == "shutdown":
                    check.failed("data", parsed.message or "the server asked to reconnect")
                    return
    except TimeoutError:
        said = "; ".join(errors[:2])
        if subscribe.status != "ok":
            subscribe.fail(said or f"no acknowledgement within {timeout:g} s")
        reason = f"no price within {timeout:g} s of subscribing"
        if said:
            reason += f": {said}"
        elif unreadable:
            reason += f" ({len(unreadable)} unreadable frames: {unreadable[0]})"
        check.failed("data", reason)
    except ConnectionClosed as exc:
        close = exc.rcvd
        if is_reset(exc):  # the feeds' words for it (r2kmon.feeds.session)
            how = RESET_BY_SERVER
        elif close is None:
            how = "connection closed without a close frame (1006)"
        else:
            reason = f": {close.reason}" if close.reason else ""
            how = f"connection closed by the server with code {close.code}{reason}"
        said = f" after: {'; '.join(errors[:2])}" if errors else ""
        check.failed("data", f"{how}{said}")
    finally:
        sender.cancel()
        await asyncio.gather(sender, return_exceptions=True)


def rest_result(check: Check, symbol: str, page: CandlePage) -> str | None:
    """A page of daily candles of ``symbol`` → its last close, also the check's price."""
    if not page.bars:
        return None
    close = Decimal(str(page.bars[-1].close))
    check.price = (symbol, close)
    return f"{symbol} {plain_number(close)}"


async def check_http(
    check: Check,
    endpoint: Endpoint[Any],
    describe: Describe,
    policy: NetworkPolicy,
    timeout: float,
) -> None:
    """The provider's request through the app's client, read by the provider's parser."""
    request = endpoint.request()
    start = time.perf_counter()
    async with http_client(policy, timeout=timeout, follow_redirects=True) as client:
        try:
            # A body that trickles in is bounded too (the poller has a deadline as well).
            async with asyncio.timeout(2 * timeout):
                # The poller's read: capped, and a keyed request not sent to another host.
                response = await send_capped(client, request, DEFAULT_MAX_BODY)
        except (BodyTooLarge, RedirectRefused, TooManyRedirects) as exc:
            check.failed("http", str(exc), ms_since(start))
            return
        except httpx.TimeoutException:
            reason = f"no answer from {check.where} within {timeout:g} s"
            check.failed("http", Failure(reason, TIMEOUT))
            return
        except TimeoutError:
            check.failed("http", f"answer not complete within {2 * timeout:g} s")
            return
        except httpx.HTTPError as exc:
            connecting = isinstance(exc, httpx.ConnectError)
            failure = describe_failure(exc, check.url, timeout=timeout, connecting=connecting)
            check.failed("http", failure, ms_since(start))
            return
    status = check.http_status = response.status_code
    _skew(check, response.headers.get("Date"))
    took = ms_since(start)
    if status < 400:
        check.steps["http"].ok(f"HTTP {status}", took)
    try:
        # Off the loop, as the poller does: years of bars are a large body.
        parsed = await asyncio.to_thread(endpoint.parse, response)
    except SourceError as exc:
        check.unknown_symbol = isinstance(exc, UnknownSymbol)
        check.failed("http" if status >= 400 else "data", exc.message, took)
        return
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        check.failed("data", f"unreadable answer: {type(exc).__name__}: {exc}")
        return
    if status >= 400:
        check.failed("http", status_words(status), took)
        return
    result = describe(parsed)
    if result is None:
        check.failed("data", "the answer held no data")
        return
    check.result = clean_text(result, 40)
    check.steps["data"].ok(check.result)
    check.works = True
