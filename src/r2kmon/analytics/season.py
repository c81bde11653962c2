"""Altcoin season, BTC dominance trend and live 24 h breadth.

Used by :mod:`r2kmon.analytics.compute` for the ``context`` entries ``altcoin_season``,
``btc_dominance`` and ``breadth_24h`` and the ``alt_season``/``btc_dominance_trend`` gauge
components.

The altcoin-season index is the share (0-100) of the coins handed in (the caller passes its
top-50 list) whose return over the last 90 days beat BTC's. Stablecoins and wrapped or
staked tokens are excluded: a dollar token "losing" to BTC or a wrapped BTC "tying" it says
nothing about risk appetite. When fewer than ``min_coins`` coins have 90 days of data the
index falls back to 30 days and says so in ``window_days``/``label``; with fewer than
``min_coins`` at 30 days it is ``None``. Above 75 is altcoin season, below 25 bitcoin season.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from r2kmon.analytics.series import clean_closes, clean_values, epoch, value_asof

DEFAULT_EXCLUDED: frozenset[str] = frozenset(
    {
        # stablecoins
        "USDT", "USDC", "DAI", "BUSD", "TUSD", "USDP", "PAX", "GUSD", "FDUSD", "PYUSD",
        "USDE", "USDD", "FRAX", "LUSD", "USDS", "EURC", "EURS", "RLUSD", "USD1", "USDX",
        # wrapped / staked / bridged representations of other coins
        "WBTC", "WETH", "STETH", "WSTETH", "WEETH", "RETH", "CBETH", "CBBTC", "BTCB",
        "WBNB", "METH", "EZETH", "RSETH", "TBTC", "SOLVBTC", "LBTC", "WTRX", "JITOSOL",
        "MSOL", "BNSOL",
    }
)  # fmt: skip

SeasonLabel = Literal["altcoin season", "bitcoin season", "neutral"]


@dataclass(frozen=True, slots=True)
class SeasonSettings:
    window_days: int = 90
    fallback_days: int = 30
    min_coins: int = 10
    """Fewer coins than this make the index too coarse to show (one coin moves it 10 pts)."""
    altseason_above: float = 75.0
    bitcoin_season_below: float = 25.0
    excluded: frozenset[str] = field(default_factory=lambda: DEFAULT_EXCLUDED)
    """Base assets left out (upper case): stablecoins, wrapped and staked tokens."""
    max_age_days: int = 2
    """A coin whose latest close is older than this at either end of the window is left out."""
    dominance_lookback_days: int = 30
    dominance_flat_pp: float = 0.5
    """A dominance change smaller than this (percentage points) counts as flat."""


@dataclass(frozen=True, slots=True)
class AltSeason:
    value: float | None
    window_days: int | None
    """90 normally; 30 when the fallback was used (the UI labels it)."""
    label: SeasonLabel | None
    coins: int
    beating: int
    fallback: bool
    as_of: float | None


def base_asset(symbol: str) -> str:
    """``ETH-USD`` → ``ETH``; a bare ``ETH`` stays ``ETH``."""
    return symbol.split("-", 1)[0].upper()


def _returns(
    coins: Mapping[str, pd.Series], end: pd.Timestamp, days: int, age: int
) -> dict[str, float]:
    start = end - pd.Timedelta(days=days)
    out: dict[str, float] = {}
    for symbol, series in coins.items():
        first = value_asof(series, start, age)
        last = value_asof(series, end, age)
        if first is None or last is None:
            continue
        ret = last / first - 1
        if math.isfinite(ret):
            out[symbol] = ret
    return out


def altcoin_season(
    coins: Mapping[str, pd.Series], btc: pd.Series, settings: SeasonSettings
) -> AltSeason:
    """The index as of BTC's last close. ``coins`` may include BTC and excluded tokens;
    they are filtered here so every caller applies the same rule."""
    btc_clean = clean_closes(btc)
    if btc_clean.empty:
        return AltSeason(None, None, None, 0, 0, False, None)
    end = pd.Timestamp(btc_clean.index[-1])
    alts = {
        s: clean_closes(series)
        for s, series in coins.items()
        if base_asset(s) not in settings.excluded and base_asset(s) != "BTC"
    }
    for days, fallback in ((settings.window_days, False), (settings.fallback_days, True)):
        btc_ret = _returns({"BTC": btc_clean}, end, days, settings.max_age_days).get("BTC")
        if btc_ret is None:
            continue
        rets = _returns(alts, end, days, settings.max_age_days)
        if len(rets) < settings.min_coins:
            continue
        beating = sum(1 for r in rets.values() if r > btc_ret)
        value = 100.0 * beating / len(rets)
        label: SeasonLabel = (
            "altcoin season"
            if value > settings.altseason_above
            else "bitcoin season"
            if value < settings.bitcoin_season_below
            else "neutral"
        )
        return AltSeason(value, days, label, len(rets), beating, fallback, epoch(end))
    return AltSeason(None, None, None, 0, 0, False, epoch(end))


DominanceDirection = Literal["rising", "falling", "flat"]


@dataclass(frozen=True, slots=True)
class DominanceTrend:
    value: float | None
    """BTC share of total crypto market cap, percent."""
    change_pp: float | None
    """Change over ``lookback_days`` in percentage points."""
    trend: DominanceDirection | None
    as_of: float | None


def dominance_trend(dominance: pd.Series, settings: SeasonSettings) -> DominanceTrend:
    """Latest BTC dominance and its change; the change is ``None`` when the series does
    not reach back ``dominance_lookback_days`` (weekly data may lag by up to 7 days)."""
    clean = clean_values(dominance)
    if clean.empty:
        return DominanceTrend(None, None, None, None)
    last_day = pd.Timestamp(clean.index[-1])
    value = float(clean.iloc[-1])
    before = value_asof(clean, last_day - pd.Timedelta(days=settings.dominance_lookback_days), 7)
    if before is None:
        return DominanceTrend(value, None, None, epoch(last_day))
    change = value - before
    trend: DominanceDirection = (
        "flat"
        if abs(change) < settings.dominance_flat_pp
        else "rising"
        if change > 0
        else "falling"
    )
    return DominanceTrend(value, change, trend, epoch(last_day))


@dataclass(frozen=True, slots=True)
class Breadth:
    """Live 24 h breadth of the streamed coins (from the feeds' 24 h change)."""

    coins: int
    advancing_share: float | None
    """Share (0-1) of coins up over 24 h."""
    beating_btc_share: float | None
    """Share (0-1) of coins whose 24 h change beat BTC's; ``None`` without BTC."""


def live_breadth(changes_24h: Mapping[str, float], settings: SeasonSettings) -> Breadth:
    """Breadth from ``{symbol: 24 h change in percent}``; non-finite entries are ignored."""
    clean = {s: c for s, c in changes_24h.items() if math.isfinite(c)}
    btc = next((c for s, c in clean.items() if base_asset(s) == "BTC"), None)
    alts = [
        c
        for s, c in clean.items()
        if base_asset(s) not in settings.excluded and base_asset(s) != "BTC"
    ]
    if not alts:
        return Breadth(0, None, None)
    advancing = sum(1 for c in alts if c > 0) / len(alts)
    beating = sum(1 for c in alts if c > btc) / len(alts) if btc is not None else None
    return Breadth(len(alts), advancing, beating)
