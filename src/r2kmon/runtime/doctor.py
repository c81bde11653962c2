"""``r2kmon doctor``: every endpoint the config enables, checked the way the app uses it.

Used by the CLI (``r2kmon doctor [--json] [--timeout S]``): the first command to run on a
real network, and the output to paste into a bug report. Headless (no Textual).

What is checked, all endpoints at once:

* each exchange of ``[crypto] exchanges`` that is enabled, as the feeds stream it: the
  adapter built from the feeds' own settings (:func:`~r2kmon.feeds.failover.feed_settings`,
  :class:`~r2kmon.feeds.connection.FeedConnection`), its ``connect_url()``, the websocket
  opened with the policy's TLS context and proxy, the adapter's ``subscribe_messages()``
  for every configured symbol, frames read through its ``parse()`` until one gives a price;
* the exchange's REST candles where the app takes the pairs' history from it (Binance,
  Coinbase, Kraken): the first page of the poller's own candles request
  (:mod:`r2kmon.sources.exchange_candles`) for a few daily candles of the first symbol;
* each enabled provider: one request of a kind the poller makes (Yahoo's chart of the
  first market symbol, FRED's graph CSV of the first series, CoinGecko's and
  CoinPaprika's ``/global``, alternative.me's ``/fng/``, the iShares holdings file), built
  by the provider's :class:`~r2kmon.sources.base.Endpoint`, sent through
  :func:`r2kmon.net.http.http_client` and read by the provider's own parser: "works"
  means "gave data".

Beside the real client a probe opens a connection of its own to tell the steps apart:
DNS (the addresses), TCP connect (its time is the round-trip time shown), TLS handshake
with the same :class:`~r2kmon.net.NetworkPolicy` context (protocol, certificate, issuer,
expiry). Through a proxy, DNS and TCP are the proxy's and TLS is left to the real client.
The verdict comes from the real client only; the probe can only name where a client's
timeout was spent. Clock skew is the server's ``Date`` header (websocket handshake or
HTTP answer) against this machine's clock, to the second.

Time is bounded: each phase (connecting and the handshake or request; then the first
price) has ``timeout`` seconds, so the whole run ends within about twice that.

``--json`` prints :func:`document`, whose keys (``doctor_version`` 1) are::

    doctor_version   1
    generated_at     ISO-8601 UTC
    r2kmon_version   the version that ran
    config           the config file read; null: the built-in defaults
    simulated        true with --demo (nothing is checked then)
    timeout_s        the per-phase timeout
    trust            the certificates trusted, in words
    ok               every checked endpoint works (the exit code is 0)
    endpoints        [{name, kind (websocket|rest|http), config (the table that sets it),
                       url, host, port, proxy ({url, origin} without credentials, or null),
                       ok, steps [{step, status (ok|failed|skipped), detail, ms}],
                       addresses, certificate ({subject, issuer, expires, protocol} or
                       null), http_status, result, price ({symbol, value} or null),
                       rtt_ms, skew_s, error, fault, fix}]
                     the steps of a websocket: dns tcp tls handshake subscribe data;
                     of rest and http: dns tcp tls http data
    not_checked      [{name, why}]: configured endpoints the app would not use
    first_failure    {name, reason, fix} or null
    notes            remarks that are not failures (a clock far off)
"""

from __future__ import annotations

import asyncio
import email.utils
import importlib.util
import json
import logging
import os
import socket
import ssl
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from functools import partial
from typing import Any, Final, Literal, cast
from urllib.parse import urlsplit

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import (
    ConnectionClosed,
    InvalidHandshake,
    InvalidProxy,
    InvalidStatus,
    InvalidURI,
)

from r2kmon import __version__
from r2kmon.config import DEFAULT_EXCHANGES, Config
from r2kmon.feeds.base import Adapter, Channel, FeedError
from r2kmon.feeds.connection import FeedConnection, FeedSettings
from r2kmon.feeds.failover import feed_settings
from r2kmon.model import (
    canonical_crypto,
    canonical_market,
    clean_text,
)
from r2kmon.net import Failure, NetworkPolicy, describe_failure
from r2kmon.net.failure import (
    CERTIFICATE,
    CONNECT,
    DNS,
    REFUSED,
    RESET,
    TIMEOUT,
    TLS,
    UNREACHABLE,
)
from r2kmon.net.http import http_client
from r2kmon.net.policy import Proxy, redact_credentials
from r2kmon.sources import (
    alternative_me,
    coingecko,
    coinpaprika,
    fred,
    ishares,
    twelvedata,
    yahoo,
)
from r2kmon.sources.base import Endpoint, SourceError, UnknownSymbol
from r2kmon.sources.crypto_common import GlobalMarket
from r2kmon.sources.exchange_candles import EXCHANGES, CandlePage, Window
from r2kmon.sources.poller import PollerSettings, settings_from_endpoints

