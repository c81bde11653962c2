"""Simulated market context for ``--demo``: liquidity series, BTC dominance, sentiment.

Pushed under the same names the real sources use (FRED series ids as daily bars, the
context names of ``sources/``), so the macro pane, the gauge and ``snapshot`` show every
part of the pipeline working. Everything is marked simulated.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from dataclasses import dataclass

from r2kmon.clock import Clock
from r2kmon.model import Bar, ContextValue, Sink, SourceHealth
from r2kmon.sim.walk import Walk

NAME = "demo-context"
DAY = 86_400.0
WEEK = 7 * DAY
HISTORY_WEEKS = 2 * 52

# (series, start level in USD bn, annual volatility, step): rough 2026 magnitudes.
_LIQUIDITY = (
    ("WALCL", 6_600.0, 0.04, WEEK, "fed_total_assets", "Fed total assets (H.4.1)"),
    ("WTREGEN", 820.0, 0.35, WEEK, "treasury_general_account", "Treasury account"),
    ("RRPONTSYD", 60.0, 0.9, DAY, "reverse_repo", "Overnight reverse repo"),
)


@dataclass(frozen=True)
class SimContextSettings:
    """How often the simulated context moves."""

    seed: int
    poll_s: float = 60.0


class SimContext:
    """A :class:`~r2kmon.model.Producer` of simulated macro and crypto-market context."""

    def __init__(self, settings: SimContextSettings, clock: Clock) -> None:
        self._settings = settings
        self._clock = clock
        self._rng = random.Random(settings.seed ^ 0xC0FFEE)
        self._dominance = Walk(random.Random(self._rng.getrandbits(64)), 57.0, 0.15, 0.0)
        self._fear = 50.0

    @property
    def name(self) -> str:
        return NAME

    async def run(self, sink: Sink) -> None:
        sink.push_health(SourceHealth(NAME, "source", "connecting", simulated=True))
        self.backfill(sink)
        while True:
            now = self._clock.now()
            for value in self.values(now):
                sink.push_context(value)
            sink.push_health(SourceHealth(NAME, "source", "ok", last_ok=now, simulated=True))
            await asyncio.sleep(self._settings.poll_s)

    def backfill(self, sink: Sink) -> None:
        """Two years of the liquidity series, weekly or daily as FRED publishes them."""
        now = self._clock.now()
        today = now - now % DAY
        for series_id, level, vol, step, name, _label in _LIQUIDITY:
            walk = Walk(random.Random(self._rng.getrandbits(64)), level, vol, 0.0)
            count = int(HISTORY_WEEKS * WEEK / step)
            starts = [today - (count - i) * step for i in range(count)]
            bars: list[Bar] = []
            for start in starts:
                price = walk.step(step)
                bars.append(Bar(start, price, price, price, price))
            sink.push_bars(series_id, "1d", bars, NAME)
            sink.push_context(
                ContextValue(name, bars[-1].close, "USD bn", NAME, bars[-1].start, True)
            )

    def values(self, now: float) -> Sequence[ContextValue]:
        """BTC dominance and the Fear & Greed index, moved a little since the last call."""
        dominance = min(75.0, max(35.0, self._dominance.step(self._settings.poll_s)))
        # Sentiment drifts back towards neutral, as the real index tends to.
        self._fear += (50.0 - self._fear) * 0.02 + self._rng.gauss(0.0, 2.0)
        self._fear = min(100.0, max(0.0, self._fear))
        return [
            ContextValue("btc_dominance", round(dominance, 2), "%", NAME, now, True),
            ContextValue("fear_greed", round(self._fear), "index 0-100", NAME, now, True),
        ]
