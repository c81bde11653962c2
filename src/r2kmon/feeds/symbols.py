"""Canonical ⇄ exchange symbol names, and the ``usdt_as_usd`` choice.

Used by every adapter (through :class:`SymbolMap`) and by the REST backfill. Canonical
symbols are ``BASE-QUOTE`` (``BTC-USD``); exchange spellings (``btcusdt``, ``BTCUSDT``,
``BTC/USD``, ``BTC-USDT``) never leave the adapter.

``usdt_as_usd``: Binance, OKX and Bybit list no real USD pairs, so a user who asks for
``BTC-USD`` gets the ``BTCUSDT`` market, reported back as ``BTC-USD``. The choice is per
exchange and shown in the UI by whoever reads the config; here it only changes names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from r2kmon.model import SymbolError, canonical_crypto, split_pair

# Quote assets, longest first so that "FDUSD" wins over "USD" when a name like
# "BTCFDUSD" has no separator (Binance, Bybit).
KNOWN_QUOTES: tuple[str, ...] = tuple(
    sorted(
        (
            "USDT",
            "USDC",
            "FDUSD",
            "BUSD",
            "TUSD",
            "DAI",
            "USD",
            "EUR",
            "GBP",
            "JPY",
            "TRY",
            "BRL",
            "AUD",
            "CAD",
            "CHF",
            "BTC",
            "ETH",
            "BNB",
        ),
        key=len,
        reverse=True,
    )
)


def join_concatenated(base: str, quote: str) -> str:
    """``("BTC", "USDT")`` → ``"BTCUSDT"``: the names of Binance and Bybit, read back by
    :func:`split_concatenated`."""
    return f"{base}{quote}"


def split_concatenated(name: str) -> tuple[str, str] | None:
    """``"BTCUSDT"`` → ``("BTC", "USDT")`` by a known quote suffix, else ``None``."""
    upper = name.upper()
    for quote in KNOWN_QUOTES:
        if upper.endswith(quote) and len(upper) > len(quote):
            return upper[: -len(quote)], quote
    return None


def exchange_quote(quote: str, usdt_as_usd: bool) -> str:
    """The quote asset to ask an exchange for."""
    return "USDT" if usdt_as_usd and quote == "USD" else quote


def canonical_quote(quote: str, usdt_as_usd: bool) -> str:
    """The quote asset to report back."""
    return "USD" if usdt_as_usd and quote == "USDT" else quote


class SymbolMap:
    """Both directions for one adapter's subscribed symbols, with a fallback for others.

    The forward map covers what we subscribe. The reverse lookup is a dict hit on the hot
    path; names we did not subscribe (recorded fixtures, all-market streams) fall back to
    splitting the name, which costs more but is rare.
    """

    def __init__(
        self,
        symbols: Sequence[str],
        *,
        to_exchange: Callable[[str, str], str],
        from_exchange: Callable[[str], tuple[str, str] | None],
        usdt_as_usd: bool,
    ) -> None:
        self.usdt_as_usd = usdt_as_usd
        self._to_exchange = to_exchange
        self._from_exchange = from_exchange
        self.forward: dict[str, str] = {}
        self.reverse: dict[str, str] = {}
        for symbol in symbols:
            base, quote = split_pair(canonical_crypto(symbol))
            name = to_exchange(base, exchange_quote(quote, usdt_as_usd))
            self.forward[f"{base}-{quote}"] = name
            # Two canonical symbols can share one market (BTC-USD and BTC-USDT with
            # usdt_as_usd); the first listed names the ticks.
            self.reverse.setdefault(name, f"{base}-{quote}")

    def exchange(self, symbol: str) -> str:
        """Exchange spelling of a canonical symbol (subscribed or not)."""
        name = self.forward.get(symbol)
        if name is not None:
            return name
        base, quote = split_pair(canonical_crypto(symbol))
        return self._to_exchange(base, exchange_quote(quote, self.usdt_as_usd))

    def canonical(self, name: str) -> str:
        """Canonical symbol of an exchange name; :class:`SymbolError` if it has no sense."""
        symbol = self.reverse.get(name)
        if symbol is not None:
            return symbol
        parts = self._from_exchange(name)
        if parts is None:
            raise SymbolError(f"cannot read the symbol {name[:40]!r}")
        base, quote = parts
        symbol = canonical_crypto(f"{base}-{canonical_quote(quote, self.usdt_as_usd)}")
        return symbol

    def readable(self, names: Iterable[str]) -> tuple[str, ...]:
        """Canonical symbols of those ``names`` that read as one, in order; a name that
        does not is left out (an exchange's error text naming the symbols it refused)."""
        out: list[str] = []
        for name in names:
            try:
                out.append(self.canonical(name))
            except SymbolError:
                continue
        return tuple(out)
