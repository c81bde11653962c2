"""Holdings valued at the live prices: value, weight, profit and loss, the day's change.

The ``[[holdings]]`` tables of the config (:mod:`r2kmon.config`) name a configured symbol,
a quantity and optionally the average cost per unit. :func:`value_portfolio` values them
against a hub snapshot into a :class:`~r2kmon.model.portfolio.Portfolio`, which the runtime
puts in the app state for the portfolio view and ``snapshot --json``.

Every holding is valued in its symbol's quote currency, which for the symbols a holding may
name is US dollars: crypto pairs quoted in USD (or USDT/USDC, counted as dollars) and
equity tickers. Nothing is guessed: a holding without a price has no value, the totals
then say how many holdings they cover, and each price carries its quote's freshness.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from r2kmon.model import Freshness, Holding, HubSnapshot
from r2kmon.model.portfolio import Portfolio, Position


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
