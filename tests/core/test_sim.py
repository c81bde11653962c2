"""Demo mode: seeded, realistic, clearly simulated, and through the same interfaces."""

from __future__ import annotations

import asyncio
import itertools

from r2kmon.clock import FrozenClock
from r2kmon.config import Config
from r2kmon.hub import Hub
from r2kmon.runtime import Runtime
from r2kmon.sim.feed import SimFeed, SimFeedSettings
from r2kmon.sim.market import SimMarkets, SimMarketSettings
from tests.core.sample import CRYPTO, MARKETS, OPEN_TS, WEEKEND_TS, seeded_snapshot, weekdays_open


def test_same_seed_same_prices_other_seed_other_prices() -> None:
    a, b, c = seeded_snapshot(seed=1), seeded_snapshot(seed=1), seeded_snapshot(seed=2)
    assert a.quotes == b.quotes
    assert a.bars_1m == b.bars_1m
    assert a.quotes["BTC-USD"].price != c.quotes["BTC-USD"].price


def test_everything_produced_is_marked_simulated() -> None:
    snap = seeded_snapshot()
    assert snap.simulated
    assert set(snap.quotes) == {*CRYPTO, *MARKETS}
    assert all(q.simulated and q.source.startswith("demo") for q in snap.quotes.values())


def test_crypto_has_a_day_of_minute_bars_and_years_of_daily_bars() -> None:
    snap = seeded_snapshot()
    for symbol in CRYPTO:
        minutes = snap.bars_1m[symbol]
        assert len(minutes) >= 1440
        assert all(b2.start - b1.start == 60 for b1, b2 in itertools.pairwise(minutes))
        assert len(snap.bars_1d[symbol]) > 5 * 365
        assert snap.quotes[symbol].ref_price is not None


def test_prices_are_realistic() -> None:
    snap = seeded_snapshot()
    btc = float(snap.quotes["BTC-USD"].price)
    assert 50_000 < btc < 150_000
    # a day of minute bars: no step of more than a few percent (BTC's real 1-minute moves)
    closes = [b.close for b in snap.bars_1m["BTC-USD"]]
    assert max(abs(b / a - 1) for a, b in itertools.pairwise(closes)) < 0.03
    rut = [b.close for b in snap.bars_1d["^RUT"]]
    assert max(abs(b / a - 1) for a, b in itertools.pairwise(rut)) < 0.15


def test_index_history_holds_only_trading_days() -> None:
    snap = seeded_snapshot()
    starts = [b.start for b in snap.bars_1d["^RUT"]]
    assert all(weekdays_open(s + 16 * 3600) for s in starts)
    assert 1400 < len(starts) < 1600  # about 252 sessions a year for six years


def test_indices_move_only_while_the_market_is_open() -> None:
    clock = FrozenClock(WEEKEND_TS)
    markets = SimMarkets(SimMarketSettings(MARKETS, 7), clock, weekdays_open)
    hub = Hub(clock, simulated=True)
    markets.backfill(hub)
    last_close = hub.snapshot().quotes["^RUT"]
    assert markets.poll(WEEKEND_TS) == []
    assert last_close.ts < WEEKEND_TS - 86_400  # Friday's close, shown with its real time

    clock = FrozenClock(OPEN_TS)
    markets = SimMarkets(SimMarketSettings(MARKETS, 7), clock, weekdays_open)
    markets.backfill(Hub(clock, simulated=True))
    ticks = markets.poll(OPEN_TS)
    assert {t.symbol for t in ticks} == set(MARKETS)
    assert all(t.ts == OPEN_TS and t.ref_price is not None for t in ticks)


def test_crypto_trades_on_weekends() -> None:
    clock = FrozenClock(WEEKEND_TS)
    feed = SimFeed(SimFeedSettings(CRYPTO, 7, 4.0), clock)
    assert {t.symbol for t in feed.ticks(WEEKEND_TS, 0.25)} == set(CRYPTO)


async def test_the_runtime_runs_the_producers_into_its_hub() -> None:
    clock = FrozenClock(OPEN_TS)
    config = Config()
    feed = SimFeed(SimFeedSettings(CRYPTO, 7, 50.0), clock)
    markets = SimMarkets(SimMarketSettings(MARKETS, 7, poll_s=0.01), clock, weekdays_open)
    runtime = Runtime(config, demo=True, clock=clock, producers=[feed, markets])
    task = asyncio.create_task(runtime.run())
    try:
        assert await runtime.wait_answered(10.0)
        await runtime.analysis.step()
        state = runtime.state()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    snap = runtime.hub.snapshot()
    assert snap.health["demo-crypto"].status == "ok"
    assert snap.health["demo-crypto"].simulated
    assert snap.health["demo-markets"].status == "ok"
    assert set(snap.quotes) == {*CRYPTO, *MARKETS}
    assert state.analytics is not None
    assert state.analytics_status.state == "ready"
    assert state.market is not None
    assert state.market.state == "open"  # a Tuesday at 10:00 in New York


def test_simulated_context_uses_the_real_sources_names() -> None:
    from r2kmon.sim.context import SimContext, SimContextSettings

    clock = FrozenClock(OPEN_TS)
    hub = Hub(clock, simulated=True)
    context = SimContext(SimContextSettings(7), clock)
    context.backfill(hub)
    for value in context.values(OPEN_TS):
        hub.push_context(value)
    snap = hub.snapshot()
    assert {"WALCL", "WTREGEN", "RRPONTSYD"} <= set(snap.bars_1d)
    assert len(snap.bars_1d["WALCL"]) == 104  # two years of weekly releases
    assert {"btc_dominance", "fear_greed", "fed_total_assets"} <= set(snap.context)
    assert all(v.simulated for v in snap.context.values())
    assert 0 <= (snap.context["fear_greed"].value or -1) <= 100
