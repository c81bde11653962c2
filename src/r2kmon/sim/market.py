"""The simulated index source: ``^RUT``, ``IWM``, ``SPY``, ``^VIX`` and friends, moving only
while the US market is open, polled like the real HTTP source would be.

Whether the market is open is asked of an injected function (the runtime passes the NYSE
calendar), so tests can run the simulator on any day they choose.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from r2kmon.clock import Clock
from r2kmon.model import Bar, Sink, SourceHealth, Tick
from r2kmon.sim.walk import YEAR_S, Walk, to_decimal

NAME = "demo-markets"
DAY = 86_400
PROBE_S = 16 * 3600
"""Mid-session in UTC (11:00 or 12:00 in New York) on any trading day, half days included:
the time at which the calendar is asked whether a date was a session."""

CLOSE_S = 21 * 3600
"""A session's close in UTC (16:00 New York in winter), used as the time of the last price
of a closed session."""

# Rough late-2026 levels and annual volatilities; labelled SIMULATED wherever shown.
_START = {
    "^RUT": (2450.0, 0.22),
    "IWM": (242.0, 0.22),
    "SPY": (670.0, 0.16),
    "^GSPC": (6700.0, 0.16),
    "^VIX": (17.0, 0.9),
}
_DEFAULT_START = (100.0, 0.25)
# Typical daily share volume of the ETFs (indices trade no shares of their own).
_VOLUME = {"IWM": 30e6, "SPY": 60e6}
HISTORY_DAYS = 6 * 365

SESSION_S = 6.5 * 3600
TRADING_TIME = (YEAR_S / 252) / SESSION_S
"""Volatility is quoted per year of 252 sessions: one second of session time moves a price
as much as this many seconds of a 24/7 market would."""


@dataclass(frozen=True)
class SimMarketSettings:
    """What the simulated source polls and how often."""

    symbols: Sequence[str]
    seed: int
    poll_s: float = 5.0
    market_hours: bool = True


class SimMarkets:
    """A :class:`~r2kmon.model.Producer` of simulated index and ETF prices."""

    def __init__(
        self, settings: SimMarketSettings, clock: Clock, is_open: Callable[[float], bool]
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._is_open = is_open if settings.market_hours else (lambda _ts: True)
        rng = random.Random(settings.seed ^ 0x5EED)
        self._walks: dict[str, Walk] = {}
        for symbol in settings.symbols:
            price, vol = _START.get(symbol, _DEFAULT_START)
            walk_rng = random.Random(rng.getrandbits(64))
            # A few percent away from the table, so no price is a suspiciously round number.
            start = price * math.exp(walk_rng.gauss(0.0, 0.03))
            self._walks[symbol] = Walk(walk_rng, start, vol)
        self._prev_close: dict[str, float] = {}
        self._session_day: float | None = None

    @property
    def name(self) -> str:
        return NAME

    async def run(self, sink: Sink) -> None:
        """Push daily history and the last close, then poll until cancelled."""
        sink.push_health(SourceHealth(NAME, "source", "connecting", simulated=True))
        # The calendar lookups for six years take a moment: keep them off the event loop.
        await asyncio.to_thread(self.backfill, sink)
        while True:
            now = self._clock.now()
            ticks = self.poll(now)
            if ticks:
                sink.push_ticks(ticks)
            sink.push_health(SourceHealth(NAME, "source", "ok", last_ok=now, simulated=True))
            await asyncio.sleep(self._settings.poll_s)

    def sessions(self, now: float) -> list[float]:
        """Start (UTC midnight) of each trading day in the history window, oldest first."""
        today = now - now % DAY
        days = (today - i * DAY for i in range(HISTORY_DAYS, -1, -1))
        return [day for day in days if day + PROBE_S <= now and self._is_open(day + PROBE_S)]

    def backfill(self, sink: Sink) -> None:
        """Daily bars up to the last session, and a quote at the last close."""
        now = self._clock.now()
        sessions = self.sessions(now)
        walk_volume = random.Random(self._settings.seed ^ 0xB01)
        for symbol, walk in self._walks.items():
            target = walk.price
            bars = [walk.bar(day, SESSION_S * TRADING_TIME) for day in sessions]
            scale = target / walk.price if bars else 1.0
            volume = _VOLUME.get(symbol, 0.0)
            bars = [
                Bar(
                    b.start,
                    b.open * scale,
                    b.high * scale,
                    b.low * scale,
                    b.close * scale,
                    round(volume * math.exp(walk_volume.gauss(0.0, 0.3))) if volume else 0.0,
                )
                for b in bars
            ]
            walk.price = bars[-1].close if bars else target
            sink.push_bars(symbol, "1d", bars, NAME)
            if len(bars) >= 2:
                last = bars[-1]
                self._prev_close[symbol] = bars[-2].close
                self._session_day = last.start
                ts = min(now, last.start + CLOSE_S)
                sink.push_ticks([self._tick(symbol, last.close, ts)])

    def poll(self, now: float) -> list[Tick]:
        """New prices while the market is open; nothing while it is closed."""
        if not self._is_open(now):
            return []
        day = now - now % DAY
        if day != self._session_day:
            # A new session: yesterday's last price becomes the reference for the change.
            self._prev_close = {symbol: walk.price for symbol, walk in self._walks.items()}
            self._session_day = day
        return [
            self._tick(symbol, walk.step(self._settings.poll_s * TRADING_TIME), now)
            for symbol, walk in self._walks.items()
        ]

    def _tick(self, symbol: str, price: float, ts: float) -> Tick:
        prev = self._prev_close.get(symbol)
        ref = to_decimal(prev) if prev is not None else None
        return Tick(symbol, to_decimal(price), ts, NAME, "bar", None, ref, True)
