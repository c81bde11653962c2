"""Bybit v5 spot public websocket (``wss://stream.bybit.com/v5/public/spot``).

Used by :mod:`r2kmon.feeds.connection` through the adapter registry.

Wire rules that shape this module (``fixtures/exchanges/README.md`` §4b):

* spot takes at most **10 args per subscribe request**; with 11 the whole request is
  refused (``args size >10``) and nothing arrives, so requests are chunked by 10;
* one invalid symbol also refuses its **whole request**. Each request carries a ``req_id``
  (echoed in the answer), so when one is refused we know its other symbols and report them
  in :attr:`Parsed.resubscribe`; the connection manager asks for them again;
* keepalive is the JSON ``{"op":"ping"}`` (every 20 s recommended); the spot answer is
  ``{"success":true,"ret_msg":"pong","op":"ping"}``;
* spot ticker ``data`` is an **object** (the docs table says array); trade ``data`` is an
  array; every value is a string, ``ts``/``T`` are int ms. ``prevPrice24h`` is the price
  24 h ago, our reference price.

A ticker frame (recorded 2025-06-06)::

    {"topic":"tickers.BTCUSDT","ts":1749185744881,"type":"snapshot","cs":76067784435,
     "data":{"symbol":"BTCUSDT","lastPrice":"102742.6","highPrice24h":"105920.1",
     "lowPrice24h":"100403.7","prevPrice24h":"105221.8","volume24h":"12061.295487",
     "turnover24h":"1242160016.20538339","price24hPcnt":"-0.0236",
     "usdIndexPrice":"102810.374009"}}

becomes ``Tick("BTC-USD", Decimal("102742.6"), 1749185744.881, "bybit", kind="ticker",
ref_price=Decimal("105221.8"))`` with ``usdt_as_usd``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from typing import Any, ClassVar

import orjson

from r2kmon.feeds.base import (
    ACK,
    OTHER,
    PONG,
    Adapter,
    FeedError,
    Parsed,
    chunked,
    ms_to_s,
    price,
    quantity,
    text,
)
from r2kmon.feeds.symbols import join_concatenated, split_concatenated
from r2kmon.model import Tick
from r2kmon.model.endpoints import EXCHANGE_ADDRESSES

ARGS_PER_REQUEST = 10
"""Bybit spot's hard limit: an 11th arg makes the whole request fail."""

_INVALID = re.compile(r"Invalid symbol\s*:\s*\[([^\]]*)\]")


class BybitAdapter(Adapter):
    """Bybit spot: ``tickers`` by default, ``publicTrade`` when ``channel="trade"``."""

    exchange: ClassVar[str] = "bybit"
    default_url: ClassVar[str] = EXCHANGE_ADDRESSES["bybit"].websocket
    keepalive_interval: ClassVar[float | None] = 20.0
    send_rate: ClassVar[float] = 10.0

    def __init__(self, symbols: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(symbols, **kwargs)
        self._req_ids = itertools.count(1)
        # req_id → the canonical symbols of that request, to recover from a refusal.
        self._requests: dict[str, tuple[str, ...]] = {}

    exchange_name = staticmethod(join_concatenated)
    split_exchange_name = staticmethod(split_concatenated)

    def topic(self, symbol: str) -> str:
        prefix = "tickers." if self.channel == "ticker" else "publicTrade."
        return prefix + self.map.exchange(symbol)

    def subscribe_messages(self, symbols: Sequence[str]) -> list[str]:
        out = []
        for batch in chunked(list(symbols), ARGS_PER_REQUEST):
            req_id = f"sub{next(self._req_ids)}"
            self._requests[req_id] = tuple(batch)
            out.append(
                orjson.dumps(
                    {"req_id": req_id, "op": "subscribe", "args": [self.topic(s) for s in batch]}
                ).decode()
            )
        return out

    def keepalive_message(self) -> str | None:
        return '{"op":"ping"}'

    def classify(self, message: Any) -> Parsed:
        if not isinstance(message, dict):
            raise FeedError("Bybit frame is not an object")
        topic = message.get("topic")
        if topic is not None:
            if topic.startswith("tickers."):
                data = message["data"]
                return Parsed(
                    "ticks",
                    [
                        Tick(
                            self.map.canonical(data["symbol"]),
                            price(data["lastPrice"]),
                            ms_to_s(message["ts"]),
                            self.source,
                            "ticker",
                            None,
                            price(data["prevPrice24h"]) if data.get("prevPrice24h") else None,
                        )
                    ],
                )
            if topic.startswith("publicTrade."):
                return Parsed(
                    "ticks",
                    [
                        Tick(
                            self.map.canonical(item["s"]),
                            price(item["p"]),
                            ms_to_s(item["T"]),
                            self.source,
                            "trade",
                            quantity(item["v"]),
                        )
                        for item in message["data"]
                    ],
                )
            return OTHER
        op = message.get("op")
        if op == "pong" or (op == "ping" and message.get("ret_msg") == "pong"):
            return PONG
        if op == "subscribe" or op == "unsubscribe":
            success = message.get("success")
            if success is True:
                return ACK
            if success is False:
                return self._refusal(message)
            return OTHER
        if isinstance(op, str):
            return OTHER
        raise FeedError("Bybit frame without topic or op")

    def _refusal(self, message: dict[str, Any]) -> Parsed:
        reason = text(message.get("ret_msg"))
        match = _INVALID.search(reason)
        topics = match.group(1).split(",") if match is not None else []
        refused = self.map.readable(topic.strip().rpartition(".")[2] for topic in topics)
        request = self._requests.pop(text(message.get("req_id")), ())
        # The rest of a refused request is innocent; ask for it again (only when we
        # know which symbol was at fault, or the same request would fail again).
        retry = tuple(s for s in request if s not in refused) if refused else ()
        return Parsed(
            "error",
            message=f"Bybit refused a subscription: {reason}",
            symbols=refused,
            resubscribe=retry,
        )
