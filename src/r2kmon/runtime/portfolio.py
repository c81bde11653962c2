"""Holdings valued at the live prices: value, weight, profit and loss, the day's change.

The ``[[holdings]]`` tables of the config (:mod:`r2kmon.config`) name a configured symbol,
a quantity and optionally the average cost per unit. :func:`value_portfolio` values them
against a hub snapshot; the runtime puts the result in :class:`~r2kmon.runtime.state.AppState`
for the portfolio view and ``snapshot --json``.

Every holding is valued in its symbol's quote currency, which for the symbols a holding may
name is US dollars: crypto pairs quoted in USD (or USDT/USDC, counted as dollars) and
equity tickers. Nothing is guessed: a holding without a price has no value, the totals
then say how many holdings they cover, and each price carries its quote's freshness.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from r2kmon.model import Freshness, Holding, HubSnapshot


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


def value_portfolio(
    holdings: Sequence[Holding], snapshot: HubSnapshot, freshness: Mapping[str, Freshness]
) -> Portfolio:
    """Value ``holdings`` at the snapshot's quotes; ``freshness`` is each quote's, as the
    state carries it (a quote it does not judge is marked stale)."""
    positions: list[Position] = []
    for holding in holdings:
        quote = snapshot.quotes.get(holding.symbol)
        if quote is None:
            positions.append(
                Position(holding, None, None, None, None, None, None, None, None, None)
            )
            continue
        price = float(quote.price)
        value = holding.quantity * price
        cost_value = holding.quantity * holding.cost if holding.cost is not None else None
        pnl = value - cost_value if cost_value is not None else None
        pnl_pct = pnl / cost_value * 100 if pnl is not None and cost_value else None
        change = quote.change_pct
        day = value - value / (1 + change / 100) if change is not None else None
        judged = freshness.get(holding.symbol, "stale")
        positions.append(
            Position(
                holding, price, value, cost_value, pnl, pnl_pct, day, quote.source, quote.ts, judged
            )
        )
    priced = [p for p in positions if p.value is not None]
    total = sum(p.value for p in priced if p.value is not None) if priced else None
    if total:
        positions = [
            p if p.value is None else replace(p, weight=p.value / total * 100) for p in positions
        ]
    costed = [p for p in priced if p.cost_value is not None and p.pnl is not None]
    cost_total = sum(p.cost_value for p in costed if p.cost_value is not None) if costed else None
    pnl_total = sum(p.pnl for p in costed if p.pnl is not None) if costed else None
    days = [p.day for p in priced if p.day is not None]
    return Portfolio(
        tuple(positions),
        total,
        cost_total,
        pnl_total,
        pnl_total / cost_total * 100 if pnl_total is not None and cost_total else None,
        sum(days) if days else None,
        len(priced),
    )
