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
from r2kmon.sim import history
from r2kmon.sim.walk import YEAR_S, Basket, to_decimal

NAME = "demo-markets"
DAY = 86_400
PROBE_S = 16 * 3600
"""Mid-session in UTC (11:00 or 12:00 in New York) on any trading day, half days included:
the time at which the calendar is asked whether a date was a session."""

CLOSE_S = 21 * 3600
"""A session's close in UTC (16:00 New York in winter), used as the time of the last price
of a closed session."""

# Typical daily share volume of the ETFs (indices trade no shares of their own).
_VOLUME = {"IWM": 30e6, "SPY": 60e6}
HISTORY_DAYS = history.HISTORY_YEARS * 365

_LEADER = "^RUT"

SESSION_S = 6.5 * 3600
TRADING_TIME = (YEAR_S / 252) / SESSION_S
"""Volatility is quoted per year of 252 sessions: one second of session time moves a price
as much as this many seconds of a 24/7 market would."""


SCRIPT_AFTER_S = 20.0
"""Seconds after the start at which the scripted moment begins: ``^RUT``, whose history
ends in the ``testing`` band under its all-time high, climbs through it."""
SCRIPT_S = 60.0
"""How long the climb takes: the level is crossed about two thirds of the way through,
within a minute and a half of the start."""
SCRIPT_PEAK = 1.012
"""Where the climb ends against the all-time high: a breakout, not yet confirmed (a close
3 % above would confirm it at once)."""


@dataclass(frozen=True)
class SimMarketSettings:
    """What the simulated source polls and how often."""

    symbols: Sequence[str]
    seed: int
    poll_s: float = 5.0
    market_hours: bool = True
    scripted: bool = True
    """Play the scripted ``^RUT`` breakout after the start (whatever the hour: it is the
    demo's moment, and the market may be shut when someone tries it)."""


class SimMarkets:
    """A :class:`~r2kmon.model.Producer` of simulated index and ETF prices."""

    def __init__(
        self, settings: SimMarketSettings, clock: Clock, is_open: Callable[[float], bool]
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._is_open = is_open if settings.market_hours else (lambda _ts: True)
        self._rng = random.Random(settings.seed ^ 0x5EED)
        profiles = {s: history.MARKETS.get(s, history.MARKETS_DEFAULT) for s in settings.symbols}
        # The indices the configured ETFs track (and the leader) are walked even when not
        # shown, so IWM moves with ^RUT whatever the config lists.
        for profile in list(profiles.values()):
            if profile.follows is not None and profile.follows not in profiles:
                profiles[profile.follows] = history.MARKETS[profile.follows]
        profiles.setdefault(_LEADER, history.MARKETS[_LEADER])
        self._profiles = profiles
        # A few percent away from the table, so no price is a suspiciously round number;
        # an ETF keeps its index's, so the two stay in proportion.
        jitter = {s: math.exp(self._rng.gauss(0.0, 0.03)) for s in profiles}
        self._jitter = {
            s: jitter[p.follows] if p.follows is not None else jitter[s]
            for s, p in profiles.items()
        }
        self._basket = Basket(
            profiles,
            _LEADER,
            {s: p.now * self._jitter[s] for s, p in profiles.items()},
            random.Random(self._rng.getrandbits(64)),
        )
        self._prev_close: dict[str, float] = {}
        self._session_day: float | None = None
        self._started: float | None = None
        self._script_done = 0.0
        """The share of the scripted climb already applied."""
        self._scripted_symbols = tuple(
            s for s in settings.symbols if s == _LEADER or profiles[s].follows == _LEADER
        )

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
        self._started = now
        sessions = self.sessions(now)
        if not sessions:
            return
        rng = random.Random(self._rng.getrandbits(64))
        days = [int(day // DAY) for day in sessions]
        closes = history.paths(self._profiles, _LEADER, days, 1 / 252, self._settings.seed, rng)
        if self._settings.scripted:
            # Only the index is shaped: the ETFs are made from it afterwards.
            history.end_under_high(
                closes[_LEADER], history.RUT_UNDER_HIGH, history.HIGH_AGE_SESSIONS
            )
            closes = self._with_followers(closes, rng)
        walk_volume = random.Random(self._settings.seed ^ 0xB01)
        for symbol in self._profiles:
            scaled = [c * self._jitter[symbol] for c in closes[symbol]]
            self._basket.prices[symbol] = scaled[-1]
            if symbol not in self._settings.symbols:
                continue
            bars = history.bars(
                scaled, sessions, self._profiles[symbol].vol, 1 / 252, rng, gaps=True
            )
            volume = _VOLUME.get(symbol, 0.0)
            if volume:
                bars = [
                    Bar(b.start, b.open, b.high, b.low, b.close,
                        round(volume * math.exp(walk_volume.gauss(0.0, 0.3))))
                    for b in bars
                ]  # fmt: skip
            sink.push_bars(symbol, "1d", bars, NAME)
            if len(bars) >= 2:
                last = bars[-1]
                self._prev_close[symbol] = bars[-2].close
                self._session_day = last.start
                ts = min(now, last.start + CLOSE_S)
                sink.push_ticks([self._tick(symbol, last.close, ts)])
        self._basket.restart()

    def _with_followers(
        self, closes: dict[str, list[float]], rng: random.Random
    ) -> dict[str, list[float]]:
        """The ETFs again, from their index's shaped closes."""
        out = dict(closes)
        for symbol, profile in self._profiles.items():
            if profile.follows is None:
                continue
            ratio = out[symbol][-1] / closes[profile.follows][-1]
            index = closes[profile.follows]
            out[symbol] = [c * ratio * math.exp(rng.gauss(0.0, 0.0005)) for c in index]
        return out

    def poll(self, now: float) -> list[Tick]:
        """New prices while the market is open; nothing while it is closed, but for the
        scripted moment's ``^RUT`` (and the ETFs tracking it)."""
        scripted = self._script(now)
        open_ = self._is_open(now)
        if not open_ and not scripted:
            return []
        day = now - now % DAY
        if day != self._session_day:
            # A new session: yesterday's last price becomes the reference for the change.
            self._prev_close = dict(self._basket.prices)
            self._session_day = day
        if open_:
            self._basket.step(self._settings.poll_s * TRADING_TIME)
        if scripted:
            self._basket.nudge(_LEADER, scripted)
        prices = self._basket.prices
        symbols = self._settings.symbols if open_ else self._scripted_symbols
        return [self._tick(symbol, prices[symbol], now) for symbol in symbols]

    def _script(self, now: float) -> float:
        """The scripted climb's log move since the previous poll (0 outside it)."""
        if not self._settings.scripted or self._started is None or self._script_done >= 1:
            return 0.0
        share = min(1.0, max(0.0, (now - self._started - SCRIPT_AFTER_S) / SCRIPT_S))
        move = math.log(SCRIPT_PEAK / history.RUT_UNDER_HIGH) * (share - self._script_done)
        self._script_done = share
        return move

    def _tick(self, symbol: str, price: float, ts: float) -> Tick:
        prev = self._prev_close.get(symbol)
        ref = to_decimal(prev) if prev is not None else None
        return Tick(symbol, to_decimal(price), ts, NAME, "bar", None, ref, True)
