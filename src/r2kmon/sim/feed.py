"""The simulated crypto feed: 24/7 ticks for every configured pair from several simulated
exchanges, with a day of 1-minute history and years of daily history pushed first, as the
real backfill does.

Like the real :class:`~r2kmon.feeds.failover.FailoverFeeds`, one exchange serves each pair
(its ticks are the quote) and the others stream it as hot standbys (their prices, a few
basis points apart, go to :meth:`~r2kmon.model.Sink.push_standby`), every exchange reports
its own health and a summary record (``demo-crypto``) sums them up. The first exchange
drops out for :attr:`SimFeedSettings.outage_s` shortly after the start and then now and
again, so the Crypto view shows a failover and the fail-back, and the alert log its lines.
"""

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
from r2kmon.sim import history
from r2kmon.sim.walk import Basket, to_decimal

NAME = "demo-crypto"
"""The summary record's name (the real feeds' is ``crypto-feeds``)."""
PREFIX = "demo-"
"""Each simulated exchange's source name is this and the exchange's key."""
DAY = 86_400.0
DAILY_HISTORY_DAYS = history.HISTORY_YEARS * 365
_STEP_YEARS = 1 / 365.25

_LEADER = "demo-leader"
"""The family's leader when no BTC pair is configured: walked, never shown."""

# Where each exchange's price sits against the common one, in basis points: a few apart,
# as USD and USDT books of the big venues are. Exchanges past the table get 0.
_OFFSETS_BP = (0.0, 1.6, -2.3, 3.1)
_NOISE_BP = 0.8


@dataclass(frozen=True)
class SimFeedSettings:
    """What the simulated feed streams and how fast."""

    symbols: Sequence[str]
    seed: int
    ticks_per_s: float
    exchanges: Sequence[str] = ("binance", "coinbase", "kraken")
    """The simulated exchanges in failover priority (sources ``demo-<key>``)."""
    outage_after_s: float = 30.0
    """Seconds after the start at which the first exchange drops out for the first time."""
    outage_s: float = 45.0
    """How long each outage lasts."""
    outage_every_s: float = 20 * 60.0
    """Seconds between the starts of two outages."""


