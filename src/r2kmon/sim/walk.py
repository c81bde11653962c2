"""A seeded geometric random walk: the price model of both simulators.

Shared so that the history backfilled at start and the live ticks after it come from one
model, and the same seed gives the same prices.
"""

from __future__ import annotations

import math
import random
from decimal import Decimal

from r2kmon.model import Bar

YEAR_S = 365.25 * 86_400


class Walk:
    """Log-normal steps with annual volatility ``vol`` and a small annual drift."""

    def __init__(self, rng: random.Random, price: float, vol: float, drift: float = 0.05) -> None:
        self._rng = rng
        self.price = price
        self._vol = vol
        self._drift = drift

    def step(self, seconds: float) -> float:
        """Advance the walk by ``seconds`` of (trading) time and return the new price."""
        years = seconds / YEAR_S
        shock = self._rng.gauss(0.0, 1.0) * self._vol * math.sqrt(years)
        self.price *= math.exp((self._drift - 0.5 * self._vol**2) * years + shock)
        return self.price

    def bar(self, start: float, seconds: float, steps: int = 6) -> Bar:
        """One OHLC bar made of ``steps`` sub-steps, starting at the current price."""
        open_ = self.price
        high = low = open_
        for _ in range(steps):
            price = self.step(seconds / steps)
            high = max(high, price)
            low = min(low, price)
        return Bar(start, open_, high, low, self.price)


def to_decimal(price: float) -> Decimal:
    """A price rounded the way an exchange would quote it."""
    places = 2 if price >= 10 else 4 if price >= 0.1 else 6
    return Decimal(f"{price:.{places}f}")
