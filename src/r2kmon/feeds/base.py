"""What every exchange adapter is, and the small helpers they share.

Used by the five adapter modules (``binance``, ``coinbase``, ``kraken``, ``okx``, ``bybit``),
by :mod:`r2kmon.feeds.connection`, which drives any adapter over a websocket, and by the
tests. An adapter is pure: it builds the subscribe frames for a set of canonical symbols and
turns one received frame into a :class:`Parsed` result. It never touches a socket, a clock
or the hub.

Errors::

    FeedError        the frame is not something this exchange sends (bad JSON, wrong
                     shape, a number outside the number rule below). The connection
                     manager counts it as a bad frame, logs it and keeps the connection.
    anything else    a bug in the adapter. The connection manager reports the feed down and
                     stops it, instead of reconnecting forever on the same frame.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, ClassVar, Literal, NamedTuple, TypeVar

import orjson

from r2kmon.feeds.symbols import SymbolMap
from r2kmon.model import Tick, clean_text
from r2kmon.model.numbers import MAX_NUMBER as MAX_NUMBER
from r2kmon.model.numbers import MIN_PRICE as MIN_PRICE
from r2kmon.model.numbers import WireError
from r2kmon.model.numbers import in_range as in_range
from r2kmon.model.numbers import plain as plain
from r2kmon.model.numbers import price as price
from r2kmon.model.numbers import quantity as quantity

T = TypeVar("T")

Channel = Literal["ticker", "trade"]
"""``ticker``: the exchange's 24 h ticker (carries the 24 h open); ``trade``: every trade."""

FrameKind = Literal["ticks", "ack", "error", "heartbeat", "pong", "shutdown", "other"]
"""How the connection manager should treat a frame.

``ticks`` carries prices; ``ack`` confirms a subscription; ``error`` is the exchange
refusing something (the connection stays up); ``heartbeat`` and ``pong`` prove the link is
alive; ``shutdown`` asks the client to reconnect now (Binance ``serverShutdown``, OKX
notice 64008); ``other`` is a valid message we have no use for (status, klines, ...).
"""


FeedError = WireError
"""A frame that does not match the exchange's wire format (the model's
:class:`~r2kmon.model.numbers.WireError`, which the number rule raises too)."""


class Parsed(NamedTuple):
    """One frame, classified.

    A ``NamedTuple``: one is built per received frame, and a tuple is the cheapest
    immutable record (the price fast paths build it with ``tuple.__new__`` and every field
    given, skipping the generated ``__new__`` that fills defaults).

    ``symbols`` are canonical symbols the frame is about when it is not a tick: the
    product of a per-product heartbeat (proof that the subscription is alive) or the
    symbols an ``error`` refuses. ``resubscribe`` lists symbols whose subscribe request was
    refused as a whole because of another symbol in it, so they should be asked for again.
    """

    kind: FrameKind
    ticks: Sequence[Tick] = ()
    message: str = ""
    symbols: tuple[str, ...] = ()
    resubscribe: tuple[str, ...] = ()


ACK = Parsed("ack")
HEARTBEAT = Parsed("heartbeat")
PONG = Parsed("pong")
OTHER = Parsed("other")

# The data-shape errors that mean "this frame is not what the exchange sends". Anything
# else escaping a parser is a bug and is left to surface.
SHAPE_ERRORS: tuple[type[BaseException], ...] = (
    KeyError,
    IndexError,
    TypeError,
    ValueError,
    AttributeError,
    ArithmeticError,
    RecursionError,
)


