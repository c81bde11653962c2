"""Live crypto prices from exchange websockets: adapters, one connection manager, failover.

Used by the runtime (which builds :class:`~r2kmon.feeds.connection.FeedSettings` from the
config and runs a :class:`~r2kmon.feeds.failover.FailoverFeeds`) and by the benchmark.
Nothing here imports the hub or the UI: producers push into a :class:`~r2kmon.model.Sink`.

``ADAPTERS`` maps the config's exchange key to its adapter class.

Modules, by what a reader looks for::

    base.py        the adapter contract, Parsed frames, FeedError, shared number/time parsing
    symbols.py     BTC-USD ⇄ btcusdt / BTCUSDT / BTC/USD / BTC-USDT, usdt_as_usd
    binance.py coinbase.py kraken.py okx.py bybit.py     one pure adapter per exchange
    connection.py  FeedSettings + FeedConnection: the one reconnect loop (websockets' own,
                   r2kmon.retry.Backoff as its delays), what is retried and when
    session.py     one open websocket: read and parse, paced subscriptions, keepalive,
                   the stall watchdog
    feedstate.py   each link's state, the health record, one log line per change
    failover.py    FailoverFeeds: per-symbol routing over a priority list of exchanges
    breadth.py     all-market breadth from Binance's !miniTicker@arr
    producers.py   crypto_producers(): all of the above from plain config values
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
