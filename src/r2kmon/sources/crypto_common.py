"""Records shared by the two crypto-market providers (CoinGecko, CoinPaprika).

Used by :mod:`r2kmon.sources.coingecko` and :mod:`r2kmon.sources.coinpaprika`, which parse
into these same shapes so the poller can fall back from one to the other without the
consumers noticing anything but the ``source`` name.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from r2kmon.model import Bar, ContextValue, clean_text

log = logging.getLogger(__name__)

EXCLUDED_SYMBOLS = frozenset(
    {
        # Stablecoins: their "return" is zero by design and would dilute the altseason index.
        "usdt", "usdc", "dai", "usde", "fdusd", "tusd", "usdd", "pyusd", "busd", "usds",
        "usd1", "frax", "lusd", "gusd", "usdp", "eurc", "usdx", "usdy", "susde", "susds",
        "rlusd", "usd0", "bfusd", "usdtb", "usdf", "buidl", "usyc", "ousg", "paxg", "xaut",
        # Wrapped, staked and bridged tokens: they track another coin in the list.
        "wbtc", "weth", "steth", "wsteth", "weeth", "reth", "cbbtc", "cbeth", "wbeth",
        "meth", "rseth", "ezeth", "lbtc", "solvbtc", "jitosol", "msol", "bnsol", "stsol",
        "tbtc", "btcb", "wbnb", "wtrx", "weth.e", "clbtc", "bbtc", "lseth", "oseth", "wavax",
    }
)  # fmt: skip
"""Lower-case symbols left out of the top-N list (the common altcoin-season definition
excludes stablecoins and wrapped/staked/asset-backed tokens). Matching is on symbol because
the two providers use different ids."""


COIN_SYMBOL = re.compile(r"[A-Z0-9]{1,12}")
"""A provider's coin ticker, upper-cased, as r2kmon takes it: it becomes the hub and store
symbol ``<SYMBOL>-USD`` and a name in the log. ASCII letters and digits fit every ticker in
the fixtures and the exclusion list above (``BTC``, ``USDT``, ``USD1``, ``1000SATS``-style
names) except ``weth.e``, which is left out anyway; one character admits the real
single-letter tickers (Sonic's ``S``); twelve is the longest base a canonical pair has
(:func:`r2kmon.model.canonical_crypto`). Anything else, a control character above all, is
refused: it would be stored and logged as it came."""

COIN_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,99}")
"""A provider's coin id (``bitcoin``, ``btc-bitcoin``, ``usd-coin``): it goes into a
request path, so no slash, query, percent sign, space or control character."""

_REFUSED_KEPT = 1000
_refused: set[tuple[str, str]] = set()
"""(provider, id or symbol) already said in the log: a refused coin is said once per
process, not at every daily poll (bounded: a provider sending thousands of bad names
is said about in the first thousand)."""


def coin_symbol(symbol: object, coin_id: object, provider: str) -> tuple[str, str] | None:
    """``(id, SYMBOL)`` of a provider's coin row, or ``None`` when either does not fit
    :data:`COIN_SYMBOL` / :data:`COIN_ID` (said once in the log, escaped)."""
    ticker = symbol.upper() if isinstance(symbol, str) and symbol.isascii() else ""
    ident = coin_id if isinstance(coin_id, str) else ""
    # ASCII before upper-casing: "ﬁl".upper() is "FIL", and a Turkish dotless i becomes I.
    if COIN_SYMBOL.fullmatch(ticker) and COIN_ID.fullmatch(ident):
        return ident, ticker
    if is_excluded(str(symbol)):
        return None  # a stablecoin or wrapped token (weth.e): left out anyway
    key = (provider, f"{coin_id!r}:{symbol!r}")
    if key not in _refused and len(_refused) < _REFUSED_KEPT:
        _refused.add(key)
        # ascii(): what came, with every control or bidi character as an escape.
        log.warning(
            "%s: coin id %s with symbol %s refused: not a coin ticker r2kmon can use",
            provider,
            ascii(coin_id)[:80],
            ascii(symbol)[:60],
        )
    return None


@dataclass(frozen=True, slots=True)
class Coin:
    """One coin of a top-coins answer, either provider's. ``symbol`` is upper case; a
    missing number is ``None``."""

    id: str
    symbol: str
    name: str
    rank: int
    price: float | None
    market_cap: float | None
    change_30d_pct: float | None


def coin_row(
    row: Mapping[str, object],
    provider: str,
    *,
    rank: int,
    price: float | None,
    market_cap: float | None,
    change_30d_pct: float | None,
) -> Coin | None:
    """A provider's coin row (``id``, ``symbol``, ``name``) with its numbers as a
    :class:`Coin`: id and symbol checked by :func:`coin_symbol` (``None`` when refused,
    said once in the log), the name cleaned and capped, as both providers need."""
    names = coin_symbol(row.get("symbol"), row.get("id"), provider)
    if names is None:
        return None
    return Coin(
        id=names[0],
        symbol=names[1],
        name=clean_text(str(row.get("name", "")), 80),
        rank=rank,
        price=price,
        market_cap=market_cap,
        change_30d_pct=change_30d_pct,
    )


def is_excluded(symbol: str) -> bool:
    """True for a stablecoin or a wrapped/staked token symbol."""
    return symbol.strip().lower() in EXCLUDED_SYMBOLS


@dataclass(frozen=True, slots=True)
class GlobalMarket:
    """Total crypto market cap and BTC dominance from one provider at one time."""

    total_market_cap_usd: float
    btc_dominance_pct: float
    as_of: float
    source: str

    def context(self) -> list[ContextValue]:
        """As context values: ``crypto_market_cap``, ``btc_dominance`` and
        ``alt_basket_mcap`` (TOTAL2-like: everything but BTC)."""
        alt = self.total_market_cap_usd * (1.0 - self.btc_dominance_pct / 100.0)
        return [
            ContextValue(
                "crypto_market_cap", self.total_market_cap_usd, "USD", self.source, self.as_of
            ),
            ContextValue("btc_dominance", self.btc_dominance_pct, "%", self.source, self.as_of),
            ContextValue("alt_basket_mcap", alt, "USD", self.source, self.as_of),
        ]


class PricePoint(NamedTuple):
    """One price of a coin's history: when (UTC epoch seconds) and the USD price
    (``None`` where the provider sent none)."""

    ts: float
    price: float | None


@dataclass(frozen=True, slots=True)
class CoinHistory:
    """Prices of one coin, in the provider's order (oldest first)."""

    coin_id: str
    symbol: str
    points: tuple[PricePoint, ...]
    source: str

    def bars(self) -> list[Bar]:
        """One flat ``1d`` bar per UTC day (the last price seen that day)."""
        days: dict[float, float] = {}
        for ts, price in self.points:
            if price is not None:
                days[ts // 86_400 * 86_400] = price
        return [Bar(day, v, v, v, v) for day, v in sorted(days.items())]


def top_coins(coins: Iterable[Coin], top_n: int) -> list[Coin]:
    """The first ``top_n`` coins by rank that are neither stablecoins nor wrapped tokens
    (equal ranks keep the provider's order)."""
    kept = [coin for coin in coins if not is_excluded(coin.symbol)]
    return sorted(kept, key=lambda coin: coin.rank)[:top_n]