log = logging.getLogger(__name__)

DOCUMENT_VERSION: Final = 1
DEFAULT_TIMEOUT: Final = 5.0
SKEW_NOTE_S: Final = 5
"""A clock this many seconds off a server's gets a note: ages and staleness depend on it."""
REST_DAYS: Final = 5
"""Days of daily candles asked of an exchange's REST API: one short request."""
FRED_DAYS: Final = 30
"""Days of a FRED series asked for: enough for a weekly series to have a value."""

Kind = Literal["websocket", "rest", "http"]
StepStatus = Literal["ok", "failed", "skipped"]

_PROBE_STEPS: Final = ("dns", "tcp", "tls")
_NETWORK_FAULTS: Final = frozenset({REFUSED, RESET, TIMEOUT, UNREACHABLE, CONNECT})
_DEFAULT_PORTS: Final = {"https": 443, "wss": 443, "http": 80, "ws": 80}
_STATUS_WORDS: Final = {
    400: "bad request",
    401: "unauthorized",
    403: "forbidden",
    404: "not found",
    408: "request timeout",
    418: "IP banned",
    429: "rate limited",
    451: "restricted location",
}


# --- what a check found ---------------------------------------------------------------------


@dataclass
class Step:
    """One step of a check; ``skipped`` means not reached or not applicable (``detail``)."""

    name: str
    status: StepStatus = "skipped"
    detail: str = ""
    ms: float | None = None

    def ok(self, detail: str, ms: float | None = None) -> None:
        self.status, self.detail, self.ms = "ok", clean_text(detail), _round(ms)

    def fail(self, detail: str, ms: float | None = None) -> None:
        self.status, self.detail, self.ms = "failed", clean_text(detail), _round(ms)


@dataclass(frozen=True)
class Certificate:
    """The server certificate the probe's handshake verified."""

    subject: str
    issuer: str
    expires: str
    """Expiry date, ``YYYY-MM-DD`` (UTC)."""
    protocol: str


@dataclass
class Check:
    """Everything found about one endpoint."""

    name: str
    kind: Kind
    section: str
    """The config table that sets this endpoint (``exchanges.binance``)."""
    url: str
    """What the real client asks (the request's URL once one was sent)."""
    exchange: str | None = None
    api_key_env: str = ""
    steps: dict[str, Step] = field(init=False)
    proxy: Proxy | None = None
    addresses: list[str] = field(default_factory=list)
    certificate: Certificate | None = None
    http_status: int | None = None
    result: str | None = None
    """What the endpoint gave, short: ``BTC-USD 100.01``, ``BTC dom 54.1%``."""
    price: tuple[str, Decimal] | None = None
    rtt_ms: float | None = None
    skew_s: int | None = None
    error: str | None = None
    """Why the real client failed (its first failure)."""
    fault: str | None = None
    """The network's class of that failure (:mod:`r2kmon.net.failure`); None if it is
    not the network's (the server answered, but not as hoped)."""
    unknown_symbol: bool = False
    fix: str | None = None
    works: bool = False
    """Set by the real client only: the endpoint gave data."""
    probe_failure: Failure | None = None
    """Where the probe's connection failed (it can say what a client's timeout hid)."""

    def __post_init__(self) -> None:
        names = list(_PROBE_STEPS)
        names += (
            ["handshake", "subscribe", "data"] if self.kind == "websocket" else ["http", "data"]
        )
        self.steps = {name: Step(name) for name in names}

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or "?"

    @property
    def port(self) -> int:
        parts = urlsplit(self.url)
        return parts.port or _DEFAULT_PORTS.get(parts.scheme.lower(), 0)

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def answer(self) -> Step:
        """The step where the server answers: the websocket handshake, or the HTTP status."""
        return self.steps["handshake" if self.kind == "websocket" else "http"]

    def failed(self, step: str, failure: Failure | str, ms: float | None = None) -> None:
        """The real client failed at ``step``; the first such reason is the check's error."""
        if isinstance(failure, str):
            failure = Failure(failure)
        self.steps[step].fail(failure.reason, ms)
        if self.error is None:
            self.error, self.fault = clean_text(failure.reason), failure.fault


