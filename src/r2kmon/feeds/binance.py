"""Binance spot public streams (and Binance.US, which speaks the same protocol on its url).

Used by :mod:`r2kmon.feeds.connection` through the adapter registry in
:mod:`r2kmon.feeds`. We open ``<url>/stream`` (combined format, so every payload arrives
wrapped with its stream name) and send ``SUBSCRIBE``; nothing goes in the URL, so 1,000
symbols do not make a 20 kB request line.

Wire rules that shape this module (``fixtures/exchanges/README.md`` §1):

* stream names are lower case (``btcusdt@miniTicker``), payload symbols upper case;
* at most 1024 streams per connection and 5 client messages per second, pings and pongs
  included, so subscriptions go in batches and at most 4 messages per second;
* keepalive is the server's control-frame ping, answered by ``websockets`` itself; there is
  no JSON ping to send;
* an unknown symbol is acknowledged (``{"result":null}``) and then silent;
* errors arrive wrapped: ``{"error":{"code":2,"msg":"..."},"id":3}``;
* ``serverShutdown`` (and the 24 h close) means: reconnect now.

A combined mini-ticker frame (recorded 2025-06-06)::

    {"stream":"btcusdt@miniTicker","data":{"e":"24hrMiniTicker","E":1749183266025,
     "s":"BTCUSDT","c":"102492.27000000","o":"105121.06000000","h":"105909.71000000",
     "l":"100372.26000000","v":"24032.63625000","q":"2472261593.19821790"}}

becomes ``Tick("BTC-USD", Decimal("102492.27000000"), 1749183266.025, "binance",
kind="ticker", ref_price=Decimal("105121.06000000"))`` with ``usdt_as_usd``.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, ClassVar

import msgspec
import orjson

from r2kmon.feeds.base import (
    ACK,
    MAX_MS,
    MAX_NUMBER,
    MIN_PRICE,
    OTHER,
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

# Streams per SUBSCRIBE message. The docs give no per-message cap, only 1024 per
# connection; 200 keeps each frame a few kB.
STREAMS_PER_MESSAGE = 200

_SHUTDOWN = Parsed("shutdown", message="Binance serverShutdown: reconnect requested")


# --- the typed fast path ------------------------------------------------------------------
# Nearly every frame is a price. msgspec decodes those straight into these structs (the
# payload's "e" picks the type; fields we do not read are skipped, never built), which
# costs a third of orjson → dict → field checks. Anything else (acks, errors, shutdown,
# raw /ws frames, a field of an unexpected shape) fails this decode and takes the general
# path, which gives the same result or the same FeedError. gc=False: these hold only
# strings and ints, so they can never be in a cycle, and the collector need not track the
# two of them made per frame.


class _Trade(msgspec.Struct, tag_field="e", tag="trade", gc=False):
    s: str
    p: str
    q: str
    T: int


class _AggTrade(_Trade, tag="aggTrade"):
    pass


class _MiniTicker(msgspec.Struct, tag_field="e", tag="24hrMiniTicker", gc=False):
    s: str
    c: str
    o: str
    E: int


class _Ticker(_MiniTicker, tag="24hrTicker"):
    pass


class _Combined(msgspec.Struct, gc=False):
    stream: str
    data: _Trade | _AggTrade | _MiniTicker | _Ticker


_decode_combined = msgspec.json.Decoder(_Combined).decode
# Tick's and Parsed's generated ``__new__`` fill defaults in Python; the tuple constructor
# with every field given builds the same object for less than half the cost (a test checks
# that this path and the general one agree).
_new_tuple = tuple.__new__


class BinanceAdapter(Adapter):
    """Binance / Binance.US: ``@miniTicker`` by default, ``@trade`` when ``channel="trade"``."""

    exchange: ClassVar[str] = "binance"
    default_url: ClassVar[str] = EXCHANGE_ADDRESSES["binance"].websocket
    keepalive_interval: ClassVar[float | None] = None
    # 5 messages/s per connection counts our pongs too: stay clearly below it.
    send_rate: ClassVar[float] = 4.0
    max_symbols_per_connection: ClassVar[int] = 1024

    exchange_name = staticmethod(join_concatenated)
    split_exchange_name = staticmethod(split_concatenated)

    def connect_url(self) -> str:
        base = self.url.rstrip("/")
        # A configured url may already name the endpoint (``.../stream`` or ``.../ws``).
        if base.endswith(("/stream", "/ws")):
            return base
        return base + "/stream"

    def stream_name(self, symbol: str) -> str:
        suffix = "@miniTicker" if self.channel == "ticker" else "@trade"
        return self.map.exchange(symbol).lower() + suffix

    def subscribe_messages(self, symbols: Sequence[str]) -> list[str]:
        streams = [self.stream_name(s) for s in symbols]
        return [
            orjson.dumps({"method": "SUBSCRIBE", "params": list(batch), "id": number}).decode()
            for number, batch in enumerate(chunked(streams, STREAMS_PER_MESSAGE), start=1)
        ]

    def parse(self, frame: str | bytes) -> Parsed:
        """A combined price frame through the typed decoder; anything else as usual.

        The fast path takes only what the general path takes the same way: a listed
        symbol, numbers under the number rule of :mod:`r2kmon.feeds.base` (plain ASCII
        digits with at most one point; a price within ``MIN_PRICE``..``MAX_NUMBER``, a size
        at most ``MAX_NUMBER``). Everything else goes to :meth:`Adapter.parse`, which gives
        the answer or the :class:`FeedError`, so the two paths agree on every frame (a
        property test).
        """
        try:
            data = _decode_combined(frame).data
        except msgspec.MsgspecError:
            return super().parse(frame)
        symbol = self.map.reverse.get(data.s)
        if symbol is not None:
            # The rule written out inline (this is the hot path: a call per field costs
            # more than the test); base.plain and base.price say the same.
            kind = type(data)
            if kind is _Trade or kind is _AggTrade:
                value, size = data.p, data.q  # type: ignore[union-attr]
                if (
                    value.isascii()
                    and size.isascii()
                    and value.replace(".", "", 1).isdigit()
                    and size.replace(".", "", 1).isdigit()
                ):
                    number, amount = Decimal(value), Decimal(size)
                    if (
                        MIN_PRICE <= number <= MAX_NUMBER
                        and amount <= MAX_NUMBER
                        and data.T < MAX_MS  # type: ignore[union-attr]
                    ):
                        ts = data.T / 1000.0  # type: ignore[union-attr]
                        tick = _new_tuple(
                            Tick,
                            (symbol, number, ts, self.source, "trade", amount, None, False),
                        )
                        return _new_tuple(Parsed, ("ticks", (tick,), "", (), ()))
            else:
                value, ref = data.c, data.o  # type: ignore[union-attr]
                if (
                    value.isascii()
                    and ref.isascii()
                    and value.replace(".", "", 1).isdigit()
                    and ref.replace(".", "", 1).isdigit()
                ):
                    number, opening = Decimal(value), Decimal(ref)
                    if (
                        MIN_PRICE <= number <= MAX_NUMBER
                        and MIN_PRICE <= opening <= MAX_NUMBER
                        and data.E < MAX_MS  # type: ignore[union-attr]
                    ):
                        ts = data.E / 1000.0  # type: ignore[union-attr]
                        tick = _new_tuple(
                            Tick,
                            (symbol, number, ts, self.source, "ticker", None, opening, False),
                        )
                        return _new_tuple(Parsed, ("ticks", (tick,), "", (), ()))
        # An unlisted symbol, a number outside the rule: the general path decides.
        return super().parse(frame)

    def classify(self, message: Any) -> Parsed:
        if not isinstance(message, dict):
            # ``!miniTicker@arr`` on a raw ``/ws`` connection is a bare list; the breadth
            # module reads it, the price adapter has no use for it. Any other list is no
            # Binance frame: a bad one, counted (never dropped unseen).
            if isinstance(message, list):
                return _ticker_list(message)
            raise FeedError("Binance frame is not an object")
        if "stream" in message and not isinstance(message["stream"], str):
            raise FeedError("Binance combined frame whose stream is not a name")
        data = message.get("data")
        if data is not None and "stream" in message:
            if isinstance(data, list):
                return _ticker_list(data)
            if not isinstance(data, dict):
                raise FeedError("Binance combined frame without an object in data")
            message = data
        event = message.get("e")
        if event == "24hrMiniTicker" or event == "24hrTicker":
            return Parsed(
                "ticks",
                [
                    Tick(
                        self.map.canonical(message["s"]),
                        price(message["c"]),
                        ms_to_s(message["E"]),
                        self.source,
                        "ticker",
                        None,
                        price(message["o"]),
                    )
                ],
            )
        if event == "trade" or event == "aggTrade":
            return Parsed(
                "ticks",
                [
                    Tick(
                        self.map.canonical(message["s"]),
                        price(message["p"]),
                        ms_to_s(message["T"]),
                        self.source,
                        "trade",
                        quantity(message["q"]),
                    )
                ],
            )
        if event == "serverShutdown":
            return _SHUTDOWN
        if event is not None:
            # kline, bookTicker-with-e, depth ...: valid, not prices.
            return OTHER
        if "result" in message and "id" in message:
            return ACK
        error = message.get("error")
        if isinstance(error, dict):
            return Parsed(
                "error", message=f"Binance error {error.get('code')}: {text(error.get('msg'))}"
            )
        return OTHER


_TICKER_EVENTS = frozenset({"24hrMiniTicker", "24hrTicker"})


def _ticker_list(items: list[Any]) -> Parsed:
    """A list frame (``!miniTicker@arr`` / ``!ticker@arr``): not the price adapter's, if
    it is one; anything else in a list (``[]``, numbers, names) is a bad frame."""
    if items and all(isinstance(i, dict) and i.get("e") in _TICKER_EVENTS for i in items):
        return OTHER
    raise FeedError("Binance list frame that is not a list of tickers")
