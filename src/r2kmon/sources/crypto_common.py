"""Records shared by the two crypto-market providers (CoinGecko, CoinPaprika).

Used by :mod:`r2kmon.sources.coingecko` and :mod:`r2kmon.sources.coinpaprika`, which parse
into these same shapes so the poller can fall back from one to the other without the
consumers noticing anything but the ``source`` name.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from r2kmon.model import Bar, ContextValue

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
