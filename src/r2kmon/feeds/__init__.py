"""Live crypto prices from exchange websockets: adapters, one connection manager, failover.

Used by the runtime (which builds :class:`~r2kmon.feeds.connection.FeedSettings` from the
config and runs a :class:`~r2kmon.feeds.failover.FailoverFeeds`) and by the benchmark.
Nothing here imports the hub or the UI: producers push into a :class:`~r2kmon.model.Sink`.

``ADAPTERS`` maps the config's exchange key to its adapter class.
"""

from __future__ import annotations

from r2kmon.feeds.base import Adapter, Channel, FeedError, Parsed
from r2kmon.feeds.binance import BinanceAdapter
from r2kmon.feeds.bybit import BybitAdapter
from r2kmon.feeds.coinbase import CoinbaseAdapter
from r2kmon.feeds.kraken import KrakenAdapter
from r2kmon.feeds.okx import OkxAdapter

ADAPTERS: dict[str, type[Adapter]] = {
    "binance": BinanceAdapter,
    "coinbase": CoinbaseAdapter,
    "kraken": KrakenAdapter,
    "okx": OkxAdapter,
    "bybit": BybitAdapter,
}

__all__ = ["ADAPTERS", "Adapter", "Channel", "FeedError", "Parsed"]