@dataclass
class Report:
    """The whole run."""

    checks: list[Check]
    not_checked: list[tuple[str, str]]
    timeout: float
    trust: str
    config: str | None
    generated_at: float
    simulated: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(check.works for check in self.checks)

    @property
    def first_failure(self) -> Check | None:
        return next((check for check in self.checks if not check.works), None)


def _round(ms: float | None) -> float | None:
    return None if ms is None else round(ms, 1)


def _ms_since(start: float) -> float:
    return (time.perf_counter() - start) * 1000.0


def _number(value: Decimal) -> str:
    """A price as its digits, without the trailing zeros exchanges pad it with."""
    return format(value.normalize(), "f")


# --- which endpoints the app uses -----------------------------------------------------------


RealCheck = Callable[[NetworkPolicy, float], Awaitable[None]]
"""The real client's check of one endpoint: ``(policy, timeout)``; fills its :class:`Check`."""


@dataclass(frozen=True)
class Target:
    """One endpoint to check: what is found goes into ``check``, ``run`` finds it."""

    check: Check
    run: RealCheck


def plan(config: Config) -> tuple[list[Target], list[tuple[str, str]]]:
    """The endpoints the app would use with ``config`` (exchanges in priority order, each
    with its REST API, then the providers), and the configured ones it would not use."""
    targets: list[Target] = []
    unused: list[tuple[str, str]] = []
    crypto = [canonical_crypto(s) for s in config.crypto.symbols]
    markets = [canonical_market(s) for s in config.markets.symbols]
    now = time.time()

    # The runtime's rule (runtime.build_producers): listed in [crypto] exchanges, enabled.
    exchanges = [e for e in config.crypto.exchanges if config.exchanges[e].enabled]
    for name in config.exchanges:
        if name not in config.crypto.exchanges:
            unused.append((name, "not in [crypto] exchanges"))
        elif not config.exchanges[name].enabled:
            unused.append((name, "enabled = false"))
    if not crypto:
        unused.extend((e, "no [crypto] symbols") for e in exchanges)
        exchanges = []
    feeds = feed_settings(
        crypto,
        exchanges,
        urls={e: config.exchanges[e].url for e in exchanges},
        rest_urls={e: config.exchanges[e].rest_url for e in exchanges},
        channel=cast(Channel, config.crypto.channel),  # the config checked it
        usdt_as_usd=config.crypto.usdt_as_usd,
    )
    for feed in feeds:
        # FeedConnection builds the adapter as the running feed does (no I/O here).
        adapter = FeedConnection(feed).adapter
        section = f"exchanges.{feed.exchange}"
        check = Check(feed.name, "websocket", section, adapter.connect_url(), feed.exchange)
        targets.append(Target(check, partial(_websocket, check, adapter, feed)))
        if feed.exchange in EXCHANGES:
            rest = config.exchanges[feed.exchange].rest_url
            window = Window(crypto[0], "1d", now - REST_DAYS * 86_400.0, now)
            candles = EXCHANGES[feed.exchange](
                window, rest or DEFAULT_EXCHANGES[feed.exchange].rest_url, feed.usdt_as_usd
            )
            url = str(candles.request().url)
            check = Check(f"{feed.name} rest", "rest", section, url, feed.exchange)
            rest_check = partial(_http, check, candles, partial(_rest, check, crypto[0]))
            targets.append(Target(check, rest_check))

    poller = settings_from_endpoints(config.providers, markets, crypto_symbols=crypto)
    for name, provider in poller.providers.items():
        if not provider.enabled:
            unused.append((name, "enabled = false"))
            continue
        api_key = os.environ.get(provider.api_key_env) if provider.api_key_env else None
        if name == twelvedata.PROVIDER and not api_key:
            # A keyed fallback: the app asks it nothing without its key.
            unused.append((name, f"set ${provider.api_key_env} to use it"))
            continue
        made = _provider_request(name, provider.url, api_key or None, poller)
        if made is None:
            unused.append((name, "no [markets] symbols"))
            continue
        endpoint, describe = made
        check = Check(
            name,
            "http",
            f"providers.{name}",
            str(endpoint.request().url),
            api_key_env=provider.api_key_env,
        )
        targets.append(Target(check, partial(_http, check, endpoint, describe)))
    return targets, unused


Describe = Callable[[Any], str | None]
"""A provider's parsed answer → the short result shown (``None``: it held no data)."""


