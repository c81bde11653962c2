"""Seeded data for tests: a hub filled by the simulators at a frozen instant; quotes judged
as the runtime judges them."""

from __future__ import annotations

from collections.abc import Mapping

from r2kmon.clock import FrozenClock
from r2kmon.hub import Hub
from r2kmon.model import Freshness, HubSnapshot, SourceHealth
from r2kmon.model.analytics import AnalyticsResult
from r2kmon.runtime.analysis import AlertLog
from r2kmon.runtime.freshness import judge
from r2kmon.sim.feed import SimFeed, SimFeedSettings
from r2kmon.sim.market import SimMarkets, SimMarketSettings

# Tuesday 2026-11-17 15:00:00 UTC = 10:00 in New York: the market is open.
OPEN_TS = 1_794_927_600.0
# Sunday 2026-11-15 15:00:00 UTC: the market is closed.
WEEKEND_TS = 1_794_754_800.0

CRYPTO = ("BTC-USD", "ETH-USD", "SOL-USD")
MARKETS = ("^RUT", "IWM", "SPY", "^VIX")


def weekdays_open(ts: float) -> bool:
    """A stand-in calendar for tests: weekdays 14:30-21:00 UTC (no holidays)."""
    day = int(ts // 86_400)
    weekday = (day + 3) % 7  # 1970-01-01 was a Thursday (3)
    seconds = ts % 86_400
    return weekday < 5 and 14.5 * 3600 <= seconds < 21 * 3600


def seeded_snapshot(now: float = OPEN_TS, seed: int = 7, polls: int = 3) -> HubSnapshot:
    """A snapshot as the demo pipeline would hold it at ``now`` after a few polls."""
    return seeded_hub(now, seed, polls).snapshot()


def seeded_hub(now: float = OPEN_TS, seed: int = 7, polls: int = 3) -> Hub:
    """A hub filled as the demo pipeline would fill it by ``now``."""
    clock = FrozenClock(now)
    hub = Hub(clock, simulated=True, symbols=(*CRYPTO, *MARKETS))
    feed = SimFeed(SimFeedSettings(CRYPTO, seed, 4.0), clock)
    markets = SimMarkets(SimMarketSettings(MARKETS, seed), clock, weekdays_open)
    feed.backfill(hub)
    markets.backfill(hub)
    for _ in range(polls):
        feed.emit(hub, clock.now(), 0.25)  # ticks, standby prices and the exchanges' health
        hub.push_ticks(markets.poll(clock.now()))
    # what the market source's run loop reports after each round
    hub.push_health(SourceHealth(markets.name, "source", "ok", last_ok=now, simulated=True))
    return hub


def judged(snapshot: HubSnapshot, now: float) -> Mapping[str, Freshness]:
    """Each quote's freshness as the runtime judges it (here without a calendar)."""
    return judge(snapshot, None, now, 60.0).freshness


def observe(
    log: AlertLog, snapshot: HubSnapshot, result: AnalyticsResult | None, now: float
) -> bool:
    """The alert log observing ``snapshot`` with its quotes judged, as the analysis does."""
    return log.observe(snapshot, result, now, judged(snapshot, now))
