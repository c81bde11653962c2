"""What the poller is told: where each provider lives and how politely to ask it, and what
to poll how often.

Used by the runtime and ``r2kmon doctor``, which build :class:`PollerSettings` with
:func:`settings_from_endpoints` from the config's ``[providers.*]`` tables and the
``rest_url`` of the ``[exchanges.*]`` it streams from, and by the scheduler and the
catalogue, which read them. Endpoint URLs and API-key variables are written once, in the
config's defaults (:mod:`r2kmon.config`); what is written here is what the config does not
say: each provider's rate budget and backoff.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol

from r2kmon.model import Interval
from r2kmon.net.limits import DEFAULT_MAX_BODY

log = logging.getLogger(__name__)

HISTORY_RECORD = "backfill"
"""The health record the exchanges' REST candles report under together: the name users
(and the analytics' "no daily history" status) know the crypto history by."""


@dataclass(frozen=True, slots=True)
class ProviderSettings:
    """One provider: where it lives, its optional key, its rate budget and backoff.

    ``api_key_env`` is the *name* of an environment variable; its value is read when a
    request is built and never logged.
    """

    url: str
    enabled: bool = True
    api_key_env: str = ""
    min_interval_s: float = 1.0
    """Rate budget: at least this long between two requests to this provider."""
    backoff_base_s: float = 30.0
    """First retry delay after a transient failure; doubles per failure..."""
    backoff_cap_s: float = 900.0
    """...up to this. A longer ``Retry-After`` from the server still wins."""
    record: str = ""
    """The health record it reports under; empty: its own (named after it)."""
    transport: str = ""
    """How requests travel: ``httpx``; ``impersonate`` (a browser's TLS, through the
    ``impersonate`` extra); ``auto``: httpx until the provider keeps rejecting it, then
    impersonation if installed. Empty: httpx (only Yahoo has the choice)."""
    max_body: int = DEFAULT_MAX_BODY
    """The largest answer read from it, in bytes (``[providers.<name>] max_body``)."""


def _manners(
    min_interval_s: float, backoff_base_s: float, backoff_cap_s: float, record: str = ""
) -> ProviderSettings:
    """A provider's budget and backoff, its URL still to come from the config."""
    return ProviderSettings("", True, "", min_interval_s, backoff_base_s, backoff_cap_s, record)


PROVIDERS: Mapping[str, ProviderSettings] = MappingProxyType(
    {
        # Yahoo blocks by IP and publishes no limit: at most one request every 2 s, and back
        # off in minutes (1 → 2 → 4 → 8 → 15), as its users learned the hard way.
        "yahoo": _manners(2.0, 60.0, 900.0),
        # FRED's CSV has no documented limit; its API allows about 2 requests per second.
        "fred": _manners(1.0, 60.0, 3600.0),
        # CoinGecko keyless: plan for 10 calls a minute.
        "coingecko": _manners(6.0, 30.0, 900.0),
        # CoinPaprika free: 10 req/s but only 20,000 calls a month.
        "coinpaprika": _manners(2.0, 30.0, 900.0),
        "ishares": _manners(10.0, 300.0, 6 * 3600.0),
        "alternative_me": _manners(5.0, 60.0, 3600.0),
        # Twelve Data's free plan: 8 credits a minute (one per symbol and request), 800 a
        # day; a 429 means the minute's or the day's credits are spent.
        "twelvedata": _manners(8.0, 60.0, 3600.0),
    }
)
"""The HTTP providers the poller knows, without their URLs."""

EXCHANGES: Mapping[str, ProviderSettings] = MappingProxyType(
    {
        # Binance allows 6000 weight a minute (klines: 2); Coinbase 10 public requests a
        # second; Kraken about one a second. What could not be had is asked again after a
        # minute, doubling up to half an hour.
        "binance": _manners(0.05, 60.0, 1800.0, HISTORY_RECORD),
        "coinbase": _manners(0.2, 60.0, 1800.0, HISTORY_RECORD),
        "kraken": _manners(1.0, 60.0, 1800.0, HISTORY_RECORD),
    }
)
"""The exchanges whose REST candles give the crypto history, without their URLs."""


def _default_fallbacks() -> Mapping[str, str]:
    # Only where FRED has the *same* instrument: ^GSPC is SP500, ^VIX is VIXCLS, ^TNX and
    # DGS10 are both the 10-year yield in percent. SPY, IWM and ^RUT have no FRED twin,
    # and DTWEXBGS is the broad dollar index, not the DXY future DX-Y.NYB.
    return MappingProxyType(
        {"^GSPC": "SP500", "^VIX": "VIXCLS", "^TNX": "DGS10", "^IXIC": "NASDAQCOM"}
    )


@dataclass(frozen=True)
class PollerSettings:
    """Everything the poller needs; the runtime fills it from the config file."""

    providers: Mapping[str, ProviderSettings] = field(default_factory=lambda: MappingProxyType({}))
    """Every provider and exchange REST API that may be asked, by name."""
    market_symbols: Sequence[str] = ("^RUT", "IWM", "SPY", "^VIX")
    """Yahoo tickers to follow (daily history and intraday bars)."""
    fred_fallbacks: Mapping[str, str] = field(default_factory=_default_fallbacks)
    """Market symbol → FRED series serving its daily close when Yahoo cannot."""
    fred_series: Sequence[str] = (
        "WALCL", "WTREGEN", "RRPONTSYD", "DGS10", "SP500", "NASDAQCOM", "VIXCLS", "DTWEXBGS",
    )  # fmt: skip
    """FRED series polled for their own sake (context values and ``1d`` bars)."""
    fred_history_days: int = 3 * 365
    daily_range_first: str = "max"
    """Yahoo range of the first daily request per symbol (the whole history)."""
    daily_range_refresh: str = "5d"
    """Yahoo range of later daily requests: enough to repair the last few bars."""
    daily_every_s: float = 6 * 3600.0
    intraday: bool = True
    """Poll intraday bars and quotes at all (off: daily bars only)."""
    intraday_interval: str = "1m"
    intraday_open_s: float = 60.0
    intraday_closed_s: float = 1800.0
    market_hours: bool = True
    """False: poll intraday at ``intraday_open_s`` around the clock (tests, other markets)."""
    crypto_global_every_s: float = 600.0
    top_coins: int = 50
    top_coins_every_s: float = 86_400.0
    coin_history_days: int = 90
    coin_history_every_s: float = 86_400.0
    crypto_symbols: Sequence[str] = ()
    """Canonical pairs (``BTC-USD``) the exchanges stream. Their history comes from the
    exchanges' REST candles (``history_exchanges``); their CoinGecko/CoinPaprika history
    (one price a day, open = high = low = close) is not pushed, so it never flattens the
    exchanges' real OHLC bars in the hub."""
    history_exchanges: Sequence[str] = ()
    """Exchanges (provider names) asked for the crypto pairs' candles, in this order."""
    history_intervals: Sequence[Interval] = ("1m", "1d")
    history_minute_hours: float = 24.0
    history_daily_days: int = 10 * 365
    """Deep enough for the event study: what BTC and ETH did after the Russell 2000
    breakouts of 2020 and 2021 needs daily bars from 2017 on (Binance's BTCUSDT starts in
    August 2017; Coinbase goes back to 2015)."""
    history_retry_s: float = 60.0
    """A series no exchange served is asked for again after this, doubling..."""
    history_retry_max_s: float = 1800.0
    """...up to this. A series once served is not asked for again."""
    usdt_as_usd: bool = True
    """Let USDT pairs stand for USD pairs (Binance lists no USD pairs)."""
    fear_greed_every_s: float = 3600.0
    fear_greed_limit: int = 30
    ishares_every_s: float = 6 * 3600.0
    fred_every_s: float = 6 * 3600.0
    timeout_s: float = 15.0
    """Per-phase httpx timeout (connect, read, write, pool)."""
    deadline_s: float = 60.0
    """Total time one request may take, however slowly the bytes trickle in."""
    unknown_retry_s: float = 6 * 3600.0
    """How soon an unknown symbol is asked for again."""
    jitter: float = 0.1
    """Each backoff delay is shortened by a random share of up to this fraction, so clients
    that failed together do not retry in step (:class:`r2kmon.retry.Backoff`)."""
    name: str = "http-sources"
    """The poller's own health record (a summary; each provider has its own)."""


class EndpointLike(Protocol):
    """What :func:`settings_from_endpoints` reads of a ``[providers.<name>]`` table."""

    @property
    def url(self) -> str: ...

    @property
    def enabled(self) -> bool: ...

    @property
    def api_key_env(self) -> str: ...

    @property
    def transport(self) -> str: ...

    @property
    def max_body(self) -> int: ...


def settings_from_endpoints(
    endpoints: Mapping[str, EndpointLike],
    market_symbols: Sequence[str],
    *,
    crypto_symbols: Sequence[str] = (),
    rest_urls: Mapping[str, str] | None = None,
    rest_max_bodies: Mapping[str, int] | None = None,
    **overrides: Any,
) -> PollerSettings:
    """Settings for the runtime: url, ``enabled`` and ``api_key_env`` from the config's
    provider tables, rate budgets and backoffs from :data:`PROVIDERS`.

    ``crypto_symbols`` are the pairs the exchanges stream; ``rest_urls`` maps the exchanges
    they stream from, in priority order, to their REST base URLs: those with REST candles
    (:data:`EXCHANGES`) serve the pairs' history, in that order. ``overrides`` set any
    other :class:`PollerSettings` field. ``rest_max_bodies``: the exchanges' ``max_body``
    (default :data:`~r2kmon.net.limits.DEFAULT_MAX_BODY`). Provider names the poller does
    not know are ignored.
    """
    providers: dict[str, ProviderSettings] = {}
    for name, endpoint in endpoints.items():
        manners = PROVIDERS.get(name)
        if manners is None:
            log.warning("provider %r is not one the HTTP poller knows; ignored", name)
            continue
        providers[name] = dataclasses.replace(
            manners,
            url=endpoint.url,
            enabled=endpoint.enabled,
            api_key_env=endpoint.api_key_env,
            transport=endpoint.transport,
            max_body=endpoint.max_body,
        )
    history: list[str] = []
    for exchange, url in (rest_urls or {}).items():
        manners = EXCHANGES.get(exchange)
        if manners is not None and url:  # OKX and Bybit: live prices only
            cap = (rest_max_bodies or {}).get(exchange, DEFAULT_MAX_BODY)
            providers[exchange] = dataclasses.replace(manners, url=url, max_body=cap)
            history.append(exchange)
    values: dict[str, Any] = {
        "providers": MappingProxyType(providers),
        "market_symbols": tuple(market_symbols),
        "crypto_symbols": tuple(crypto_symbols),
        "history_exchanges": tuple(history),
    }
    values.update(overrides)
    return PollerSettings(**values)
