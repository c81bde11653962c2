"""A seeded geometric random walk: the price model of both simulators.

Shared so that the history backfilled at start and the live ticks after it come from one
model, and the same seed gives the same prices.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from decimal import Decimal

from r2kmon.model import Bar
from r2kmon.sim.history import Profile, revert_step

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


class Basket:
    """Live prices that move together, as the history of :mod:`r2kmon.sim.history` does:
    the leader on its own, each member with the leader (its ``rho``), an ETF exactly with
    its index, ``^VIX`` back towards its mean."""

    def __init__(
        self,
        profiles: Mapping[str, Profile],
        leader: str,
        prices: Mapping[str, float],
        rng: random.Random,
    ) -> None:
        self._profiles = profiles
        self._leader = leader
        self._rng = rng
        self.prices: dict[str, float] = dict(prices)
        self._ratios: dict[str, float] = {}
        self.restart()

    def restart(self) -> None:
        """Take the current prices as the start: an ETF keeps the ratio to its index its
        history ended at, so the live price continues it."""
        self._ratios = {
            name: self.prices[name] / self.prices[p.follows]
            for name, p in self._profiles.items()
            if p.follows is not None
        }

    def step(self, seconds: float) -> dict[str, float]:
        """Advance every price by ``seconds`` of (trading) time; return the new prices."""
        years = seconds / YEAR_S
        root = math.sqrt(years)
        rng = self._rng
        z_lead = rng.gauss(0.0, 1.0)
        prices = self.prices
        for name, profile in self._profiles.items():
            if profile.follows is not None:
                continue
            if name == self._leader:
                z = z_lead
            else:
                rho = profile.rho
                z = rho * z_lead + math.sqrt(max(0.0, 1.0 - rho * rho)) * rng.gauss(0.0, 1.0)
            x = math.log(prices[name])
            if profile.revert:
                prices[name] = math.exp(revert_step(profile, x, years, z))
            else:
                prices[name] = math.exp(x - 0.5 * profile.vol**2 * years + profile.vol * root * z)
        self._follow()
        return prices

    def nudge(self, name: str, log_move: float) -> None:
        """Move ``name`` (and the ETFs that track it) by ``log_move`` on top of the walk:
        the demo's scripted moments."""
        self.prices[name] *= math.exp(log_move)
        self._follow()

    def _follow(self) -> None:
        prices = self.prices
        for name, ratio in self._ratios.items():
            index = self._profiles[name].follows
            assert index is not None
            prices[name] = prices[index] * ratio