class Adapter(ABC):
    """Base of the exchange adapters: symbols, channel and the send-side limits.

    Subclasses set the class attributes and implement :meth:`subscribe_messages`,
    :meth:`parse` and, when the exchange needs an application-level ping,
    :meth:`keepalive_message`.
    """

    exchange: ClassVar[str]
    """Adapter key used in config (``binance``, ``coinbase``, ...)."""
    default_url: ClassVar[str]
    """The exchange's own public websocket address."""
    native_usd: ClassVar[bool] = False
    """Whether the exchange lists real USD pairs; if not, ``usdt_as_usd`` maps USD → USDT."""
    keepalive_interval: ClassVar[float | None] = None
    """Send :meth:`keepalive_message` after this many idle seconds (``None``: never)."""
    send_rate: ClassVar[float] = 10.0
    """Client → server messages per second we allow ourselves on one connection."""
    max_symbols_per_connection: ClassVar[int] = 1000

    def __init__(
        self,
        symbols: Sequence[str] = (),
        *,
        source: str | None = None,
        channel: Channel = "ticker",
        usdt_as_usd: bool = True,
        url: str | None = None,
    ) -> None:
        self.source = source or self.exchange
        self.channel: Channel = channel
        self.usdt_as_usd = usdt_as_usd
        self.url = url or self.default_url
        self.symbols = tuple(symbols)
        self.map = SymbolMap(
            self.symbols,
            to_exchange=self.exchange_name,
            from_exchange=self.split_exchange_name,
            usdt_as_usd=usdt_as_usd and not self.native_usd,
        )

    # --- symbol names (overridden per exchange) -----------------------------------------

    @staticmethod
    def exchange_name(base: str, quote: str) -> str:
        """The exchange's spelling of ``base``/``quote`` (already mapped for USDT)."""
        return f"{base}-{quote}"

    @staticmethod
    def split_exchange_name(name: str) -> tuple[str, str] | None:
        """``(base, quote)`` of an exchange symbol, or ``None`` when it cannot be split."""
        base, sep, quote = name.partition("-")
        return (base, quote) if sep else None

    # --- the protocol -------------------------------------------------------------------

    def connect_url(self) -> str:
        """The address to open (some exchanges need a path added to the configured url)."""
        return self.url

    @abstractmethod
    def subscribe_messages(self, symbols: Sequence[str]) -> list[str]:
        """Text frames that subscribe ``symbols`` (canonical) on a fresh connection."""

    def keepalive_message(self) -> str | None:
        """The application-level ping this exchange wants, or ``None``."""
        return None

    def parse(self, frame: str | bytes) -> Parsed:
        """Classify one received frame; raise :class:`FeedError` for a malformed one."""
        message = self.decode(frame)
        try:
            return self.classify(message)
        except FeedError:
            raise
        except SHAPE_ERRORS as exc:
            # A field of the wrong type or a missing key: the frame is not in the
            # exchange's format. Reported as a bad frame, never as a reconnect reason.
            raise FeedError(f"unexpected {self.exchange} frame: {exc!r}"[:300]) from None

    def decode(self, frame: str | bytes) -> Any:
        """Frame text → JSON value (orjson; Kraken overrides it to keep its decimals)."""
        return load_json(frame)

    @abstractmethod
    def classify(self, message: Any) -> Parsed:
        """Decoded frame → :class:`Parsed` (may raise any of ``SHAPE_ERRORS``)."""


# --- helpers shared by the adapters -------------------------------------------------------


def load_json(frame: str | bytes) -> Any:
    """Decode a frame with orjson (the fastest decoder we have), as :class:`FeedError`."""
    try:
        return orjson.loads(frame)
    except orjson.JSONDecodeError as exc:
        raise FeedError(f"not JSON: {exc}") from None


# --- the number rule ---------------------------------------------------------------------
# Held in r2kmon.model.numbers, so the exchanges' REST candles (sources/) obey the very same
# rule; re-exported here for the adapters.


EARLIEST_TS = 1_230_940_800.0
"""2009-01-03 00:00 UTC, Bitcoin's first block. No crypto market is older, so an exchange
time before it is garbage (zero, negative, seconds read as milliseconds) and is refused
with the frame (:class:`~r2kmon.feeds.connection.FeedConnection`). The future side of the
window moves with the local clock (``FeedSettings.max_clock_skew``)."""


MAX_MS = 10**18
"""Epoch milliseconds from here on (the year 31.7 million) are garbage: an integer time is
refused at this bound whichever path reads it, so the JSON decoders' own limits (orjson
refuses integers past 64 bits, msgspec reads them) never decide what a frame means."""


def ms_to_s(value: object) -> float:
    """Epoch milliseconds (int below :data:`MAX_MS`, or OKX's decimal string) as seconds."""
    if isinstance(value, int) and not isinstance(value, bool) and value < MAX_MS:
        return value / 1000.0
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 19:
        return int(value) / 1000.0
    raise FeedError(f"timestamp {str(value)[:40]!r} is not epoch milliseconds")


def iso_to_s(value: object) -> float:
    """RFC 3339 text with a zone (``2021-04-17T16:43:37.056746Z``) as epoch seconds."""
    if not isinstance(value, str):
        raise FeedError("timestamp is not text")
    # Python 3.10's fromisoformat does not read a trailing "Z".
    text = value[:-1] + "+00:00" if value.endswith("Z") else value
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise FeedError(f"timestamp {value[:40]!r} is not RFC 3339") from None
    if moment.tzinfo is None:
        raise FeedError(f"timestamp {value[:40]!r} has no time zone")
    return moment.timestamp()


def text(value: object, limit: int = 300) -> str:
    """A remote string field for an error or notice message: cleaned of control, bidi and
    zero-width characters (it reaches the log and the screen) and capped in length."""
    return clean_text(value, limit) if isinstance(value, str) else ""


def chunked(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """``items`` in slices of at most ``size`` (per-request limits of the exchanges)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
