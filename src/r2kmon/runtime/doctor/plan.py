"""Which endpoints the config implies: the exchanges the feeds would stream (each with its
REST candles where the app takes history from it) and the providers the poller would ask,
each paired with the real client's check of it; and the configured ones the app would not
use, with why."""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Any, Final, cast

from r2kmon.config import DEFAULT_EXCHANGES, Config
from r2kmon.feeds.base import Channel
from r2kmon.feeds.connection import FeedConnection
from r2kmon.feeds.failover import feed_settings
from r2kmon.model import (
    canonical_crypto,
    canonical_market,
)
from r2kmon.net import NetworkPolicy
from r2kmon.runtime.doctor.check import Check, plain_number
from r2kmon.runtime.doctor.clients import Describe, check_http, check_websocket, rest_result
from r2kmon.sources import (
    alternative_me,
    coingecko,
    coinpaprika,
    fred,
    ishares,
    twelvedata,
    yahoo,
)
from r2kmon.sources.base import Endpoint
from r2kmon.sources.crypto_common import GlobalMarket
from r2kmon.sources.exchange_candles import EXCHANGES, Window
from r2kmon.sources.poller import PollerSettings, settings_from_endpoints

REST_DAYS: Final = 5
"""Days of daily candles asked of an exchange's REST API: one short request."""
FRED_DAYS: Final = 30
"""Days of a FRED series asked for: enough for a weekly series to have a value."""

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
        targets.append(Target(check, partial(check_websocket, check, adapter, feed)))
        if feed.exchange in EXCHANGES:
            rest = config.exchanges[feed.exchange].rest_url
            window = Window(crypto[0], "1d", now - REST_DAYS * 86_400.0, now)
            candles = EXCHANGES[feed.exchange](
                window, rest or DEFAULT_EXCHANGES[feed.exchange].rest_url, feed.usdt_as_usd
            )
            url = str(candles.request().url)
            check = Check(f"{feed.name} rest", "rest", section, url, feed.exchange)
            rest_check = partial(check_http, check, candles, partial(rest_result, check, crypto[0]))
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
        targets.append(Target(check, partial(check_http, check, endpoint, describe)))
    return targets, unused


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
        return f"{symbol} {plain_number(chart.tick.price)}"
    return f"{symbol} {len(chart.bars)} bars" if chart.bars else None


def _twelvedata_result(series: twelvedata.Series) -> str | None:
    tick = series.tick
    return None if tick is None else f"{series.symbol} {plain_number(tick.price)}"


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
