"""The number rule: what a price or a size from the wire must look like to be taken.

Used by every path that reads a number an exchange sent: the websocket adapters
(:mod:`r2kmon.feeds.base` re-exports it; the Binance fast path and the breadth stream hold
text to :func:`plain` and the bounds themselves) and the exchanges' REST candles
(:mod:`r2kmon.sources.exchange_candles`). One rule, so no path takes what another refuses.
"""

from __future__ import annotations

from decimal import Decimal


class WireError(ValueError):
    """Remote data not in the form its source documents: a malformed frame (the feeds call
    it ``FeedError``) or a number that breaks the rule below."""


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
        raise WireError(f"{what} {value[:40]!r} is not a plain decimal number")
    if isinstance(value, Decimal):
        # From Kraken's decoder, which held the JSON number's text to the rule already.
        if value.is_finite():
            return value
        raise WireError(f"{what} {value} is not a finite number")
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    raise WireError(f"{what} of type {type(value).__name__} is not a number")


def price(value: object) -> Decimal:
    """A price from the wire under the number rule above, or :class:`WireError`."""
    number = _number(value, "price")
    if MIN_PRICE <= number <= MAX_NUMBER:
        return number
    raise WireError(f"price {str(number)[:40]} is outside {MIN_PRICE}..{MAX_NUMBER:.0E}")


def quantity(value: object) -> Decimal | None:
    """A trade size under the number rule: at most ``MAX_NUMBER`` (zero and tiny sizes
    are harmless: they add nothing to a volume); a missing one is ``None``."""
    if value is None:
        return None
    number = _number(value, "size")
    if number <= MAX_NUMBER:
        return number
    raise WireError(f"size {str(number)[:40]} is beyond {MAX_NUMBER:.0E}")


def in_range(number: Decimal) -> bool:
    """Whether a computed price (Kraken's ``last - change``) obeys the magnitude rule."""
    return number.is_finite() and MIN_PRICE <= number <= MAX_NUMBER
