"""Coinbase Exchange public ws-feed (``wss://ws-feed.exchange.coinbase.com``).

Used by :mod:`r2kmon.feeds.connection` through the adapter registry. No authentication:
the ``ticker``, ``matches`` and ``heartbeat`` channels are public.

Wire rules that shape this module (``fixtures/exchanges/README.md`` §2a):

* the server disconnects a client that has not subscribed within 5 s, so the subscribe
  frames are the first thing the connection manager sends;
* one bad product makes the server answer ``Failed to subscribe`` to the whole request,
  so every product gets its own subscribe message and a delisted one costs only itself;
* the opt-in ``heartbeat`` channel sends one message per product per second, which tells
  a quiet product (no trades) from a dead subscription; we always subscribe it;
* ``ticker.side`` is the taker side, ``match.side`` the maker side (not used here);
* prices are strings, ``time`` is RFC 3339 with microseconds.

A ticker frame (recorded 2025-06-06)::

    {"type":"ticker","sequence":106614625991,"product_id":"BTC-USD","price":"102861.5",
     "open_24h":"104700.88","volume_24h":"11263.64960739","low_24h":"100345.73",
     "high_24h":"105999.68","volume_30d":"211070.41456874","best_bid":"102861.49",
     "best_bid_size":"0.05883958","best_ask":"102861.50","best_ask_size":"0.15161616",
     "side":"buy","time":"2025-06-06T05:00:31.886136Z","trade_id":834270521,
     "last_size":"0.00481191"}

becomes ``Tick("BTC-USD", Decimal("102861.5"), 1749186031.886136, "coinbase",
kind="ticker", ref_price=Decimal("104700.88"))``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, ClassVar

import orjson

from r2kmon.feeds.base import (
    ACK,
    OTHER,
    Adapter,
    FeedError,
    Parsed,
    iso_to_s,
    price,
    quantity,
    text,
)
from r2kmon.model import Tick
from r2kmon.model.endpoints import EXCHANGE_ADDRESSES

# "XXX is not a valid product", "ERN-USDT is delisted": the refused product comes first.
_REFUSED_PRODUCT = re.compile(r"^(\S+) is (?:not a valid product|delisted)")


class CoinbaseAdapter(Adapter):
    """Coinbase Exchange: ``ticker`` by default, ``matches`` when ``channel="trade"``."""

    exchange: ClassVar[str] = "coinbase"
    default_url: ClassVar[str] = EXCHANGE_ADDRESSES["coinbase"].websocket
    native_usd: ClassVar[bool] = True
    keepalive_interval: ClassVar[float | None] = None
    # 100 client messages/s per IP are allowed; one subscribe per product stays far below.
    send_rate: ClassVar[float] = 20.0

    def subscribe_messages(self, symbols: Sequence[str]) -> list[str]:
        channel = "ticker" if self.channel == "ticker" else "matches"
        return [
            orjson.dumps(
                {
                    "type": "subscribe",
                    "product_ids": [self.map.exchange(symbol)],
                    "channels": [channel, "heartbeat"],
                }
            ).decode()
            for symbol in symbols
        ]

    def classify(self, message: Any) -> Parsed:
        if not isinstance(message, dict):
            raise FeedError("Coinbase frame is not an object")
        kind = message.get("type")
        if kind == "ticker":
            return Parsed(
                "ticks",
                [
                    Tick(
                        self.map.canonical(message["product_id"]),
                        price(message["price"]),
                        iso_to_s(message["time"]),
                        self.source,
                        "ticker",
                        None,
                        price(message["open_24h"]) if "open_24h" in message else None,
                    )
                ],
            )
        if kind == "match" or kind == "last_match":
            return Parsed(
                "ticks",
                [
                    Tick(
                        self.map.canonical(message["product_id"]),
                        price(message["price"]),
                        iso_to_s(message["time"]),
                        self.source,
                        "trade",
                        quantity(message["size"]),
                    )
                ],
            )
        if kind == "heartbeat":
            return Parsed("heartbeat", symbols=(self.map.canonical(message["product_id"]),))
        if kind == "subscriptions":
            return ACK
        if kind == "error":
            reason = text(message.get("reason"))
            match = _REFUSED_PRODUCT.match(reason)
            refused = self.map.readable((match.group(1),)) if match is not None else ()
            detail = f"{text(message.get('message'))}: {reason}" if reason else ""
            return Parsed(
                "error",
                message=f"Coinbase error: {detail or text(message.get('message'))}",
                symbols=refused,
            )
        if isinstance(kind, str):
            return OTHER
        raise FeedError("Coinbase frame without a type")
