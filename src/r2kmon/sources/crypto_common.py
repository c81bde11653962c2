"""Records shared by the two crypto-market providers (CoinGecko, CoinPaprika).

Used by :mod:`r2kmon.sources.coingecko` and :mod:`r2kmon.sources.coinpaprika`, which parse
into these same shapes so the poller can fall back from one to the other without the
consumers noticing anything but the ``source`` name.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

import pandas as pd

from r2kmon.model import Bar, ContextValue

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

COIN_COLUMNS = ["id", "symbol", "name", "rank", "price", "market_cap", "change_30d_pct"]

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


def coins_frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    """The coin rows of either provider as one frame with :data:`COIN_COLUMNS`, numbers as
    float64 (a column of all-missing values would otherwise come out as ``object``)."""
    frame = pd.DataFrame(rows, columns=COIN_COLUMNS)
    return frame.astype({"price": "float64", "market_cap": "float64", "change_30d_pct": "float64"})


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


@dataclass(frozen=True, slots=True)
class CoinHistory:
    """Daily prices of one coin: ``frame`` indexed by UTC time, float column ``price``."""

    coin_id: str
    symbol: str
    frame: pd.DataFrame = field(repr=False)
    source: str

    def bars(self) -> list[Bar]:
        """One flat ``1d`` bar per UTC day (the last price seen that day)."""
        prices = self.frame["price"].dropna()
        if prices.empty:
            return []
        index = pd.DatetimeIndex(prices.index)
        days = prices.groupby(index.floor("D")).last()
        out: list[Bar] = []
        for day, value in days.items():
            assert isinstance(day, pd.Timestamp)
            v = float(value)
            out.append(Bar(day.timestamp(), v, v, v, v))
        return out


def top_coins(frame: pd.DataFrame, top_n: int) -> pd.DataFrame:
    """The first ``top_n`` rows by rank that are neither stablecoins nor wrapped tokens."""
    kept = frame[~frame["symbol"].str.lower().isin(EXCLUDED_SYMBOLS)]
    return kept.sort_values("rank", kind="stable").head(top_n).reset_index(drop=True)
