"""The one poller behind every HTTP provider: scheduling, rate budgets, retries, fallbacks.

Used by the runtime, which builds :class:`PollerSettings` from ``[providers.*]`` and
``[markets]`` in the config and runs a :class:`Poller` as a
:class:`~r2kmon.model.Producer`. The poller pushes into a :class:`~r2kmon.model.Sink`
(the hub) and never imports it.

How it behaves, and why:

* **One request at a time.** Jobs run one after another; a job's next run is scheduled
  only when its previous run has finished, so work never piles up behind a slow provider.
* **Per-provider rate budget.** At most one request per ``min_interval_s`` per provider;
  while one provider's budget is spent, due jobs of other providers go first.
* **Failures are classified** (see :mod:`r2kmon.sources.base`): 429, 5xx, timeouts, HTML or
  truncated bodies and error payloads put the *provider* into capped exponential backoff
  with jitter (Yahoo: minutes), never shorter than a ``Retry-After`` the server sent. An
  unknown symbol is the *series'* problem: it is retried slowly and listed in the
  provider's ``silent_symbols``.
* **Fallbacks per series.** A job lists providers in order (``^GSPC``: Yahoo, then FRED's
  SP500; BTC dominance: CoinGecko, then CoinPaprika). The first that answers serves it and
  is named as ``source``. When none can, nothing is invented: the last good values stay
  with their real ``as_of`` (re-pushed, so a restarted hub still shows them as old) and the
  provider's health says which series are stale and why.
* **Market hours.** Intraday bars are polled every ``intraday_open_s`` while the NYSE is
  open and every ``intraday_closed_s`` (or at the next open, if sooner) otherwise.
* **One shared ``httpx.AsyncClient``** is passed in, built by :func:`new_client` from the
  :class:`~r2kmon.net.NetworkPolicy` (certificates always verified, the proxy the policy
  chooses). Every request carries a timeout, and a total deadline on top.
* **Failures are logged once.** A provider's error is logged when it changes and its
  recovery once; retries in between are counted in its health record, not in the log.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Protocol

import httpx
import pandas as pd

from r2kmon.clock import Clock, SystemClock
from r2kmon.model import ContextValue, HealthStatus, Sink, SourceHealth, Tick
from r2kmon.net import NetworkPolicy, describe_failure
from r2kmon.net.failure import TIMEOUT
from r2kmon.net.http import http_client
from r2kmon.sources import alternative_me, coingecko, coinpaprika, fred, ishares, yahoo
from r2kmon.sources.base import (
    BadBody,
    Endpoint,
    RateLimited,
    SourceError,
    UnknownSymbol,
    Unreachable,
)
from r2kmon.sources.crypto_common import CoinHistory, GlobalMarket, top_coins
from r2kmon.sources.market_hours import MarketHours, MarketState

log = logging.getLogger(__name__)

FrameSink = Callable[[str, pd.DataFrame, str], None]
"""``(name, frame, source)``: where parsed frames go for analytics that need more than bars."""


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


def _default_providers() -> Mapping[str, ProviderSettings]:
    return MappingProxyType(
        {
            # Yahoo blocks by IP and publishes no limit: at most one request every 2 s,
            # and back off in minutes (1 → 2 → 4 → 8 → 15), as its users learned the hard way.
            "yahoo": ProviderSettings(yahoo.DEFAULT_URL, min_interval_s=2.0,
                                      backoff_base_s=60.0, backoff_cap_s=900.0),
            # FRED's CSV has no documented limit; its API allows about 2 requests per second.
            "fred": ProviderSettings(fred.DEFAULT_URL, api_key_env="FRED_API_KEY",
                                     min_interval_s=1.0, backoff_base_s=60.0,
                                     backoff_cap_s=3600.0),
            # CoinGecko keyless: plan for 10 calls a minute.
            "coingecko": ProviderSettings(coingecko.DEFAULT_URL,
                                          api_key_env="COINGECKO_API_KEY", min_interval_s=6.0,
                                          backoff_base_s=30.0, backoff_cap_s=900.0),
            # CoinPaprika free: 10 req/s but only 20,000 calls a month.
            "coinpaprika": ProviderSettings(coinpaprika.DEFAULT_URL, min_interval_s=2.0,
                                            backoff_base_s=30.0, backoff_cap_s=900.0),
            "ishares": ProviderSettings(ishares.DEFAULT_URL, min_interval_s=10.0,
                                        backoff_base_s=300.0, backoff_cap_s=6 * 3600.0),
            "alternative_me": ProviderSettings(alternative_me.DEFAULT_URL, min_interval_s=5.0,
                                               backoff_base_s=60.0, backoff_cap_s=3600.0),
        }
    )  # fmt: skip


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

    providers: Mapping[str, ProviderSettings] = field(default_factory=_default_providers)
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
    coin_bars_skip: Sequence[str] = ()
    """Canonical pairs (``BTC-USD``) whose daily bars come from the exchanges: their
    CoinGecko/CoinPaprika history (one price a day, open = high = low = close) goes only to
    the frames sink, so it never flattens the exchanges' real OHLC bars in the hub."""
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
    """Backoff delays are spread by ±this fraction so clients do not retry in step."""
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


