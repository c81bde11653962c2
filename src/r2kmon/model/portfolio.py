"""The ``[[holdings]]`` a user declares, as the config loader validates them, and the
portfolio they add up to at the latest prices.

Valued by :mod:`r2kmon.runtime.portfolio` into a :class:`Portfolio`, which the app state
carries to the portfolio view and ``snapshot --json``; here so the config needs nothing
above the model and the readers nothing above it either.
"""

from __future__ import annotations

from dataclasses import dataclass

from r2kmon.model.core import is_crypto_pair, split_pair
from r2kmon.model.signals import Freshness

DOLLAR_QUOTES = ("USD", "USDT", "USDC")
"""The quote currencies a crypto holding may have: the totals add them up as dollars."""


def dollar_priced(symbol: str) -> bool:
    """Whether ``symbol`` is priced in dollars (a crypto pair quoted in USD, USDT or USDC,
    or an equity ticker); indices such as ``^RUT`` are points, not prices."""
    if is_crypto_pair(symbol):
        return split_pair(symbol)[1] in DOLLAR_QUOTES
    return not symbol.startswith("^")


@dataclass(frozen=True, slots=True)
class Holding:
    """One ``[[holdings]]`` entry, validated by the config loader."""

    symbol: str
    quantity: float
    cost: float | None = None
    """Average cost per unit, in dollars; ``None``: not given (no profit and loss)."""
    example: bool = False
    """One of ``--demo``'s sample holdings, shown as an example (never from a config)."""


@dataclass(frozen=True, slots=True)
class Position:
    """A holding at the latest price (``None`` where the price or the cost is missing)."""

    holding: Holding
    price: float | None
    value: float | None
    cost_value: float | None
    """Quantity times the average cost."""
    pnl: float | None
    pnl_pct: float | None
    day: float | None
    """The value's change over the quote's change window (24 h for crypto, the day for
    markets): value - value / (1 + change)."""
    source: str | None
    ts: float | None
    freshness: Freshness | None
    """The quote's freshness as the state judged it (``None`` without a price)."""
    weight: float | None = None
    """Share of the priced total value, in percent."""

    @property
    def stale(self) -> bool:
        """The price is stale (see :attr:`freshness`)."""
        return self.freshness == "stale"


@dataclass(frozen=True, slots=True)
class Portfolio:
    positions: tuple[Position, ...]
    value: float | None
    """Sum of the priced positions (``None`` when none is priced)."""
    cost_value: float | None
    """Sum of the cost of the positions that have a price and a cost."""
    pnl: float | None
    pnl_pct: float | None
    day: float | None
    priced: int
    """How many positions the totals cover (of ``len(positions)``)."""

    def to_json(self) -> dict[str, object]:
        return {
            "value": self.value,
            "cost": self.cost_value,
            "pnl": self.pnl,
            "pnl_pct": self.pnl_pct,
            "day": self.day,
            "priced": self.priced,
            "positions": [
                {
                    "symbol": p.holding.symbol,
                    "quantity": p.holding.quantity,
                    "cost_per_unit": p.holding.cost,
                    "price": p.price,
                    "value": p.value,
                    "weight_pct": p.weight,
                    "pnl": p.pnl,
                    "pnl_pct": p.pnl_pct,
                    "day": p.day,
                    "source": p.source,
                    "freshness": p.freshness,
                    "stale": p.stale,
                    "as_of": p.ts,
                }
                for p in self.positions
            ],
        }
