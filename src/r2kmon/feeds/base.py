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
from decimal import Decimal
from typing import Any, ClassVar, Literal, NamedTuple, TypeVar

import orjson

from r2kmon.feeds.symbols import SymbolMap
from r2kmon.model import Tick, clean_text

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


class FeedError(ValueError):
    """A frame that does not match the exchange's wire format."""


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
# Every price and size from every exchange and every path (the Binance fast path, the
# general path, Kraken's JSON numbers, REST candles, the breadth stream) passes the same
# two tests:
#
# * notation: plain decimal text as the exchanges write it, ASCII digits with at most one
#   point. ``Decimal`` and ``float`` also read "inf", "nan", "1e5", "9e999", "1_0000",
#   " 7", "+3" and Arabic-Indic digits; no exchange writes those, so a frame that does is
#   not the exchange's (a JSON number, where an exchange sends numbers, is held to the
#   same rule on its text: no exponent);
# * magnitude: MIN_PRICE <= price <= MAX_NUMBER, size <= MAX_NUMBER.

MAX_NUMBER = Decimal(10**15)
"""The largest price or size taken. The largest real prices (Bitcoin quoted in Vietnamese
dong, about 2.5e9) and sizes (meme-coin trades of about 1e11 units) stay orders of
magnitude below it, and every number up to it becomes a float that prints and adds up
exactly (float64 counts whole numbers exactly up to 2**53, about 9e15). ``9e999`` (which
became ``inf`` on screen) and ``1e308`` (which the store kept) are far beyond it."""

MIN_PRICE = Decimal("1e-12")
"""The smallest price taken: the finest price steps the exchanges list are 1e-8 to
1e-10, so this leaves room below them and refuses ``1e-300`` (a change in percent or a
log scale against it would be absurd)."""


def plain(text: str) -> bool:
    """Whether ``text`` is written as the exchanges write numbers: ASCII digits with at
    most one point (``102492.27000000``, ``0.5``, ``7``)."""
    # isascii first: str.isdigit is also true for Arabic-Indic and other digits, which
    # Decimal would read; on ASCII text it is true for 0-9 only.
    return text.isascii() and text.replace(".", "", 1).isdigit()


def _number(value: object, what: str) -> Decimal:
    """``value`` as a finite Decimal under the notation rule (not yet range-checked)."""
    if isinstance(value, str):
        if plain(value):
            return Decimal(value)
        raise FeedError(f"{what} {value[:40]!r} is not a plain decimal number")
    if isinstance(value, Decimal):
        # From Kraken's decoder, which held the JSON number's text to the rule already.
        if value.is_finite():
            return value
        raise FeedError(f"{what} {value} is not a finite number")
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    raise FeedError(f"{what} of type {type(value).__name__} is not a number")


def price(value: object) -> Decimal:
    """A price from the wire under the number rule above, or :class:`FeedError`."""
    number = _number(value, "price")
    if MIN_PRICE <= number <= MAX_NUMBER:
        return number
    raise FeedError(f"price {str(number)[:40]} is outside {MIN_PRICE}..{MAX_NUMBER:.0E}")


def quantity(value: object) -> Decimal | None:
    """A trade size under the number rule: at most ``MAX_NUMBER`` (zero and tiny sizes
    are harmless: they add nothing to a volume); a missing one is ``None``."""
    if value is None:
        return None
    number = _number(value, "size")
    if number <= MAX_NUMBER:
        return number
    raise FeedError(f"size {str(number)[:40]} is beyond {MAX_NUMBER:.0E}")


def in_range(number: Decimal) -> bool:
    """Whether a computed price (Kraken's ``last - change``) obeys the magnitude rule."""
    return number.is_finite() and MIN_PRICE <= number <= MAX_NUMBER


EARLIEST_TS = 1_230_940_800.0
"""2009-01-03 00:00 UTC, Bitcoin's first block. No crypto market is older, so an exchange
time before it is garbage (zero, negative, seconds read as milliseconds) and is refused
with the frame (:class:`~r2kmon.feeds.connection.FeedConnection`). The future side of the
window moves with the local clock (``FeedSettings.max_clock_skew``)."""


def ms_to_s(value: object) -> float:
    """Epoch milliseconds (int, or OKX's decimal string) as epoch seconds."""
    if isinstance(value, int) and not isinstance(value, bool):
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