def settings_from_endpoints(
    endpoints: Mapping[str, EndpointLike],
    market_symbols: Sequence[str],
    *,
    crypto_symbols: Sequence[str] = (),
    **overrides: Any,
) -> PollerSettings:
    """Settings for the runtime: url, ``enabled`` and ``api_key_env`` from the config's
    provider tables, rate budgets and backoffs from the built-in defaults.

    ``crypto_symbols`` are the pairs the exchanges stream; their daily bars are left to
    the exchanges (see :attr:`PollerSettings.coin_bars_skip`). ``overrides`` set any other
    :class:`PollerSettings` field. Provider names the poller does not know are ignored.
    """
    defaults = _default_providers()
    providers: dict[str, ProviderSettings] = {}
    for name, base in defaults.items():
        endpoint = endpoints.get(name)
        if endpoint is None:
            providers[name] = base
            continue
        providers[name] = dataclasses.replace(
            base,
            url=endpoint.url or base.url,
            enabled=endpoint.enabled,
            api_key_env=endpoint.api_key_env,
        )
    for name in endpoints:
        if name not in defaults:
            log.warning("provider %r is not one the HTTP poller knows; ignored", name)
    values: dict[str, Any] = {
        "providers": MappingProxyType(providers),
        "market_symbols": tuple(market_symbols),
        "coin_bars_skip": tuple(crypto_symbols),
    }
    values.update(overrides)
    return PollerSettings(**values)


def new_client(
    settings: PollerSettings | None = None, network: NetworkPolicy | None = None
) -> httpx.AsyncClient:
    """The one client the poller should share: the network policy's TLS and proxies, a
    timeout on every phase, redirects followed (iShares and Yahoo move files around; a
    redirect to an HTML page is still caught)."""
    timeout = (settings or PollerSettings()).timeout_s
    return http_client(network or NetworkPolicy(), timeout=timeout, follow_redirects=True)


@dataclass
class _ProviderState:
    name: str
    settings: ProviderSettings
    next_allowed: float = 0.0
    blocked_until: float = 0.0
    failures: int = 0
    attempted: bool = False
    last_ok: float | None = None
    last_error: str | None = None
    fault: str | None = None
    """The network's class of the last failure when the server was not reached at all."""
    logged: str | None = None
    """The error last written to the log (each change is logged once)."""
    retry_at: float | None = None
    unknown: set[str] = field(default_factory=set)
    stale_series: dict[str, str] = field(default_factory=dict)
    """Series this provider is primary for that nobody could serve: label → reason."""


@dataclass
class _Attempt:
    endpoint: Endpoint[Any]
    deliver: Callable[[Any], list[ContextValue]]
    """Pushes the parsed result; returns the context values to re-push if later runs fail."""
    label: str


@dataclass
class _Job:
    key: str
    label: str
    """What the job serves, as shown in health (``^RUT``, ``^RUT intraday``, ``WALCL``)."""
    plan: Callable[[], list[_Attempt]]
    every: Callable[[], float]
    due: float = 0.0
    answered: bool = False
    failures: int = 0
    last_ok: float | None = None
    last_error: str | None = None
    cached_context: list[ContextValue] = field(default_factory=list)
    symbol: str | None = None
    """The symbol an "unknown symbol" answer is about (listed in ``silent_symbols``)."""
    unknown_until: dict[str, float] = field(default_factory=dict)
    """Provider → monotonic time before which it is not asked again for this job's
    symbol, after it said it does not know it (a fallback may still serve the job)."""


