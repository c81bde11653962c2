"""Kraken spot websocket v2 (``wss://ws.kraken.com/v2``).

Used by :mod:`r2kmon.feeds.connection` through the adapter registry.

Wire rules that shape this module (``fixtures/exchanges/README.md`` §3):

* numbers are **JSON numbers** with meaningful trailing zeros (``329.06250000``), so frames
  are decoded with ``json.loads(parse_float=...)`` into Decimals (orjson would round them
  to floats), each number's text held to the number rule of :mod:`r2kmon.feeds.base`;
* v2 names are ``BTC/USD``; the v1/REST name ``XBT/USD`` is refused per symbol;
* acks and errors come one per symbol; an error names its ``symbol``;
* the server sends ``{"channel":"heartbeat"}`` about once a second when idle, and wants an
  application ``{"method":"ping"}`` more often than once a minute;
* the ticker has no 24 h open, but has ``change`` (last minus the price 24 h ago), so the
  reference price is ``last - change``, exact in :class:`~decimal.Decimal`.

A ticker snapshot (recorded 2026-10-03)::

    {"channel":"ticker","type":"snapshot","data":[{"symbol":"ALGO/USD","bid":0.13099,
     "bid_qty":329.06250000,"ask":0.13108,"ask_qty":1771.75027615,"last":0.13110,
     "volume":9095630.20903971,"vwap":0.12882,"low":0.12437,"high":0.13306,
     "change":0.00654,"change_pct":5.25,"trades":4606,
     "timestamp":"2026-10-03T20:58:33.794283Z"}]}

becomes ``Tick("ALGO-USD", Decimal("0.13110"), 1791061113.794283, "kraken",
kind="ticker", ref_price=Decimal("0.12456"))``.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, ClassVar

from r2kmon.feeds.base import (
    ACK,
    HEARTBEAT,
    OTHER,
    PONG,
    Adapter,
    FeedError,
    Parsed,
    chunked,
    in_range,
    iso_to_s,
    price,
    quantity,
    text,
)
from r2kmon.model import Tick
from r2kmon.model.endpoints import EXCHANGE_ADDRESSES

# Symbols per subscribe request: Kraken documents no cap; 100 keeps frames small.
SYMBOLS_PER_MESSAGE = 100


def _reject_constant(name: str) -> Any:
    # NaN and Infinity are not JSON; Kraken never sends them.
    raise FeedError(f"{name} is not a number Kraken sends")


def _plain_number(text: str) -> Decimal:
    # The number rule of feeds.base on the JSON number's own text: Kraken writes plain
    # decimals (329.06250000), never exponents, and 9e999 would read as a huge Decimal.
    # (A sign is allowed here: ``change`` is negative when the price fell.)
    if "e" in text or "E" in text:
        raise FeedError(f"number {text[:40]!r} is not in plain decimal notation")
    return Decimal(text)


class KrakenAdapter(Adapter):
    """Kraken v2: ``ticker`` by default, ``trade`` when ``channel="trade"``."""

    exchange: ClassVar[str] = "kraken"
    default_url: ClassVar[str] = EXCHANGE_ADDRESSES["kraken"].websocket
    native_usd: ClassVar[bool] = True
    # Kraken closes idle connections after about a minute; ping well before that.
    keepalive_interval: ClassVar[float | None] = 20.0
    send_rate: ClassVar[float] = 5.0

    def __init__(self, symbols: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(symbols, **kwargs)
        self._req_ids = itertools.count(1)

    @staticmethod
    def exchange_name(base: str, quote: str) -> str:
        return f"{base}/{quote}"

    @staticmethod
    def split_exchange_name(name: str) -> tuple[str, str] | None:
        base, sep, quote = name.partition("/")
        return (base, quote) if sep else None

    def subscribe_messages(self, symbols: Sequence[str]) -> list[str]:
        names = [self.map.exchange(s) for s in symbols]
        return [
            json.dumps(
                {
                    "method": "subscribe",
                    "params": {"channel": self.channel, "symbol": list(batch), "snapshot": True},
                    "req_id": next(self._req_ids),
                }
            )
            for batch in chunked(names, SYMBOLS_PER_MESSAGE)
        ]

    def keepalive_message(self) -> str | None:
        return json.dumps({"method": "ping", "req_id": next(self._req_ids)})

    def decode(self, frame: str | bytes) -> Any:
        try:
            return json.loads(frame, parse_float=_plain_number, parse_constant=_reject_constant)
        except FeedError:
            raise
        except (ValueError, RecursionError) as exc:
            # JSONDecodeError and UnicodeDecodeError are both ValueErrors.
            raise FeedError(f"not JSON: {exc}"[:300]) from None

    def classify(self, message: Any) -> Parsed:
        if not isinstance(message, dict):
            # v1 frames are arrays; a v1 url configured by mistake lands here.
            raise FeedError("Kraken v2 frame is not an object")
        channel = message.get("channel")
        if channel == "ticker":
            return Parsed("ticks", [self._ticker(item) for item in message["data"]])
        if channel == "trade":
            return Parsed("ticks", [self._trade(item) for item in message["data"]])
        if channel == "heartbeat":
            return HEARTBEAT
        method = message.get("method")
        if method == "pong":
            return PONG
        if method in ("subscribe", "unsubscribe"):
            success = message.get("success")
            if success is True:
                return ACK
            if success is not False:
                return OTHER
            symbol = message.get("symbol")
            refused = self.map.readable((symbol,)) if isinstance(symbol, str) else ()
            return Parsed(
                "error", message=f"Kraken error: {text(message.get('error'))}", symbols=refused
            )
        # Rate limiting is reported as {"Error": "..."} (third-party report, capital E).
        error = message.get("error", message.get("Error"))
        if error is not None:
            return Parsed("error", message=f"Kraken error: {text(error)}")
        if isinstance(channel, str) or isinstance(method, str):
            return OTHER
        raise FeedError("Kraken frame without channel or method")

    def _ticker(self, item: dict[str, Any]) -> Tick:
        last = price(item["last"])
        change = item.get("change")
        ref = None
        if isinstance(change, (Decimal, int)) and not isinstance(change, bool):
            ref = last - change
            if not in_range(ref):
                ref = None
        return Tick(
            self.map.canonical(item["symbol"]),
            last,
            iso_to_s(item["timestamp"]),
            self.source,
            "ticker",
            None,
            ref,
        )

    def _trade(self, item: dict[str, Any]) -> Tick:
        return Tick(
            self.map.canonical(item["symbol"]),
            price(item["price"]),
            iso_to_s(item["timestamp"]),
            self.source,
            "trade",
            quantity(item["qty"]),
        )
