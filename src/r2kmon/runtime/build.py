"""The engine's build phase: which producers the config asks for (the feeds and the one
poller, or the demo's simulations), and the symbols and market calendar they share."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING

from r2kmon.clock import Clock
from r2kmon.config import DEFAULT_EXCHANGES, Config
from r2kmon.model import Producer, canonical_crypto, canonical_market

if TYPE_CHECKING:
    # Imported where they are built: the UI opens the stored history (which needs
    # :func:`configured_symbols`) before httpx and the feeds are loaded.
    import httpx

    from r2kmon.analytics.market_hours import MarketHours


def configured_symbols(config: Config) -> list[str]:
    """Every symbol in display order: crypto pairs, then markets."""
    crypto = [canonical_crypto(s) for s in config.crypto.symbols]
    markets = [canonical_market(s) for s in config.markets.symbols]
    return list(dict.fromkeys([*crypto, *markets]))


@cache
def market_hours() -> MarketHours:
    """The NYSE calendar, loaded once per process (it takes most of a second); also the
    poller's calendar loader."""
    from r2kmon.analytics.market_hours import MarketHours

    return MarketHours()


def nyse_is_open(ts: float) -> bool:
    """Whether the New York Stock Exchange is in session at ``ts``."""
    return market_hours().state(ts).is_open


def with_examples(config: Config) -> Config:
    """The demo's config: the sample holdings and alert rules of :mod:`r2kmon.sim.examples`
    where the config has none of its own. Kept in memory, never written anywhere."""
    from dataclasses import replace

    from r2kmon.sim import examples
    from r2kmon.sim.feed import PREFIX

    symbols = configured_symbols(config)
    return replace(
        config,
        holdings=config.holdings or examples.holdings(symbols),
        alerts=config.alerts
        or examples.rules(symbols, [PREFIX + e for e in config.crypto.exchanges]),
    )


def build_producers(
    config: Config,
    *,
    demo: bool,
    clock: Clock,
    is_open: Callable[[float], bool] = nyse_is_open,
    client: httpx.AsyncClient | None = None,
) -> list[Producer]:
    """The producers the config asks for. Demo mode replaces every remote one.

    ``client`` is the one HTTP client the HTTP producers share (built from the config's
    network policy); the runtime creates it and closes it when it stops.
    """
    crypto = [canonical_crypto(s) for s in config.crypto.symbols]
    markets = [canonical_market(s) for s in config.markets.symbols]
    if demo:
        from r2kmon.sim.context import SimContext, SimContextSettings
        from r2kmon.sim.feed import SimFeed, SimFeedSettings
        from r2kmon.sim.market import SimMarkets, SimMarketSettings

        return [
            SimFeed(
                SimFeedSettings(
                    crypto,
                    config.demo.seed,
                    config.demo.ticks_per_s,
                    exchanges=config.crypto.exchanges,
                ),
                clock,
            ),
            SimMarkets(
                SimMarketSettings(markets, config.demo.seed, market_hours=config.demo.market_hours),
                clock,
                is_open,
            ),
            SimContext(SimContextSettings(config.demo.seed), clock),
        ]
    from r2kmon.feeds.producers import crypto_producers
    from r2kmon.sources.poller import Poller, settings_from_endpoints

    exchanges = [e for e in config.crypto.exchanges if config.exchanges[e].enabled]
    # An empty rest_url means the exchange's own (the config's default).
    rest_urls = {
        e: config.exchanges[e].rest_url or DEFAULT_EXCHANGES[e].rest_url for e in exchanges
    }
    producers = crypto_producers(
        crypto,
        exchanges,
        urls={e: config.exchanges[e].url for e in exchanges},
        rest_urls=rest_urls,
        channel=config.crypto.channel,
        usdt_as_usd=config.crypto.usdt_as_usd,
        breadth=config.crypto.breadth,
        clock=clock,
        network=config.network.policy(),
        max_clock_skew=config.crypto.max_clock_skew_s,
    )
    if client is not None:
        # One poller for every HTTP request: the providers, and the pairs' history from the
        # exchanges' REST candles (reported as ``backfill``).
        settings = settings_from_endpoints(
            config.providers,
            markets,
            crypto_symbols=crypto,
            rest_urls=rest_urls,
            rest_max_bodies={e: config.exchanges[e].max_body for e in exchanges},
            usdt_as_usd=config.crypto.usdt_as_usd,
        )
        poller = Poller(
            client, settings, clock=clock, calendar=market_hours, network=config.network.policy()
        )
        if poller.has_jobs:
            producers.append(poller)
    return producers