class Poller:
    """A :class:`~r2kmon.model.Producer` that polls every configured HTTP provider."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        settings: PollerSettings | None = None,
        *,
        clock: Clock | None = None,
        market_hours: MarketHours | None = None,
        frames: FrameSink | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._client = client
        self.settings = settings or PollerSettings()
        self._clock = clock or SystemClock()
        self._hours = market_hours
        self._frames = frames
        self._rng = rng or random.Random()
        self._sink: Sink | None = None
        self._providers = {
            name: _ProviderState(name, cfg) for name, cfg in self.settings.providers.items()
        }
        self._jobs: dict[str, _Job] = {}
        self._first_jobs: set[str] = set()
        self._last_tick: dict[str, float] = {}
        self._daily_loaded: set[str] = set()
        self._top: pd.DataFrame | None = None
        self._top_source: str | None = None
        self._build_jobs()

    # --- Producer -------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.settings.name

    async def run(self, sink: Sink) -> None:
        """Poll until cancelled."""
        await self._load_calendar()
        self._attach(sink)
        while True:
            ran = await self.run_due()
            if not ran:
                await asyncio.sleep(self._idle_delay())

    async def run_once(self, sink: Sink) -> None:
        """Run every job once now, whatever its schedule (``snapshot``, tests)."""
        await self._load_calendar()
        self._attach(sink)
        for job in list(self._jobs.values()):
            await self._run_job(job)
        self._push_summary()

    def market_state(self) -> MarketState | None:
        """The NYSE session state now, for the header (``None`` without market hours)."""
        hours = self._market_hours()
        return hours.state(self._clock.now()) if hours is not None else None

    # --- scheduling -----------------------------------------------------------------

    def _attach(self, sink: Sink) -> None:
        if self._sink is sink:
            return
        self._sink = sink
        # Only providers some series starts with are "connecting"; a pure fallback gets a
        # health record when it is first needed, not a "connecting" that never ends.
        primaries = {self._primary(job.plan()) for job in self._jobs.values()}
        for state in self._providers.values():
            if state.name in primaries and not state.attempted:
                sink.push_health(SourceHealth(state.name, "source", "connecting"))
        self._push_summary()

    async def run_due(self) -> bool:
        """Run the jobs that are due and whose provider's budget allows it; True if any ran."""
        ran = False
        while True:
            job = self._next_runnable()
            if job is None:
                return ran
            await self._run_job(job)
            ran = True

    def _ready_at(self, job: _Job) -> float:
        """When ``job`` can run: when it is due and its first provider's budget allows it.

        A primary that is backing off does not delay the job: its fallback is tried, or
        the job records the failure and reschedules itself.
        """
        attempts = job.plan()
        first = self._providers.get(attempts[0].endpoint.provider) if attempts else None
        if first is None or first.blocked_until > self._clock.monotonic():
            return job.due
        return max(job.due, first.next_allowed)

    def _next_runnable(self) -> _Job | None:
        mono = self._clock.monotonic()
        ready = [(self._ready_at(job), n, job) for n, job in enumerate(self._jobs.values())]
        runnable = [item for item in ready if item[0] <= mono]
        return min(runnable, key=lambda item: (item[2].due, item[1]))[2] if runnable else None

    def _idle_delay(self) -> float:
        mono = self._clock.monotonic()
        soonest = min((self._ready_at(job) for job in self._jobs.values()), default=mono + 60.0)
        # Never spin, and wake at least once a minute (the market session may change).
        return min(max(soonest - mono, 0.01), 60.0)

    async def _load_calendar(self) -> None:
        # Loading the exchange calendar takes most of a second: never on the event loop.
        if self.settings.market_hours and self._hours is None:
            self._hours = await asyncio.to_thread(MarketHours)

    def _market_hours(self) -> MarketHours | None:
        if not self.settings.market_hours:
            return None
        if self._hours is None:
            self._hours = MarketHours()
        return self._hours

    def intraday_delay(self) -> float:
        """Seconds until the next intraday poll: short in session, long (or until the
        next open, whichever is sooner) outside it."""
        s = self.settings
        hours = self._market_hours()
        if hours is None:
            return s.intraday_open_s
        now = self._clock.now()
        state = hours.state(now)
        if state.is_open:
            return s.intraday_open_s
        if state.next_open is not None:
            return min(s.intraday_closed_s, max(state.next_open - now, s.intraday_open_s))
        return s.intraday_closed_s

    def daily_delay(self) -> float:
        """Seconds until the next daily-bars poll (soon after today's close if open)."""
        s = self.settings
        hours = self._market_hours()
        if hours is None:
            return s.daily_every_s
        now = self._clock.now()
        state = hours.state(now)
        if state.is_open and state.session_close is not None:
            # Fetch the day's final bar soon after the close rather than hours later.
            return min(s.daily_every_s, max(state.session_close - now + 300.0, 60.0))
        return s.daily_every_s

    # --- the jobs -------------------------------------------------------------------

    def _url(self, provider: str, default: str) -> str:
        cfg = self.settings.providers.get(provider)
        return cfg.url if cfg is not None and cfg.url else default

    def _api_key(self, provider: str) -> str | None:
        cfg = self.settings.providers.get(provider)
        if cfg is None or not cfg.api_key_env:
            return None
        return os.environ.get(cfg.api_key_env) or None

    def _add(
        self,
        key: str,
        label: str,
        plan: Callable[[], list[_Attempt]],
        every: Callable[[], float],
        first: bool = True,
        symbol: str | None = None,
    ) -> None:
        job = _Job(key, label, plan, every, due=self._clock.monotonic(), symbol=symbol)
        self._jobs[key] = job
        if first:
            self._first_jobs.add(key)

    def _enabled(self, *providers: str) -> bool:
        cfgs = [self.settings.providers.get(p) for p in providers]
        return any(cfg is not None and cfg.enabled for cfg in cfgs)

    def _build_jobs(self) -> None:
        # A job exists only if one of its providers is configured and enabled, so a
        # disabled provider costs nothing and shows nothing in health.
        s = self.settings
        for symbol in s.market_symbols:
            fallback = symbol in s.fred_fallbacks and self._enabled("fred")
            if self._enabled("yahoo") or fallback:
                self._add(
                    f"daily:{symbol}",
                    symbol,
                    self._plan_daily(symbol),
                    self.daily_delay,
                    symbol=symbol,
                )
            if s.intraday and self._enabled("yahoo"):
                self._add(
                    f"intraday:{symbol}",
                    f"{symbol} intraday",
                    self._plan_intraday(symbol),
                    self.intraday_delay,
                    symbol=symbol,
                )
        if self._enabled("coingecko", "coinpaprika"):
            self._add(
                "crypto_global",
                "crypto market cap",
                self._plan_global,
                lambda: s.crypto_global_every_s,
            )
            self._add(
                "crypto_top",
                f"top {s.top_coins} coins",
                self._plan_top,
                lambda: s.top_coins_every_s,
            )
        if self._enabled("fred"):
            for series_id in s.fred_series:
                self._add(
                    f"fred:{series_id}",
                    series_id,
                    self._plan_fred(series_id),
                    lambda: s.fred_every_s,
                )
        if self._enabled("alternative_me"):
            self._add(
                "fear_greed", "fear & greed", self._plan_fear_greed, lambda: s.fear_greed_every_s
            )
        if self._enabled("ishares"):
            self._add(
                "iwm_holdings",
                "IWM shares outstanding",
                self._plan_ishares,
                lambda: s.ishares_every_s,
            )

    def _plan_daily(self, symbol: str) -> Callable[[], list[_Attempt]]:
        def plan() -> list[_Attempt]:
            s = self.settings
            first = symbol not in self._daily_loaded
            attempts = [
                _Attempt(
                    yahoo.ChartEndpoint(
                        symbol,
                        range=s.daily_range_first if first else s.daily_range_refresh,
                        interval="1d",
                        base_url=self._url("yahoo", yahoo.DEFAULT_URL),
                    ),
                    lambda chart: self._deliver_daily(symbol, chart),
                    symbol,
                )
            ]
            series_id = s.fred_fallbacks.get(symbol)
            if series_id is not None:
                start = self._today() - timedelta(days=s.fred_history_days if first else 30)
                attempts.append(
                    _Attempt(
                        fred.FredGraphEndpoint(
                            series_id, start, self._url("fred", fred.DEFAULT_URL)
                        ),
                        lambda series: self._deliver_fred_close(symbol, series),
                        symbol,
                    )
                )
            return attempts

        return plan

    def _plan_intraday(self, symbol: str) -> Callable[[], list[_Attempt]]:
        def plan() -> list[_Attempt]:
            endpoint = yahoo.ChartEndpoint(
                symbol,
                range="1d",
                interval=self.settings.intraday_interval,
                base_url=self._url("yahoo", yahoo.DEFAULT_URL),
            )
            return [_Attempt(endpoint, lambda chart: self._deliver_intraday(symbol, chart), symbol)]

        return plan

    def _plan_global(self) -> list[_Attempt]:
        return [
            _Attempt(
                coingecko.GlobalEndpoint(
                    self._url("coingecko", coingecko.DEFAULT_URL), self._api_key("coingecko")
                ),
                self._deliver_global,
                "crypto market cap",
            ),
            _Attempt(
                coinpaprika.GlobalEndpoint(self._url("coinpaprika", coinpaprika.DEFAULT_URL)),
                self._deliver_global,
                "crypto market cap",
            ),
        ]

    def _plan_top(self) -> list[_Attempt]:
        per_page = min(250, self.settings.top_coins * 2)
        return [
            _Attempt(
                coingecko.MarketsEndpoint(
                    per_page,
                    self._url("coingecko", coingecko.DEFAULT_URL),
                    self._api_key("coingecko"),
                ),
                lambda frame: self._deliver_top(frame, coingecko.PROVIDER),
                "top coins",
            ),
            _Attempt(
                coinpaprika.TickersEndpoint(self._url("coinpaprika", coinpaprika.DEFAULT_URL)),
                lambda frame: self._deliver_top(frame, coinpaprika.PROVIDER),
                "top coins",
            ),
        ]

    def _plan_history(self, coin_id: str, symbol: str, source: str) -> Callable[[], list[_Attempt]]:
        def plan() -> list[_Attempt]:
            days = self.settings.coin_history_days
            # Coin ids differ between providers, so a history comes from the provider
            # that produced the top-coins list; no cross-provider fallback here.
            endpoint: Endpoint[CoinHistory]
            if source == coingecko.PROVIDER:
                endpoint = coingecko.MarketChartEndpoint(
                    coin_id,
                    symbol,
                    days + 1,
                    self._url("coingecko", coingecko.DEFAULT_URL),
                    self._api_key("coingecko"),
                )
            else:
                endpoint = coinpaprika.HistoricalEndpoint(
                    coin_id,
                    symbol,
                    self._today() - timedelta(days=days + 1),
                    self._url("coinpaprika", coinpaprika.DEFAULT_URL),
                )
            return [_Attempt(endpoint, self._deliver_history, f"{symbol} history")]

        return plan

    def _plan_fred(self, series_id: str) -> Callable[[], list[_Attempt]]:
        def plan() -> list[_Attempt]:
            start = self._today() - timedelta(days=self.settings.fred_history_days)
            endpoint = fred.FredGraphEndpoint(series_id, start, self._url("fred", fred.DEFAULT_URL))
            return [_Attempt(endpoint, self._deliver_fred_series, series_id)]

        return plan

    def _plan_fear_greed(self) -> list[_Attempt]:
        endpoint = alternative_me.FearGreedEndpoint(
            self.settings.fear_greed_limit,
            self._url("alternative_me", alternative_me.DEFAULT_URL),
        )
        return [_Attempt(endpoint, self._deliver_fear_greed, "fear & greed")]

    def _plan_ishares(self) -> list[_Attempt]:
        endpoint = ishares.HoldingsEndpoint(self._url("ishares", ishares.DEFAULT_URL))
        return [_Attempt(endpoint, self._deliver_holdings, "IWM shares outstanding")]

    def _today(self) -> date:
        return datetime.fromtimestamp(self._clock.now(), timezone.utc).date()

    # --- delivering -----------------------------------------------------------------

    def _sink_or_fail(self) -> Sink:
        if self._sink is None:
            raise RuntimeError("Poller used before run() or run_once() attached a sink")
        return self._sink

    def _push_tick(self, tick: Tick | None) -> None:
        # Only ever forward in time: a fallback's older close must not replace a newer
        # quote the hub already has from the primary.
        if tick is None or tick.ts <= self._last_tick.get(tick.symbol, float("-inf")):
            return
        self._last_tick[tick.symbol] = tick.ts
        self._sink_or_fail().push_ticks([tick])

    def _frame(self, name: str, frame: pd.DataFrame, source: str) -> None:
        if self._frames is not None:
            self._frames(name, frame, source)

    def _deliver_daily(self, symbol: str, chart: yahoo.Chart) -> list[ContextValue]:
        sink = self._sink_or_fail()
        self._daily_loaded.add(symbol)
        sink.push_bars(symbol, "1d", chart.bars, yahoo.PROVIDER)
        self._push_tick(chart.tick)
        self._frame(f"daily:{symbol}", chart.frame, yahoo.PROVIDER)
        return []

    def _deliver_intraday(self, symbol: str, chart: yahoo.Chart) -> list[ContextValue]:
        if chart.interval == "1m":
            self._sink_or_fail().push_bars(symbol, "1m", chart.bars, yahoo.PROVIDER)
        self._push_tick(chart.tick)
        return []

    def _deliver_fred_close(self, symbol: str, series: fred.Series) -> list[ContextValue]:
        sink = self._sink_or_fail()
        sink.push_bars(symbol, "1d", series.bars(), fred.PROVIDER)
        values = series.frame["value"].dropna()
        if not values.empty:
            when = values.index[-1]
            assert isinstance(when, pd.Timestamp)  # DatetimeIndex by construction
            ref = Decimal(str(float(values.iloc[-2]))) if len(values) >= 2 else None
            # ts: the observation date at 00:00 UTC, earlier than the real close, so the
            # quote can only look older than it is.
            self._push_tick(
                Tick(
                    symbol,
                    Decimal(str(float(values.iloc[-1]))),
                    when.timestamp(),
                    fred.PROVIDER,
                    kind="bar",
                    ref_price=ref,
                )
            )
        return []

    def _deliver_fred_series(self, series: fred.Series) -> list[ContextValue]:
        sink = self._sink_or_fail()
        sink.push_bars(series.series_id, "1d", series.bars(), fred.PROVIDER)
        self._frame(f"fred:{series.series_id}", series.frame, fred.PROVIDER)
        context = series.context()
        if context is None:
            return []
        sink.push_context(context)
        return [context]

    def _deliver_global(self, market: GlobalMarket) -> list[ContextValue]:
        sink = self._sink_or_fail()
        values = market.context()
        for value in values:
            sink.push_context(value)
        return values

    def _deliver_top(self, frame: pd.DataFrame, source: str) -> list[ContextValue]:
        top = top_coins(frame, self.settings.top_coins)
        self._top, self._top_source = top, source
        self._frame("crypto_top", top, source)
        wanted: set[str] = set()
        for coin_id, symbol in zip(top["id"], top["symbol"], strict=True):
            key = f"history:{source}:{coin_id}"
            wanted.add(key)
            if key not in self._jobs:
                self._add(
                    key,
                    f"{symbol} history",
                    self._plan_history(str(coin_id), str(symbol), source),
                    lambda: self.settings.coin_history_every_s,
                    first=False,
                )
        for key in [k for k in self._jobs if k.startswith("history:") and k not in wanted]:
            del self._jobs[key]
        return []

    def _deliver_history(self, history: CoinHistory) -> list[ContextValue]:
        symbol = f"{history.symbol}-USD"
        if symbol not in self.settings.coin_bars_skip:
            self._sink_or_fail().push_bars(symbol, "1d", history.bars(), history.source)
        self._frame(f"coin_history:{history.symbol}", history.frame, history.source)
        return []

    def _deliver_fear_greed(self, reading: alternative_me.FearGreed) -> list[ContextValue]:
        self._frame("fear_greed", reading.frame, alternative_me.PROVIDER)
        context = reading.context()
        if context is None:
            return []
        self._sink_or_fail().push_context(context)
        return [context]

    def _deliver_holdings(self, holdings: ishares.FundHoldings) -> list[ContextValue]:
        self._frame("iwm_holdings", holdings.holdings, ishares.PROVIDER)
        context = holdings.context()
        self._sink_or_fail().push_context(context)
        return [context]

    # --- running one job ------------------------------------------------------------

    def _primary(self, attempts: Sequence[_Attempt]) -> str | None:
        """The provider whose health speaks for a series: the first enabled one."""
        enabled = (a.endpoint.provider for a in attempts if self._enabled(a.endpoint.provider))
        return next(enabled, None)

    async def _run_job(self, job: _Job) -> None:
        attempts = job.plan()
        reasons: list[str] = []
        retry_in: list[float] = []
        primary = self._primary(attempts)
        for attempt in attempts:
            provider = attempt.endpoint.provider
            state = self._providers.get(provider)
            if state is None or not state.settings.enabled:
                continue
            mono = self._clock.monotonic()
            if job.unknown_until.get(provider, 0.0) > mono:
                reasons.append(f"{provider} does not know {job.symbol or job.label}")
                retry_in.append(job.unknown_until[provider] - mono)
                continue
            if state.blocked_until > mono:
                reasons.append(f"{provider} backing off after {state.last_error}")
                retry_in.append(state.blocked_until - mono)
                continue
            try:
                result = await self._fetch(attempt.endpoint, state)
            except UnknownSymbol as exc:
                state.attempted = True
                state.unknown.add(job.symbol or job.label)
                job.unknown_until[provider] = (
                    self._clock.monotonic() + self.settings.unknown_retry_s
                )
                reasons.append(f"{provider} {exc.kind}: {exc.message}")
                retry_in.append(self.settings.unknown_retry_s)
                self._push_provider(state)
                continue
            except SourceError as exc:
                self._provider_failed(state, exc)
                reasons.append(f"{provider} {exc.kind}: {exc.message}")
                retry_in.append(state.blocked_until - self._clock.monotonic())
                continue
            job.cached_context = attempt.deliver(result) or job.cached_context
            job.unknown_until.pop(provider, None)
            state.unknown.discard(job.symbol or job.label)
            self._provider_ok(state)
            if primary is not None and primary in self._providers:
                self._providers[primary].stale_series.pop(job.label, None)
                self._push_provider(self._providers[primary])
            job.failures = 0
            job.last_ok = self._clock.now()
            job.last_error = None
            self._finish(job, job.every())
            return
        chain = sum(1 for a in attempts if self._enabled(a.endpoint.provider))
        self._job_failed(job, primary, chain, reasons, retry_in)

    def _job_failed(
        self,
        job: _Job,
        primary: str | None,
        chain: int,
        reasons: list[str],
        retry_in: list[float],
    ) -> None:
        job.failures += 1
        job.last_error = "; ".join(reasons) or "no provider configured"
        if job.failures == 1:
            # Once, when the series starts failing (each provider's own failure is logged
            # when it changes); the retries are counted in health, not written here.
            log.info("%s: no provider could serve it: %s", job.label, job.last_error)
        sink = self._sink_or_fail()
        for value in job.cached_context:
            # The last good values, with their real as_of: shown as old, never as fresh.
            sink.push_context(value)
        if primary is not None and primary in self._providers:
            state = self._providers[primary]
            if (job.symbol or job.label) not in state.unknown:
                why = "no fallback" if chain < 2 else "fallbacks failed too"
                state.stale_series[job.label] = f"{why}; {reasons[0]}" if reasons else why
            self._push_provider(state)
        # The soonest a provider in the chain may be asked again (its backoff, or the slow
        # retry of an unknown symbol); with nothing to wait for, the normal schedule.
        positive = [r for r in retry_in if r > 0]
        self._finish(job, min(positive, default=job.every()))

    def _finish(self, job: _Job, delay: float) -> None:
        job.answered = True
        job.due = self._clock.monotonic() + max(delay, 0.0)
        self._push_summary()

    async def _fetch(self, endpoint: Endpoint[Any], state: _ProviderState) -> Any:
        wait = state.next_allowed - self._clock.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        request = endpoint.request()
        s = self.settings
        request.extensions["timeout"] = httpx.Timeout(s.timeout_s).as_dict()
        provider = endpoint.provider
        try:
            response = await asyncio.wait_for(self._client.send(request), s.deadline_s)
        except httpx.TimeoutException as exc:
            raise Unreachable(provider, f"no answer within {s.timeout_s:g} s", TIMEOUT) from exc
        except asyncio.TimeoutError as exc:
            raise Unreachable(provider, f"answer not complete within {s.deadline_s:g} s") from exc
        except httpx.DecodingError as exc:
            raise BadBody(provider, f"undecodable body: {exc}") from exc
        except httpx.TransportError as exc:
            failure = describe_failure(
                exc, str(request.url), connecting=isinstance(exc, httpx.ConnectError)
            )
            raise Unreachable(provider, failure.reason, failure.fault) from exc
        finally:
            state.next_allowed = self._clock.monotonic() + state.settings.min_interval_s
        try:
            # Parsing builds pandas frames: off the event loop, so feeds keep their pings.
            return await asyncio.to_thread(endpoint.parse, response)
        except SourceError:
            raise
        except (ValueError, TypeError, KeyError, IndexError) as exc:
            # Remote data shaped in a way the parser did not foresee: a bad body, logged
            # with its traceback so the parser can be fixed, not a crash of every provider.
            log.exception("%s: could not parse %s", provider, request.url)
            raise BadBody(provider, f"unreadable answer: {type(exc).__name__}: {exc}") from exc

    # --- health ---------------------------------------------------------------------

    def _provider_ok(self, state: _ProviderState) -> None:
        if state.logged is not None:
            log.info("%s: answering again", state.name)
            state.logged = None
        state.attempted = True
        state.fault = None
        state.failures = 0
        state.blocked_until = 0.0
        state.retry_at = None
        state.last_ok = self._clock.now()
        self._push_provider(state)

    def _provider_failed(self, state: _ProviderState, exc: SourceError) -> None:
        cfg = state.settings
        state.attempted = True
        state.failures += 1
        state.last_error = f"{exc.kind}: {exc.message}"
        state.fault = exc.fault if isinstance(exc, Unreachable) else None
        delay = min(cfg.backoff_cap_s, cfg.backoff_base_s * 2 ** (state.failures - 1))
        delay *= 1.0 + self._rng.uniform(-self.settings.jitter, self.settings.jitter)
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            delay = max(delay, exc.retry_after)
        state.blocked_until = self._clock.monotonic() + delay
        state.retry_at = self._clock.now() + delay
        if state.last_error != state.logged:
            state.logged = state.last_error
            log.warning("%s failed (%s); retrying in %.0f s", state.name, exc, delay)
        self._push_provider(state)

    def _status(self, state: _ProviderState) -> HealthStatus:
        if not state.attempted:
            return "connecting"
        if state.failures == 0 and not state.stale_series:
            # Answering normally (an unknown symbol is an answer too: it is listed in
            # silent_symbols instead).
            return "ok"
        return "stale" if state.last_ok is not None else "down"

    def _push_provider(self, state: _ProviderState) -> None:
        # One sentence a person can act on: the current error, which series are stale
        # because of it (each with its own reason, which outlives a later success of
        # another series), and which symbols the provider does not know.
        parts: list[str] = []
        if state.failures and state.last_error:
            parts.append(state.last_error)
        if state.stale_series:
            stale = ", ".join(f"{k} ({v})" for k, v in sorted(state.stale_series.items()))
            parts.append(f"stale: {stale}")
        if state.unknown:
            parts.append(f"unknown symbol: {', '.join(sorted(state.unknown))}")
        error = " · ".join(parts) or None
        self._sink_or_fail().push_health(
            SourceHealth(
                state.name,
                "source",
                self._status(state),
                last_ok=state.last_ok,
                last_error=error,
                retry_at=state.retry_at,
                silent_symbols=tuple(sorted(state.unknown)),
                fault=state.fault if state.failures else None,
            )
        )

    def _push_summary(self) -> None:
        if self._sink is None:
            return
        first = [self._jobs[k] for k in self._first_jobs if k in self._jobs]
        if not all(job.answered for job in first):
            status: HealthStatus = "connecting"
            error = None
        else:
            failing = sorted(
                p.name for p in self._providers.values() if p.attempted and self._status(p) != "ok"
            )
            ok_any = any(job.last_ok is not None for job in self._jobs.values())
            status = "ok" if not failing else ("stale" if ok_any else "down")
            error = f"failing: {', '.join(failing)}" if failing else None
        last_ok = max((j.last_ok for j in self._jobs.values() if j.last_ok), default=None)
        self._sink.push_health(
            SourceHealth(self.name, "source", status, last_ok, error, summary=True)
        )
