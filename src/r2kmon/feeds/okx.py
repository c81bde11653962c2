"""OKX v5 public websocket (``wss://ws.okx.com:8443/ws/v5/public``).

Used by :mod:`r2kmon.feeds.connection` through the adapter registry.

Wire rules that shape this module (``fixtures/exchanges/README.md`` §4a):

* keepalive is the **text** frame ``ping`` answered by the text frame ``pong`` (not JSON),
  and OKX cuts a connection after 30 s without traffic, so we ping after 20 idle seconds;
* one ack or error per subscribed arg; an error leaves the socket open;
* ``{"event":"notice","code":"64008"}`` announces a service-upgrade disconnect: reconnect;
* every value is a string, ``ts`` included (epoch ms).

A tickers frame (recorded 2026-06-14)::

    {"arg":{"channel":"tickers","instId":"BTC-USDT"},"data":[{"instType":"SPOT",
     "instId":"BTC-USDT","last":"64312.9","lastSz":"0.00001408","askPx":"64312.9",
     "askSz":"1.34197806","bidPx":"64312.8","bidSz":"3.32864302","open24h":"63591.6",
     "high24h":"64758.8","low24h":"63493.1","sodUtc0":"64454.4","sodUtc8":"64305.5",
     "volCcy24h":"396271423.832180677","vol24h":"6175.12222953","ts":"1781414919074"}]}

becomes ``Tick("BTC-USD", Decimal("64312.9"), 1781414919.074, "okx", kind="ticker",
ref_price=Decimal("63591.6"))`` with ``usdt_as_usd``.
"""

from __future__ import annotations

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
from r2kmon.model import Tick
from r2kmon.model.endpoints import EXCHANGE_ADDRESSES

# A subscribe request must stay under 64 kB; 100 args is about 5 kB.
ARGS_PER_MESSAGE = 100
_MISSING_INST = re.compile(r"instId:([A-Za-z0-9_-]+)")
_SHUTDOWN_CODES = frozenset({"64008"})


class OkxAdapter(Adapter):
    """OKX: ``tickers`` by default, ``trades`` when ``channel="trade"``."""

    exchange: ClassVar[str] = "okx"
    default_url: ClassVar[str] = EXCHANGE_ADDRESSES["okx"].websocket
    keepalive_interval: ClassVar[float | None] = 20.0
    send_rate: ClassVar[float] = 3.0

    def subscribe_messages(self, symbols: Sequence[str]) -> list[str]:
        channel = "tickers" if self.channel == "ticker" else "trades"
        args = [{"channel": channel, "instId": self.map.exchange(s)} for s in symbols]
        return [
            orjson.dumps({"op": "subscribe", "args": list(batch)}).decode()
            for batch in chunked(args, ARGS_PER_MESSAGE)
        ]

    def keepalive_message(self) -> str | None:
        return "ping"

    def parse(self, frame: str | bytes) -> Parsed:
        # The pong is the bare word, which no JSON decoder accepts.
        if frame == b"pong" or frame == "pong":
            return PONG
        return super().parse(frame)

    def classify(self, message: Any) -> Parsed:
        if not isinstance(message, dict):
            raise FeedError("OKX frame is not an object")
        data = message.get("data")
        if data is not None:
            channel = message["arg"]["channel"]
            if channel == "tickers":
                return Parsed("ticks", [self._ticker(item) for item in data])
            if channel == "trades":
                return Parsed("ticks", [self._trade(item) for item in data])
            return OTHER
        event = message.get("event")
        if event == "subscribe" or event == "unsubscribe":
            return ACK
        if event == "error":
            msg = text(message.get("msg"))
            match = _MISSING_INST.search(msg)
            refused = self.map.readable((match.group(1),)) if match is not None else ()
            return Parsed(
                "error", message=f"OKX error {text(message.get('code'))}: {msg}", symbols=refused
            )
        if event == "notice":
            if message.get("code") in _SHUTDOWN_CODES:
                return Parsed("shutdown", message=f"OKX notice: {text(message.get('msg'))}")
            return OTHER
        if isinstance(event, str) or isinstance(message.get("op"), str):
            return OTHER
        raise FeedError("OKX frame without data or event")

    def _ticker(self, item: dict[str, Any]) -> Tick:
        open24h = item.get("open24h")
        return Tick(
            self.map.canonical(item["instId"]),
            price(item["last"]),
            ms_to_s(item["ts"]),
            self.source,
            "ticker",
            None,
            price(open24h) if open24h else None,
        )

    def _trade(self, item: dict[str, Any]) -> Tick:
        return Tick(
            self.map.canonical(item["instId"]),
            price(item["px"]),
            ms_to_s(item["ts"]),
            self.source,
            "trade",
            quantity(item["sz"]),
        )
