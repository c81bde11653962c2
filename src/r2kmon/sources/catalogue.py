"""The other half of the poller: which series are polled, from which providers in which
order, how often, and where each answer goes.

Used by :class:`~r2kmon.sources.poller.Poller`, which gives it the
:class:`~r2kmon.sources.scheduler.Scheduler` to add its jobs to. A job exists only if one of
its providers is configured and enabled, so a disabled provider costs nothing and shows
nothing in health.

* **Markets** (``[markets] symbols``): daily bars from Yahoo — the whole history once, then
  the last few days — then Twelve Data where its key is set (IWM, SPY; IWM standing in for
  ``^RUT``), then FRED's twin series where one exists (``^GSPC`` is SP500); intraday bars
  and quotes from Yahoo, then Twelve Data, every minute in session and slowly outside it
  (or at the next open, if sooner).
* **FRED series**: the net-liquidity inputs, yields and indices, as context values and
  ``1d`` bars.
* **Crypto context**: market cap and BTC dominance, the top coins and their 90-day
  history, from CoinGecko, then CoinPaprika.
* **Fear & Greed** (alternative.me) and **IWM's shares outstanding** (iShares).
* **Crypto history** (the pairs the exchanges stream): 24 h of 1-minute and years of daily
  candles from the exchanges' REST APIs in the configured order; once a series is served it
  is not asked for again (the live feeds carry it on), what could not be had is asked for
  again after a minute, doubling up to half an hour.

Why over 400 lines: it is the table of every polled series, one short job builder each;
splitting it would scatter the one list a reader comes here for.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from r2kmon.clock import Clock
from r2kmon.model import Bar, Interval, MarketCalendar, MarketState, Sink, Tick
from r2kmon.sources import (
    alternative_me,
    coingecko,
    coinpaprika,
    fred,
    ishares,
    twelvedata,
    yahoo,
)
from r2kmon.sources.base import Endpoint, Fetch, NoData
from r2kmon.sources.crypto_common import Coin, CoinHistory, GlobalMarket, top_coins
from r2kmon.sources.exchange_candles import EXCHANGES, Window, collect, shortfall
from r2kmon.sources.jobs import Attempt, Delivered, Job
from r2kmon.sources.scheduler import Scheduler

NOTHING = Delivered()


class Catalogue:
    """Builds the poller's jobs on ``scheduler`` and delivers their answers."""

    def __init__(
        self,
        scheduler: Scheduler,
        clock: Clock,
        hours: Callable[[], MarketCalendar | None],
    ) -> None:
        self._scheduler = scheduler
        self.settings = scheduler.settings
        self._clock = clock
        self._hours = hours
        self._last_tick: dict[str, float] = {}
        self._daily_loaded: set[str] = set()
        self._build()

    # --- cadence --------------------------------------------------------------------

    def _session(self) -> tuple[float, MarketState] | None:
        """Now and the NYSE session then (``None`` without market hours)."""
        hours = self._hours()
        if hours is None:
            return None
        now = self._clock.now()
        return now, hours.state(now)

    def intraday_delay(self) -> float:
        """Seconds until the next intraday poll: short in session, long (or until the
        next open, whichever is sooner) outside it."""
        s, session = self.settings, self._session()
        if session is None or session[1].is_open:
            return s.intraday_open_s
        now, state = session
        if state.next_open is not None:
            return min(s.intraday_closed_s, max(state.next_open - now, s.intraday_open_s))
        return s.intraday_closed_s

    def daily_delay(self) -> float:
        """Seconds until the next daily-bars poll (soon after today's close if open)."""
        s, session = self.settings, self._session()
        if session is None:
            return s.daily_every_s
        now, state = session
        if state.is_open and state.session_close is not None:
            # Fetch the day's final bar soon after the close rather than hours later.
            return min(s.daily_every_s, max(state.session_close - now + 300.0, 60.0))
        return s.daily_every_s

    # --- the jobs -------------------------------------------------------------------

    def _url(self, provider: str) -> str:
        return self.settings.providers[provider].url

    def _api_key(self, provider: str) -> str | None:
        name = self.settings.providers[provider].api_key_env
        return (os.environ.get(name) or None) if name else None

    def _twelvedata(
        self, symbol: str, interval: str = "1d", outputsize: int = 30
    ) -> twelvedata.TimeSeriesEndpoint | None:
        """Twelve Data's request for ``symbol``, or ``None`` when it is not in the chain:
        not configured, no key set, a symbol it does not serve or an interval it lacks."""
        served = twelvedata.SYMBOLS.get(symbol)
        if (
            served is None
            or "twelvedata" not in self.settings.providers
            or interval not in twelvedata.INTERVALS
        ):
            return None
        key = self._api_key("twelvedata")
        if key is None:
            return None
        return twelvedata.TimeSeriesEndpoint(
            served, self._url("twelvedata"), key, interval, outputsize
        )

    def _keyed_hint(self, symbol: str) -> str:
        """How to enable the keyed fallback for ``symbol`` when it could serve it but is
        not in the chain for want of its key; else empty."""
        cfg = self.settings.providers.get(twelvedata.PROVIDER)
        if (
            symbol not in twelvedata.SYMBOLS
            or cfg is None
            or not cfg.enabled
            or not cfg.api_key_env
            or self._api_key(twelvedata.PROVIDER) is not None
        ):
            return ""
        return f"set ${cfg.api_key_env} (a free Twelve Data key) for a fallback"

    def _every(self, seconds: float) -> Callable[[], float]:
        return lambda: seconds

    def _build(self) -> None:
        s, add, enabled = self.settings, self._scheduler.add, self._scheduler.enabled
        for symbol in s.market_symbols:
            keyed = self._twelvedata(symbol) is not None
            fallback = (symbol in s.fred_fallbacks and enabled("fred")) or keyed
            hint = self._keyed_hint(symbol)
            if enabled("yahoo") or fallback:
                add(Job(f"daily:{symbol}", symbol, self._plan_daily(symbol), self.daily_delay,
                        symbol=symbol, hint=hint))  # fmt: skip
            if s.intraday and (enabled("yahoo") or keyed):
                add(Job(f"intraday:{symbol}", f"{symbol} intraday", self._plan_intraday(symbol),
                        self.intraday_delay, symbol=symbol, hint=hint))  # fmt: skip
        if enabled("coingecko", "coinpaprika"):
            add(Job("crypto_global", "crypto market cap", self._plan_global,
                    self._every(s.crypto_global_every_s)))  # fmt: skip
            add(Job("crypto_top", f"top {s.top_coins} coins", self._plan_top,
                    self._every(s.top_coins_every_s)))  # fmt: skip
        if enabled("fred"):
            for series_id in s.fred_series:
                add(Job(f"fred:{series_id}", series_id, self._plan_fred(series_id),
                        self._every(s.fred_every_s)))  # fmt: skip
        if enabled("alternative_me"):
            add(Job("fear_greed", "fear & greed", self._plan_fear_greed,
                    self._every(s.fear_greed_every_s)))  # fmt: skip
        if enabled("ishares"):
            add(Job("iwm_holdings", "IWM shares outstanding", self._plan_ishares,
                    self._every(s.ishares_every_s)))  # fmt: skip
        if enabled(*s.history_exchanges):
            for symbol in s.crypto_symbols:
                for interval in s.history_intervals:
                    retry = self._scheduler.backoff(s.history_retry_s, s.history_retry_max_s)
                    add(Job(f"candles:{symbol}:{interval}", f"{symbol} {interval}",
                            self._plan_candles(symbol, interval), self._every(math.inf),
                            symbol=symbol, retry=retry))  # fmt: skip

    def _plan_daily(self, symbol: str) -> Callable[[], list[Attempt]]:
        def plan() -> list[Attempt]:
            s = self.settings
            first = symbol not in self._daily_loaded
            attempts: list[Attempt] = []
            if "yahoo" in s.providers:
                chart = yahoo.ChartEndpoint(
                    symbol,
                    self._url("yahoo"),
                    range=s.daily_range_first if first else s.daily_range_refresh,
                    interval="1d",
                )
                attempts.append(Attempt.of(chart, lambda c: self._deliver_daily(symbol, c)))
            keyed = self._twelvedata(symbol, "1d", 5000 if first else 10)
            if keyed is not None:
                attempts.append(Attempt.of(keyed, lambda t: self._deliver_keyed(symbol, t)))
            series_id = s.fred_fallbacks.get(symbol)
            if series_id is not None and "fred" in s.providers:
                start = self._today() - timedelta(days=s.fred_history_days if first else 30)
                endpoint = fred.FredGraphEndpoint(series_id, self._url("fred"), start)
                attempts.append(
                    Attempt.of(endpoint, lambda series: self._deliver_fred_close(symbol, series))
                )
            return attempts

        return plan

    def _plan_intraday(self, symbol: str) -> Callable[[], list[Attempt]]:
        def plan() -> list[Attempt]:
            interval = self.settings.intraday_interval
            attempts: list[Attempt] = []
            if "yahoo" in self.settings.providers:
                endpoint = yahoo.ChartEndpoint(
                    symbol, self._url("yahoo"), range="1d", interval=interval
                )
                attempts.append(
                    Attempt.of(endpoint, lambda chart: self._deliver_intraday(symbol, chart))
                )
            # A day of minutes in session is 390 bars; the last 60 repair any gap while
            # costing one credit like any other request.
            keyed = self._twelvedata(symbol, interval, 60)
            if keyed is not None:
                attempts.append(Attempt.of(keyed, lambda t: self._deliver_keyed(symbol, t)))
            return attempts

        return plan

    def _plan_global(self) -> list[Attempt]:
        attempts: list[Attempt] = []
        if "coingecko" in self.settings.providers:
            endpoint = coingecko.GlobalEndpoint(self._url("coingecko"), self._api_key("coingecko"))
            attempts.append(Attempt.of(endpoint, self._deliver_global))
        if "coinpaprika" in self.settings.providers:
            paprika = coinpaprika.GlobalEndpoint(self._url("coinpaprika"))
            attempts.append(Attempt.of(paprika, self._deliver_global))
        return attempts

    def _plan_top(self) -> list[Attempt]:
        per_page = min(250, self.settings.top_coins * 2)
        attempts: list[Attempt] = []
        if "coingecko" in self.settings.providers:
            markets = coingecko.MarketsEndpoint(
                self._url("coingecko"), per_page, self._api_key("coingecko")
            )
            attempts.append(
                Attempt.of(markets, lambda coins: self._deliver_top(coins, coingecko.PROVIDER))
            )
        if "coinpaprika" in self.settings.providers:
            tickers = coinpaprika.TickersEndpoint(self._url("coinpaprika"))
            attempts.append(
                Attempt.of(tickers, lambda coins: self._deliver_top(coins, coinpaprika.PROVIDER))
            )
        return attempts

    def _plan_history(self, coin_id: str, symbol: str, source: str) -> Callable[[], list[Attempt]]:
        def plan() -> list[Attempt]:
            days = self.settings.coin_history_days
            # Coin ids differ between providers, so a history comes from the provider
            # that produced the top-coins list; no cross-provider fallback here.
            endpoint: Endpoint[CoinHistory]
            if source == coingecko.PROVIDER:
                endpoint = coingecko.MarketChartEndpoint(
                    coin_id, symbol, self._url(source), days + 1, self._api_key(source)
                )
            else:
                start = self._today() - timedelta(days=days + 1)
                endpoint = coinpaprika.HistoricalEndpoint(coin_id, symbol, self._url(source), start)
            return [Attempt.of(endpoint, self._deliver_history)]

        return plan

    def _plan_fred(self, series_id: str) -> Callable[[], list[Attempt]]:
        def plan() -> list[Attempt]:
            start = self._today() - timedelta(days=self.settings.fred_history_days)
            endpoint = fred.FredGraphEndpoint(series_id, self._url("fred"), start)
            return [Attempt.of(endpoint, self._deliver_fred_series)]

        return plan

    def _plan_fear_greed(self) -> list[Attempt]:
        endpoint = alternative_me.FearGreedEndpoint(
            self._url("alternative_me"), self.settings.fear_greed_limit
        )
        return [Attempt.of(endpoint, self._deliver_fear_greed)]

    def _plan_ishares(self) -> list[Attempt]:
        endpoint = ishares.HoldingsEndpoint(self._url("ishares"))
        return [Attempt.of(endpoint, self._deliver_holdings)]

    def _plan_candles(self, symbol: str, interval: Interval) -> Callable[[], list[Attempt]]:
        def plan() -> list[Attempt]:
            s = self.settings
            now = self._clock.now()
            hours = s.history_minute_hours if interval == "1m" else s.history_daily_days * 24
            window = Window(symbol, interval, now - hours * 3600.0, now)
            return [
                self._candles(exchange, window)
                for exchange in s.history_exchanges
                if exchange in s.providers
            ]

        return plan

    def _candles(self, exchange: str, window: Window) -> Attempt:
        first = EXCHANGES[exchange](window, self._url(exchange), self.settings.usdt_as_usd)

        async def get(fetch: Fetch) -> list[Bar]:
            bars = await collect(first, fetch)
            if not bars:
                raise NoData(exchange, f"no candles for {window.symbol} {window.interval}")
            return bars

        def deliver(bars: list[Bar]) -> Delivered:
            self._sink().push_bars(window.symbol, window.interval, bars, exchange)
            short = shortfall(exchange, bars, window)
            return Delivered(note=f"{exchange}: {short}" if short else None)

        return Attempt(exchange, get, deliver)

    def _today(self) -> date:
        return datetime.fromtimestamp(self._clock.now(), timezone.utc).date()

    # --- delivering -----------------------------------------------------------------

    def _sink(self) -> Sink:
        return self._scheduler.sink_or_fail()

    def _push_tick(self, tick: Tick | None) -> None:
        # Only ever forward in time: a fallback's older close must not replace a newer
        # quote the hub already has from the primary.
        if tick is None or tick.ts <= self._last_tick.get(tick.symbol, float("-inf")):
            return
        self._last_tick[tick.symbol] = tick.ts
        self._sink().push_ticks([tick])

    def _deliver_daily(self, symbol: str, chart: yahoo.Chart) -> Delivered:
        self._daily_loaded.add(symbol)
        self._sink().push_bars(symbol, "1d", chart.bars, yahoo.PROVIDER)
        self._push_tick(chart.tick)
        return NOTHING

    def _deliver_intraday(self, symbol: str, chart: yahoo.Chart) -> Delivered:
        if chart.interval == "1m":
            self._sink().push_bars(symbol, "1m", chart.bars, yahoo.PROVIDER)
        self._push_tick(chart.tick)
        return NOTHING

    def _deliver_keyed(self, symbol: str, series: twelvedata.Series) -> Delivered:
        """Twelve Data's bars and quote, on the row of the instrument it really served.

        IWM standing in for ``^RUT`` goes to IWM's row, not into ``^RUT``'s series: IWM
        trades at about a tenth of the index, and one series mixing both levels would
        break every chart and signal built on it. The note labels the stand-in.
        """
        sink = self._sink()
        if series.interval == "1d":
            sink.push_bars(series.symbol, "1d", series.bars, twelvedata.PROVIDER)
            if series.symbol == symbol:
                self._daily_loaded.add(symbol)
        elif series.interval == "1m":  # the hub keeps 1-minute and daily bars only
            sink.push_bars(series.symbol, "1m", series.bars, twelvedata.PROVIDER)
        self._push_tick(series.tick)
        proxy = twelvedata.stand_in(symbol)
        if proxy is None:
            return NOTHING
        return Delivered(note=f"{proxy} stands in for {symbol} (served by twelvedata)")

    def _deliver_fred_close(self, symbol: str, series: fred.Series) -> Delivered:
        bars = series.bars()
        self._sink().push_bars(symbol, "1d", bars, fred.PROVIDER)
        if bars:
            ref = Decimal(str(bars[-2].close)) if len(bars) >= 2 else None
            # ts: the observation date at 00:00 UTC, earlier than the real close, so the
            # quote can only look older than it is.
            price = Decimal(str(bars[-1].close))
            self._push_tick(
                Tick(symbol, price, bars[-1].start, fred.PROVIDER, kind="bar", ref_price=ref)
            )
        return NOTHING

    def _deliver_fred_series(self, series: fred.Series) -> Delivered:
        sink = self._sink()
        sink.push_bars(series.series_id, "1d", series.bars(), fred.PROVIDER)
        context = series.context()
        if context is None:
            return NOTHING
        sink.push_context(context)
        return Delivered((context,))

    def _deliver_global(self, market: GlobalMarket) -> Delivered:
        values = market.context()
        for value in values:
            self._sink().push_context(value)
        return Delivered(values)

    def _deliver_top(self, coins: list[Coin], source: str) -> Delivered:
        wanted: set[str] = set()
        for coin in top_coins(coins, self.settings.top_coins):
            key = f"history:{source}:{coin.id}"
            wanted.add(key)
            if key not in self._scheduler.jobs:
                every = self._every(self.settings.coin_history_every_s)
                plan = self._plan_history(coin.id, coin.symbol, source)
                self._scheduler.add(Job(key, f"{coin.symbol} history", plan, every, first=False))
        for key in [k for k in self._scheduler.jobs if k.startswith("history:")]:
            if key not in wanted:
                self._scheduler.remove(key)
        return NOTHING

    def _deliver_history(self, history: CoinHistory) -> Delivered:
        symbol = f"{history.symbol}-USD"
        if symbol not in self.settings.crypto_symbols:
            self._sink().push_bars(symbol, "1d", history.bars(), history.source)
        return NOTHING

    def _deliver_fear_greed(self, reading: alternative_me.FearGreed) -> Delivered:
        context = reading.context()
        if context is None:
            return NOTHING
        self._sink().push_context(context)
        return Delivered((context,))

    def _deliver_holdings(self, holdings: ishares.FundHoldings) -> Delivered:
        context = holdings.context()
        self._sink().push_context(context)
        return Delivered((context,))
