"""The simulated crypto feed: 24/7 ticks for every configured pair, with a day of 1-minute
history and years of daily history pushed first, as the real backfill does."""

from __future__ import annotations

import asyncio
import math
import random
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from r2kmon.clock import Clock
from r2kmon.model import Bar, Sink, SourceHealth, Tick, split_pair
from r2kmon.sim.walk import Walk, to_decimal

NAME = "demo-crypto"

# Rough late-2026 levels and annual volatilities, so the demo looks like the real thing.
# These are starting points of a random walk, labelled SIMULATED wherever they are shown.
_START = {"BTC": (90_000.0, 0.55), "ETH": (3_000.0, 0.7), "SOL": (140.0, 0.9)}
_DEFAULT_START = (1.0, 0.9)
DAILY_HISTORY_DAYS = 6 * 365


@dataclass(frozen=True)
class SimFeedSettings:
    """What the simulated feed streams and how fast."""

    symbols: Sequence[str]
    seed: int
    ticks_per_s: float


class SimFeed:
    """A :class:`~r2kmon.model.Producer` of simulated crypto ticks."""

    def __init__(self, settings: SimFeedSettings, clock: Clock) -> None:
        self._settings = settings
        self._clock = clock
        rng = random.Random(settings.seed)
        self._walks: dict[str, Walk] = {}
        for symbol in settings.symbols:
            price, vol = _START.get(split_pair(symbol)[0], _DEFAULT_START)
            walk_rng = random.Random(rng.getrandbits(64))
            # A few percent away from the table, so no price is a suspiciously round number.
            start = price * math.exp(walk_rng.gauss(0.0, 0.03))
            self._walks[symbol] = Walk(walk_rng, start, vol)
        self._minute_closes: dict[str, deque[tuple[float, float]]] = {
            symbol: deque(maxlen=24 * 60) for symbol in settings.symbols
        }

    @property
    def name(self) -> str:
        return NAME

    async def run(self, sink: Sink) -> None:
        """Push history, then ticks until cancelled."""
        sink.push_health(SourceHealth(NAME, "feed", "connecting", simulated=True))
        self.backfill(sink)
        interval = 1.0 / self._settings.ticks_per_s
        while True:
            now = self._clock.now()
            sink.push_ticks(self.ticks(now, interval))
            sink.push_health(SourceHealth(NAME, "feed", "ok", last_ok=now, simulated=True))
            await asyncio.sleep(interval)

    def backfill(self, sink: Sink) -> None:
        """Daily bars for the past years and 1-minute bars for the past day, ending now.

        The walk runs forward from the past, so the live ticks continue the history.
        """
        now = self._clock.now()
        today = now - now % 86_400
        minute_now = now - now % 60
        for symbol, walk in self._walks.items():
            # Walk the daily history first, then the last day in minutes, from a price
            # scaled so that the walk ends near the starting level of the table above.
            target = walk.price
            days = [
                walk.bar(today - (DAILY_HISTORY_DAYS - i) * 86_400, 86_400)
                for i in range(DAILY_HISTORY_DAYS)
            ]
            scale = target / walk.price
            daily = [_scaled(bar, scale) for bar in days]
            walk.price = daily[-1].close
            minutes = [walk.bar(minute_now - (1440 - i) * 60, 60, steps=3) for i in range(1440)]
            closes = self._minute_closes[symbol]
            for bar in minutes:
                closes.append((bar.start, bar.close))
            sink.push_bars(symbol, "1d", daily, NAME)
            sink.push_bars(symbol, "1m", minutes, NAME)

    def ticks(self, now: float, seconds: float) -> list[Tick]:
        """One tick per symbol, ``seconds`` after the previous one."""
        ticks = []
        for symbol, walk in self._walks.items():
            price = walk.step(seconds)
            closes = self._minute_closes[symbol]
            minute = now - now % 60
            if not closes or closes[-1][0] < minute:
                closes.append((minute, price))
            ref = to_decimal(closes[0][1])  # the price 24 hours ago
            ticks.append(
                Tick(symbol, to_decimal(price), now, NAME, "ticker", Decimal("0.01"), ref, True)
            )
        return ticks


def _scaled(bar: Bar, factor: float) -> Bar:
    return Bar(
        bar.start,
        bar.open * factor,
        bar.high * factor,
        bar.low * factor,
        bar.close * factor,
        bar.volume,
    )