def _provider_request(
    name: str, url: str, api_key: str | None, poller: PollerSettings
) -> tuple[Endpoint[Any], Describe] | None:
    """A request of a kind the poller makes of provider ``name`` (``Poller._build_jobs``)."""
    if name == "yahoo":
        if not poller.market_symbols:
            return None  # the poller asks Yahoo nothing then
        symbol = poller.market_symbols[0]
        chart = yahoo.ChartEndpoint(
            symbol, range="1d", interval=poller.intraday_interval, base_url=url
        )
        return chart, partial(_yahoo_result, symbol)
    if name == "fred":
        start = datetime.now(timezone.utc).date() - timedelta(days=FRED_DAYS)
        series = poller.fred_series[0] if poller.fred_series else "WALCL"
        return fred.FredGraphEndpoint(series, url, start), _fred_result
    if name == "coingecko":
        return coingecko.GlobalEndpoint(url, api_key), _global_result
    if name == "coinpaprika":
        return coinpaprika.GlobalEndpoint(url), _global_result
    if name == "alternative_me":
        return alternative_me.FearGreedEndpoint(url, poller.fear_greed_limit), _fear_greed_result
    if name == "ishares":
        return ishares.HoldingsEndpoint(url), _holdings_result
    if name == twelvedata.PROVIDER and api_key is not None:
        served = [twelvedata.SYMBOLS[s] for s in poller.market_symbols if s in twelvedata.SYMBOLS]
        if not served:
            return None
        endpoint = twelvedata.TimeSeriesEndpoint(served[0], url, api_key, "1d", 2)
        return endpoint, _twelvedata_result
    return None  # pragma: no cover - settings_from_endpoints knows only the providers above


def _yahoo_result(symbol: str, chart: yahoo.Chart) -> str | None:
    if chart.tick is not None:
        return f"{symbol} {_number(chart.tick.price)}"
    return f"{symbol} {len(chart.bars)} bars" if chart.bars else None


def _twelvedata_result(series: twelvedata.Series) -> str | None:
    tick = series.tick
    return None if tick is None else f"{series.symbol} {_number(tick.price)}"


def _fred_result(series: fred.Series) -> str | None:
    latest = series.latest()
    return None if latest is None else f"{series.series_id} {latest[1]:,.6g}"


def _global_result(market: GlobalMarket) -> str:
    return f"BTC dom {market.btc_dominance_pct:.1f}%"


def _fear_greed_result(reading: alternative_me.FearGreed) -> str | None:
    value = reading.context()
    return None if value is None else f"F&G {value.value:.0f}"


def _holdings_result(holdings: ishares.FundHoldings) -> str:
    # The endpoint asks for IWM's file (ishares.IWM_PATH).
    return f"IWM {holdings.shares_outstanding / 1e6:,.1f}M sh"


# --- the probe: DNS, TCP and TLS on a connection of its own ---------------------------------


async def _probe(check: Check, policy: NetworkPolicy, timeout: float) -> None:
    """Fill the dns, tcp and tls steps (and addresses, rtt, certificate)."""
    secure = urlsplit(check.url).scheme.lower() in ("https", "wss")
    proxy = check.proxy = policy.proxy_for(check.url)
    if proxy is not None:
        parts = urlsplit(proxy.url)
        host = parts.hostname or "?"
        port = parts.port or (1080 if parts.scheme.lower().startswith("socks") else 80)
        about = proxy.url
    else:
        host, port, about = check.host, check.port, check.url
    step = check.steps["dns"]
    try:
        async with asyncio.timeout(timeout):
            start = time.perf_counter()
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
            check.addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
            via = f" (the proxy {host})" if proxy is not None else ""
            step.ok(", ".join(check.addresses[:4]) + via, _ms_since(start))

            step = check.steps["tcp"]
            start = time.perf_counter()
            # The host name, not an address: the clients resolve and fall back themselves.
            _reader, writer = await asyncio.open_connection(host, port)
            check.rtt_ms = _round(_ms_since(start))
            peer = writer.get_extra_info("peername")
            step.ok(f"{peer[0]}:{peer[1]}" if peer else f"{host}:{port}", check.rtt_ms)

            step = check.steps["tls"]
            try:
                if not secure:
                    step.status, step.detail = "skipped", "no TLS: not https:// or wss://"
                elif proxy is not None:
                    step.status, step.detail = "skipped", "through the proxy: see the client"
                else:
                    start = time.perf_counter()
                    await writer.start_tls(policy.tls_context(), server_hostname=check.host)
                    cert = check.certificate = _certificate(writer.get_extra_info("ssl_object"))
                    step.ok(
                        f"{cert.protocol}, issued by {cert.issuer}, expires {cert.expires}"
                        if cert is not None
                        else "handshake done",
                        _ms_since(start),
                    )
            finally:
                # Not a polite TLS close: a stalled server would keep us waiting for it.
                writer.transport.abort()
    except TimeoutError as exc:
        if step.name == "dns":
            # A resolver that does not answer is a DNS failure, not a slow server.
            failure = Failure(f"DNS lookup of {host} gave no answer within {timeout:g} s", DNS)
        else:
            failure = describe_failure(exc, about, timeout=timeout)
        step.fail(failure.reason)
        check.probe_failure = failure
    except OSError as exc:  # ssl.SSLError is an OSError
        # A reset is said to be "during the TLS handshake" only when it happened there.
        failure = describe_failure(exc, about, timeout=timeout, connecting=step.name == "tls")
        step.fail(failure.reason)
        check.probe_failure = failure


