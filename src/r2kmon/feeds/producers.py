"""Everything the runtime needs to stream crypto, from plain config values, in one call.

Used by the runtime (``build_producers``): it passes the ``[crypto]`` choices and the
``[exchanges.*]`` endpoints as plain values (this package never imports the config) and
runs each returned producer under its supervisor:

* :class:`~r2kmon.feeds.failover.FailoverFeeds`: live ticks for every symbol from the
  best exchange of the priority list (health: one record per exchange + ``crypto-feeds``);
* :class:`~r2kmon.feeds.breadth.BreadthFeed` when ``breadth`` is on and Binance is listed
  (context values ``crypto_breadth_up_pct`` and ``alts_beating_btc_pct``).

The pairs' history (the exchanges' REST candles) is polled over HTTP with the providers:
see :mod:`r2kmon.sources.catalogue`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from r2kmon.clock import Clock, SystemClock
from r2kmon.feeds import ADAPTERS
from r2kmon.feeds.base import Channel
from r2kmon.feeds.breadth import BreadthFeed
from r2kmon.feeds.connection import FeedSettings
from r2kmon.feeds.failover import FailoverFeeds, FailoverSettings, feed_settings
from r2kmon.model import Producer, canonical_crypto
from r2kmon.net import NetworkPolicy


def crypto_producers(
    symbols: Sequence[str],
    exchanges: Sequence[str],
    *,
    urls: Mapping[str, str] | None = None,
    rest_urls: Mapping[str, str] | None = None,
    channel: str = "ticker",
    usdt_as_usd: bool = True,
    breadth: bool = True,
    clock: Clock | None = None,
    failover: FailoverSettings | None = None,
    network: NetworkPolicy | None = None,
    **feed_overrides: Any,
) -> list[Producer]:
    """The producers for ``symbols`` streamed from ``exchanges`` (priority order).

    ``urls``/``rest_urls`` map exchange keys to configured endpoints (empty or missing:
    the exchange's own). ``network`` is the TLS and proxy policy every connection
    follows. ``feed_overrides`` set other :class:`FeedSettings` fields (tests shrink
    timeouts with them). Raises ``ValueError`` for an unknown exchange or channel.
    """
    network = network or NetworkPolicy()
    feed_overrides["network"] = network
    if channel not in ("ticker", "trade"):
        raise ValueError(f'channel must be "ticker" or "trade", not {channel!r}')
    unknown = [e for e in exchanges if e not in ADAPTERS]
    if unknown:
        raise ValueError(f"unknown exchanges {unknown}; known: {', '.join(ADAPTERS)}")
    clock = clock or SystemClock()
    urls = urls or {}
    rest_urls = rest_urls or {}
    canonical = [canonical_crypto(s) for s in symbols]
    producers: list[Producer] = []
    if canonical and exchanges:
        feeds = feed_settings(
            canonical,
            exchanges,
            urls=urls,
            rest_urls=rest_urls,
            channel=cast(Channel, channel),
            usdt_as_usd=usdt_as_usd,
            **feed_overrides,
        )
        producers.append(FailoverFeeds(feeds, failover, clock=clock))
    if breadth and "binance" in exchanges:
        settings = FeedSettings(
            "binance-breadth", "binance", (), url=urls.get("binance", ""), **feed_overrides
        )
        producers.append(BreadthFeed(settings, clock=clock))
    return producers