class SimFeed:
    """A :class:`~r2kmon.model.Producer` of simulated crypto ticks from several exchanges."""

    def __init__(self, settings: SimFeedSettings, clock: Clock) -> None:
        self._settings = settings
        self._clock = clock
        self._rng = random.Random(settings.seed)
        self.exchanges: tuple[str, ...] = tuple(PREFIX + e for e in settings.exchanges)
        profiles: dict[str, history.Profile] = {}
        for symbol in settings.symbols:
            base = split_pair(symbol)[0]
            profiles[symbol] = history.CRYPTO.get(base, history.CRYPTO_DEFAULT)
        self._leader = next(
            (s for s in settings.symbols if split_pair(s)[0] == history.CRYPTO_LEADER), _LEADER
        )
        if self._leader == _LEADER:
            profiles[_LEADER] = history.CRYPTO[history.CRYPTO_LEADER]
        self._profiles = profiles
        # A few percent away from the table, so no price is a suspiciously round number.
        self._jitter = {s: math.exp(self._rng.gauss(0.0, 0.03)) for s in profiles}
        self._basket = Basket(
            profiles,
            self._leader,
            {s: p.now * self._jitter[s] for s, p in profiles.items()},
            random.Random(self._rng.getrandbits(64)),
        )
        self._minute_closes: dict[str, deque[tuple[float, float]]] = {
            symbol: deque(maxlen=24 * 60) for symbol in settings.symbols
        }
        self._started: float | None = None

    @property
    def name(self) -> str:
        return NAME

    async def run(self, sink: Sink) -> None:
        """Push history, then ticks until cancelled."""
        now = self._clock.now()
        for exchange in self.exchanges:
            sink.push_health(SourceHealth(exchange, "feed", "connecting", simulated=True))
        sink.push_health(SourceHealth(NAME, "feed", "connecting", simulated=True, summary=True))
        self.backfill(sink)
        interval = 1.0 / self._settings.ticks_per_s
        while True:
            now = self._clock.now()
            self.emit(sink, now, interval)
            await asyncio.sleep(interval)

    def backfill(self, sink: Sink) -> None:
        """Daily bars for the past years and 1-minute bars for the past day, ending now.

        The live ticks continue from where the minutes end.
        """
        now = self._clock.now()
        self._started = now
        today = now - now % DAY
        minute_now = now - now % 60
        first_day = int(today // DAY) - DAILY_HISTORY_DAYS
        days = list(range(first_day, first_day + DAILY_HISTORY_DAYS))
        history_rng = random.Random(self._rng.getrandbits(64))
        closes = history.paths(
            self._profiles, self._leader, days, _STEP_YEARS, self._settings.seed, history_rng
        )
        starts = [day * DAY for day in days]
        for symbol in self._settings.symbols:
            scaled = [c * self._jitter[symbol] for c in closes[symbol]]
            daily = history.bars(
                scaled, starts, self._profiles[symbol].vol, _STEP_YEARS, history_rng, gaps=False
            )
            sink.push_bars(symbol, "1d", daily, NAME)
        # The last day in minutes, every pair moving with the others, from the last close.
        basket = self._basket
        for symbol in self._profiles:
            basket.prices[symbol] = closes[symbol][-1] * self._jitter[symbol]
        minutes: dict[str, list[Bar]] = {s: [] for s in self._settings.symbols}
        for i in range(1440):
            start = minute_now - (1440 - i) * 60
            opens = dict(basket.prices)
            path = [basket.step(20.0).copy() for _ in range(3)]
            for symbol, bars in minutes.items():
                prices = [p[symbol] for p in path]
                high = max(opens[symbol], *prices)
                low = min(opens[symbol], *prices)
                bars.append(Bar(start, opens[symbol], high, low, prices[-1]))
        for symbol, bars in minutes.items():
            closes_1m = self._minute_closes[symbol]
            for bar in bars:
                closes_1m.append((bar.start, bar.close))
            sink.push_bars(symbol, "1m", bars, NAME)

    def serving(self, now: float) -> str | None:
        """The exchange whose ticks are the quote at ``now``: the first one that is up."""
        return next((e for e in self.exchanges if not self.down(e, now)), None)

    def down(self, exchange: str, now: float) -> bool:
        """Whether ``exchange`` is in one of its scripted outages at ``now`` (only the
        first exchange has them, and only when another can take over)."""
        s = self._settings
        if exchange != self.exchanges[0] or len(self.exchanges) < 2 or self._started is None:
            return False
        since = now - self._started - s.outage_after_s
        return since >= 0 and since % s.outage_every_s < s.outage_s

    def emit(self, sink: Sink, now: float, seconds: float) -> None:
        """One round, ``seconds`` after the previous one: the serving exchange's ticks,
        the standbys' prices, and every exchange's health."""
        serving = self.serving(now)
        standby: list[Tick] = []
        for exchange in self.exchanges:
            if exchange == serving or self.down(exchange, now):
                continue
            standby.extend(self._quotes(exchange, now))
        if serving is not None:
            sink.push_ticks(self.ticks(now, seconds, serving))
        sink.push_standby(standby)
        rate = self._settings.ticks_per_s * len(self._settings.symbols)
        for exchange in self.exchanges:
            sink.push_health(self._health(exchange, now, rate))
        sink.push_health(
            SourceHealth(NAME, "feed", "ok", last_ok=now, simulated=True, summary=True)
        )

    def ticks(self, now: float, seconds: float, exchange: str | None = None) -> list[Tick]:
        """Move every pair ``seconds`` on and return one tick per pair from ``exchange``
        (the first exchange when not given)."""
        prices = self._basket.step(seconds)
        for symbol, closes in self._minute_closes.items():
            minute = now - now % 60
            if not closes or closes[-1][0] < minute:
                closes.append((minute, prices[symbol]))
        return self._quotes(exchange or self.exchanges[0], now)

    def _quotes(self, exchange: str, now: float) -> list[Tick]:
        """Each pair at ``exchange``'s price: the common one, a few basis points off."""
        rank = self.exchanges.index(exchange)
        offset = _OFFSETS_BP[rank] if rank < len(_OFFSETS_BP) else 0.0
        ticks = []
        for symbol, closes in self._minute_closes.items():
            bp = offset + self._rng.gauss(0.0, _NOISE_BP)
            price = self._basket.prices[symbol] * (1 + bp / 10_000)
            ref = to_decimal(closes[0][1]) if closes else None  # the price 24 hours ago
            ticks.append(
                Tick(symbol, to_decimal(price), now, exchange, "ticker", Decimal("0.01"), ref, True)
            )
        return ticks

    def _health(self, exchange: str, now: float, rate: float) -> SourceHealth:
        if not self.down(exchange, now):
            return SourceHealth(
                exchange, "feed", "ok", last_ok=now, msgs_per_s=rate, simulated=True
            )
        s = self._settings
        assert self._started is not None
        since = (now - self._started - s.outage_after_s) % s.outage_every_s
        return SourceHealth(
            exchange,
            "feed",
            "down",
            last_error="simulated outage: connection closed (1006), reconnecting",
            retry_at=now - since + s.outage_s,
            simulated=True,
        )