def _certificate(ssl_object: object) -> Certificate | None:
    if not isinstance(ssl_object, (ssl.SSLObject, ssl.SSLSocket)):
        return None
    peer: dict[str, Any] | None = cast("dict[str, Any] | None", ssl_object.getpeercert())
    if not peer:
        return None

    def name(rdns: Sequence[Sequence[tuple[str, str]]]) -> str:
        fields = {key: value for rdn in rdns for key, value in rdn}
        org = fields.get("organizationName")
        first = fields.get("commonName") or fields.get("organizationalUnitName") or org or "?"
        return clean_text(f"{first} ({org})" if org and org != first else first, 120)

    expires = ""
    if peer.get("notAfter"):
        seconds = ssl.cert_time_to_seconds(peer["notAfter"])
        expires = datetime.fromtimestamp(seconds, timezone.utc).date().isoformat()
    return Certificate(
        name(peer.get("subject", ())),
        name(peer.get("issuer", ())),
        expires,
        str(ssl_object.version() or "TLS"),
    )


# --- the real clients -----------------------------------------------------------------------


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


def _status_words(status: int) -> str:
    words = _STATUS_WORDS.get(status) or ("server error" if status >= 500 else "")
    return f"HTTP {status} ({words})" if words else f"HTTP {status}"


async def _websocket(
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
        reason = f"handshake refused: {_status_words(check.http_status)}"
        check.failed("handshake", reason, _ms_since(start))
        return
    except (InvalidURI, InvalidProxy) as exc:
        check.failed("handshake", f"{type(exc).__name__}: {exc}", _ms_since(start))
        return
    except (OSError, TimeoutError, InvalidHandshake) as exc:
        failure = describe_failure(exc, url, timeout=timeout)
        if failure.fault is None and isinstance(exc, InvalidHandshake):
            failure = Failure(f"handshake failed: {exc}")
        check.failed("handshake", failure, _ms_since(start))
        return
    try:
        response = ws.response
        if response is not None:
            check.http_status = response.status_code
            _skew(check, response.headers.get("Date"))
        check.steps["handshake"].ok(f"HTTP {check.http_status}", _ms_since(start))
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
                    check.result = f"{tick.symbol} {_number(tick.price)}"
                    data.ok(check.result, _ms_since(start))
                    check.works = True
                    return
                # A per-symbol heartbeat (Coinbase) proves a subscription as an ack does.
                proof = parsed.kind == "ack" or (parsed.kind == "heartbeat" and parsed.symbols)
                if proof and subscribe.status != "ok":
                    subscribe.ok("acknowledged", _ms_since(start))
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
        how = (
            "without a close frame (1006)"
            if close is None
            else f"by the server with code {close.code}"
            + (f": {close.reason}" if close.reason else "")
        )
        said = f" after: {'; '.join(errors[:2])}" if errors else ""
        check.failed("data", f"connection closed {how}{said}")
    finally:
        sender.cancel()
        await asyncio.gather(sender, return_exceptions=True)


def _rest(check: Check, symbol: str, page: CandlePage) -> str | None:
    """A page of daily candles of ``symbol`` → its last close, also the check's price."""
    if not page.bars:
        return None
    close = Decimal(str(page.bars[-1].close))
    check.price = (symbol, close)
    return f"{symbol} {_number(close)}"


async def _http(
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
                response = await client.send(request)
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
            check.failed("http", failure, _ms_since(start))
            return
    status = check.http_status = response.status_code
    _skew(check, response.headers.get("Date"))
    took = _ms_since(start)
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
        check.failed("http", _status_words(status), took)
        return
    result = describe(parsed)
    if result is None:
        check.failed("data", "the answer held no data")
        return
    check.result = clean_text(result, 40)
    check.steps["data"].ok(check.result)
    check.works = True


# --- running --------------------------------------------------------------------------------


async def _run(target: Target, policy: NetworkPolicy, timeout: float) -> Check:
    check = target.check
    probe = asyncio.create_task(_probe(check, policy, timeout))
    try:
        # Every phase has its own timeout; this only guards against one that has none.
        async with asyncio.timeout(2 * timeout + 1.0):
            await target.run(policy, timeout)
    except TimeoutError:
        pending = [
            name
            for name, step in check.steps.items()
            if step.status == "skipped" and name not in _PROBE_STEPS
        ]
        check.failed(pending[0] if pending else "data", f"no result within {2 * timeout + 1:g} s")
    except Exception as exc:  # a bug in one check must not hide the others' results
        log.exception("doctor: checking %s failed", check.name)
        check.error = clean_text(f"internal error: {type(exc).__name__}: {exc}")
    finally:
        await probe
    found = check.probe_failure
    if not check.works and found is not None and found.fault is not None:
        # The probe can say better what the client saw: where its time ran out (a
        # resolver that does not answer), or that the socket it could not open was the
        # proxy's (the client names the host it was asking the proxy for).
        hidden = check.fault in (None, TIMEOUT) and found.fault != check.fault
        proxied = check.proxy is not None and check.fault in _NETWORK_FAULTS | {DNS}
        if check.http_status is None and (hidden or proxied):
            if proxied:
                for step in check.steps.values():
                    if step.name not in _PROBE_STEPS and step.detail == check.error:
                        step.detail = found.reason
            check.error, check.fault = found.reason, found.fault
    for unreached in check.steps.values():
        if unreached.status == "skipped" and not unreached.detail:
            unreached.detail = "not reached"
    return check


async def run_doctor(config: Config, *, timeout: float = DEFAULT_TIMEOUT) -> Report:
    """Check every endpoint ``config`` enables, all at once."""
    policy = config.network.policy()
    targets, unused = plan(config)
    checks = list(await asyncio.gather(*(_run(t, policy, timeout) for t in targets)))
    report = Report(
        checks,
        unused,
        timeout,
        policy.trust(),
        str(config.source) if config.source is not None else None,
        time.time(),
    )
    no_dns = bool(checks) and all(check.fault == DNS for check in checks)
    for check in checks:
        if not check.works:
            check.fix = fix_for(check, no_dns=no_dns)
    skewed = [c for c in checks if c.skew_s is not None and abs(c.skew_s) >= SKEW_NOTE_S]
    if skewed:
        worst = max(skewed, key=lambda c: abs(c.skew_s or 0))
        skew = worst.skew_s or 0
        side = "behind" if skew > 0 else "ahead of"
        report.notes.append(
            f"clock: this machine is {abs(skew)} s {side} {worst.host} (its Date header): "
            "ages and staleness are off by as much; sync the clock (NTP)"
        )
    return report


# --- the fix, in words ----------------------------------------------------------------------


def fix_for(check: Check, *, no_dns: bool = False) -> str:
    """What to do about ``check``'s failure, in one sentence. ``no_dns``: DNS failed for
    every endpoint, which is no network at all rather than one wrong name."""
    host, section = check.host, f"[{check.section}]"
    reason = check.error or "failed"
    status = check.http_status
    if no_dns:
        return (
            "no network: DNS fails for every host — check the network connection and the "
            "DNS server (/etc/resolv.conf)"
        )
    if status == 451:
        if check.exchange == "binance":
            return (
                f"HTTP 451 from {host}: restricted location — Binance serves no one from "
                'here: use Binance.US ([exchanges.binance] url = "wss://stream.binance.us:9443",'
                ' rest_url = "https://api.binance.us") or put coinbase first in [crypto] exchanges'
            )
        return (
            f"HTTP 451 from {host}: restricted location — set enabled = false in {section}, "
            "or go through a proxy elsewhere ([network] proxy)"
        )
    if status in (418, 429):
        key = f"; an API key in ${check.api_key_env} raises the limit" if check.api_key_env else ""
        what = "this address is banned for a while" if status == 418 else "rate limited"
        return (
            f"HTTP {status} from {host}: {what} — wait a few minutes before running again "
            f"(the app backs off by itself){key}"
        )
    if status in (401, 403):
        key = f", or the API key in ${check.api_key_env} is wrong" if check.api_key_env else ""
        return (
            f"HTTP {status} from {host}: refused — this address may be blocked{key}; a proxy "
            "elsewhere ([network] proxy) may help"
        )
    if check.unknown_symbol:
        return f"{reason} — {check.name} does not know it: check [markets] symbols"
    if status == 404 and check.answer.status == "failed":
        path = urlsplit(check.url).path or "/"
        return f"HTTP 404 from {host}: nothing at {path} — check the url in {section}"
    if status is not None and status >= 500:
        return f"{_status_words(status)} from {host}: the server is failing — try again later"
    if check.fault == CERTIFICATE:
        trust = (
            "trust the CA that signs it: export SSL_CERT_FILE=/path/to/ca.pem, or "
            '[network] ca_file = "/path/to/ca.pem" (a company proxy\'s CA goes there)'
        )
        if "expired" in reason:
            return (
                f"{host}: {reason} — check this machine's date; if it is right, something "
                f"between here and {host} presents an old certificate; if that is a company "
                f"proxy, {trust}"
            )
        if "mismatch" in reason or "not valid for" in reason:
            return (
                f"{host}: {reason} — the certificate is for another name: check the host in "
                f"{section} url; if a company proxy inspects TLS, {trust}"
            )
        return f"{host}: {reason} — {trust}"
    if check.fault == DNS:
        return f"{reason} — check the host name in {section} url, and this machine's DNS"
    if check.fault in _NETWORK_FAULTS:
        if check.proxy is not None:
            return (
                f"{reason} — through the proxy {check.proxy.shown} ({check.proxy.origin}): "
                f"check that the proxy is up and lets {host} through"
            )
        return (
            f"{reason} — if this network reaches the internet only through a proxy, set "
            "HTTPS_PROXY=http://proxy:port or [network] proxy; else a firewall blocks "
            f"{check.where}"
        )
    if check.fault == TLS:
        return (
            f"{reason} — something other than a TLS server answers at {check.where}: check "
            f"the url in {section}, or whether a proxy is needed (HTTPS_PROXY, [network] proxy)"
        )
    if check.kind == "websocket" and check.answer.status == "ok":
        return (
            f"{reason} — {host} took the subscription but sent no price: check that the "
            f"[crypto] symbols are listed on {check.exchange}"
        )
    return f"{check.name}: {reason}"


# --- output ---------------------------------------------------------------------------------


def document(report: Report) -> dict[str, Any]:
    """The ``--json`` document (its keys are in the module docstring)."""
    first = report.first_failure
    return {
        "doctor_version": DOCUMENT_VERSION,
        "generated_at": datetime.fromtimestamp(report.generated_at, timezone.utc)
        .isoformat(timespec="seconds")
        .replace("+00:00", "Z"),
        "r2kmon_version": __version__,
        "config": report.config,
        "simulated": report.simulated,
        "timeout_s": report.timeout,
        "trust": report.trust,
        "ok": report.ok,
        "endpoints": [_endpoint(check) for check in report.checks],
        "not_checked": [{"name": name, "why": why} for name, why in report.not_checked],
        "first_failure": (
            {"name": first.name, "reason": first.error, "fix": first.fix} if first else None
        ),
        "notes": list(report.notes),
    }


def _endpoint(check: Check) -> dict[str, Any]:
    cert = check.certificate
    return {
        "name": check.name,
        "kind": check.kind,
        "config": check.section,
        "url": redact_credentials(check.url),
        "host": check.host,
        "port": check.port,
        "proxy": {"url": check.proxy.shown, "origin": check.proxy.origin} if check.proxy else None,
        "ok": check.works,
        "steps": [
            {"step": s.name, "status": s.status, "detail": s.detail, "ms": s.ms}
            for s in check.steps.values()
        ],
        "addresses": list(check.addresses),
        "certificate": (
            {
                "subject": cert.subject,
                "issuer": cert.issuer,
                "expires": cert.expires,
                "protocol": cert.protocol,
            }
            if cert is not None
            else None
        ),
        "http_status": check.http_status,
        "result": check.result,
        "price": (
            {"symbol": check.price[0], "value": float(check.price[1])} if check.price else None
        ),
        "rtt_ms": check.rtt_ms,
        "skew_s": check.skew_s,
        "error": check.error,
        "fault": check.fault,
        "fix": check.fix,
    }


_COLUMNS: Final = (
    ("endpoint", 14),
    ("host", 23),
    ("dns", 4),
    ("tcp", 4),
    ("tls", 4),
    ("http", 4),
    ("sub", 4),
    ("data", 4),
    ("result", 17),
    ("rtt", 6),
    ("skew", 6),
)
"""Title and width of each column of the table: 100 characters with the spaces."""

_MARKS: Final = {"ok": "ok", "failed": "FAIL", "skipped": "-"}
_SHORT: Final = {
    CERTIFICATE: "cert rejected",
    DNS: "DNS failure",
    REFUSED: "refused",
    RESET: "reset",
    TIMEOUT: "timeout",
    TLS: "TLS failure",
    UNREACHABLE: "unreachable",
    CONNECT: "cannot connect",
}


def render(report: Report) -> str:
    """The report as plain text: a table (one row per endpoint, 100 columns), each
    endpoint's steps, then how many work and the fix for the first failure."""
    if report.simulated:
        return "r2kmon doctor: --demo uses simulated data and no network; nothing to check\n"
    proxies = sorted({f"{c.proxy.shown} ({c.proxy.origin})" for c in report.checks if c.proxy})
    lines = [
        f"r2kmon doctor {__version__} — config: {report.config or 'built-in defaults'}",
        f"trust: {report.trust}; proxy: {', '.join(proxies) or 'none'}; "
        f"timeout {report.timeout:g} s per phase",
    ]
    if report.checks:
        lines += ["", _row([title for title, _width in _COLUMNS])]
        lines += [_row(_cells(check)) for check in report.checks]
        lines.append("")
        for check in report.checks:
            lines += _details(check)
    if report.not_checked:
        grouped: dict[str, list[str]] = {}
        for name, why in report.not_checked:
            grouped.setdefault(why, []).append(name)
        lines.append(
            "not checked: " + "; ".join(f"{', '.join(n)} ({why})" for why, n in grouped.items())
        )
    lines += report.notes
    works = sum(check.works for check in report.checks)
    lines += ["", f"{works} of {len(report.checks)} endpoints work"]
    first = report.first_failure
    if first is not None:
        lines.append(f"fix: {first.fix}")
    return "\n".join(lines) + "\n"


def _row(cells: Sequence[str]) -> str:
    return " ".join(
        _cell(text, width, keep_end=title == "host").ljust(width)
        for text, (title, width) in zip(cells, _COLUMNS, strict=True)
    ).rstrip()


def _cell(text: str, width: int, *, keep_end: bool = False) -> str:
    if len(text) <= width:
        return text
    if keep_end:
        # A host keeps its end, whole labels (…exchange.coinbase.com): the domain is what
        # tells one host from another.
        tail = text
        while len(tail) >= width and "." in tail:
            tail = tail.split(".", 1)[1]
        if len(tail) < width:
            return "…" + tail
    return text[: width - 1] + "…"


def _cells(check: Check) -> list[str]:
    default_port = check.port == _DEFAULT_PORTS.get(urlsplit(check.url).scheme.lower())
    if check.works:
        result = check.result or ""
    elif check.fault is not None:
        result = _SHORT.get(check.fault, check.fault)
    elif check.http_status is not None and check.http_status >= 400:
        result = f"HTTP {check.http_status}"
    else:
        result = "no data" if check.steps["data"].status == "failed" else "failed"
    return [
        check.name,
        check.host if default_port else check.where,
        _MARKS[check.steps["dns"].status],
        _MARKS[check.steps["tcp"].status],
        _MARKS[check.steps["tls"].status],
        str(check.http_status) if check.http_status is not None else _MARKS[check.answer.status],
        _MARKS[check.steps["subscribe"].status] if "subscribe" in check.steps else "",
        _MARKS[check.steps["data"].status],
        result,
        f"{check.rtt_ms:.0f} ms" if check.rtt_ms is not None else "-",
        f"{check.skew_s:+d} s" if check.skew_s is not None else "-",
    ]


def _details(check: Check) -> list[str]:
    proxy = f"proxy {check.proxy.shown} ({check.proxy.origin})" if check.proxy else "direct"
    verdict = "works" if check.works else "FAILS"
    lines = [f"{check.name} [{check.section}] {verdict}: {redact_credentials(check.url)} ({proxy})"]
    for step in check.steps.values():
        if step.detail != "not reached":
            timing = f" ({step.ms:.0f} ms)" if step.ms is not None else ""
            lines.append(f"  {step.name:<9} {step.status:<7} {step.detail}{timing}".rstrip())
    if check.error and check.error not in {step.detail for step in check.steps.values()}:
        lines.append(f"  error     {check.error}")
    return lines


def run_command(config: Config, *, demo: bool, as_json: bool, timeout: float) -> int:
    """``r2kmon doctor``: print the report; 0 when every enabled endpoint works, else 1.

    With ``--demo`` nothing is checked (the demo opens no connection) and the answer is 0.
    """
    if demo:
        report = Report([], [], timeout, "", None, time.time(), simulated=True)
    else:
        report = asyncio.run(run_doctor(config, timeout=timeout))
    if as_json:
        print(json.dumps(document(report), indent=2))
    else:
        print(render(report), end="")
    return 0 if report.ok else 1
