"""The demo worth showing (issue 14): a simulated history in the range of the real assets,
several exchanges with failover, sample holdings and rules marked as examples, and the
scripted ``^RUT`` breakout, each driven through the pipeline on a frozen clock."""

from __future__ import annotations

import csv
import itertools
import math
import statistics
from collections.abc import Sequence
from pathlib import Path

import pytest

from r2kmon.clock import FrozenClock
from r2kmon.config import Config, parse_config
from r2kmon.model import Bar
from r2kmon.model.state import AppState
from r2kmon.runtime import Runtime
from r2kmon.sim import history
from r2kmon.sim.feed import SimFeed, SimFeedSettings
from r2kmon.sim.market import SimMarkets
from r2kmon.ui.views.crypto import others_text
from tests.core.sample import CRYPTO, OPEN_TS, WEEKEND_TS, seeded_snapshot
from tests.paths import HISTORY

SEEDS = (7, 1, 2, 3, 4)  # the default seed and a few others: the ranges hold for any


def closes(bars: Sequence[Bar]) -> list[float]:
    return [b.close for b in bars]


def annual_vol(values: Sequence[float], per_year: int) -> float:
    returns = [math.log(b / a) for a, b in itertools.pairwise(values)]
    return statistics.stdev(returns) * math.sqrt(per_year)


# The real assets over the six years to their files' last day (../shared/data/history,
# see sim/history.py): last close, close six years before, all-time high, volatility.
# Each simulated number must fall in a stated band around the real one.
REAL = {
    "BTC-USD": (68_792.0, 6_716.0, 124_753.0, 0.58, 365),
    "ETH-USD": (2_060.0, 138.0, 4_831.0, 0.79, 365),
    "^RUT": (2_664.0, 1_696.0, 2_719.0, 0.27, 252),
    "IWM": (264.6, 157.5, 269.8, 0.27, 252),
    "SPY": (689.4, 310.5, 695.5, 0.21, 252),
}


@pytest.mark.parametrize("seed", SEEDS)
def test_simulated_history_is_in_the_range_of_the_real_assets(seed: int) -> None:
    snap = seeded_snapshot(seed=seed)
    for symbol, (last, first, high, vol, per_year) in REAL.items():
        values = closes(snap.bars_1d[symbol])
        # today's level: the real one give or take the demo's few percent of jitter
        assert 0.85 * last < values[-1] < 1.18 * last, symbol
        # six years ago: the same order of magnitude (BTC was 6,716, not 60,000 or 600)
        assert 0.4 * first < values[0] < 2.0 * first, symbol
        # the all-time high: above today, within 2.5 times it (BTC's real one: 1.81 times;
        # before issue 14 the demo's was 1,740,865)
        ratio = max(values) / values[-1]
        assert 1.0 <= ratio < 2.5, (symbol, ratio)
        assert ratio * values[-1] < 2.5 * high, symbol
        # annualised volatility of daily closes within a fifth of the real one
        assert 0.8 * vol < annual_vol(values, per_year) < 1.2 * vol, symbol
    vix = closes(snap.bars_1d["^VIX"])
    assert min(vix) >= 9
    assert max(vix) < 90
    assert 11 < statistics.median(vix) < 25


@pytest.mark.parametrize("seed", SEEDS)
def test_eth_btc_against_its_200_day_average_is_plausible(seed: int) -> None:
    snap = seeded_snapshot(seed=seed)
    ratio = [
        e / b
        for e, b in zip(
            closes(snap.bars_1d["ETH-USD"]), closes(snap.bars_1d["BTC-USD"]), strict=True
        )
    ]
    gap = ratio[-1] / statistics.fmean(ratio[-200:]) - 1
    # the real gap's 1st-99th percentile over six years: -38 % … +83 % (was -39 % here)
    assert -0.38 < gap < 0.83
    assert 0.3 < annual_vol(ratio, 365) < 0.65  # the real ETH/BTC: 0.46


def test_assets_move_together_as_much_as_the_real_ones() -> None:
    snap = seeded_snapshot()
    btc = {b.start: b.close for b in snap.bars_1d["BTC-USD"]}
    eth = closes(snap.bars_1d["ETH-USD"])

    def returns(values: Sequence[float]) -> list[float]:
        return [math.log(b / a) for a, b in itertools.pairwise(values)]

    # ETH~BTC daily: 0.81 in the real history; independent walks gave 0
    assert 0.65 < statistics.correlation(returns(list(btc.values())), returns(eth)) < 0.92
    rut = snap.bars_1d["^RUT"]
    days = [b.start for b in rut if b.start in btc]
    rut_on = {b.start: b.close for b in rut}
    r = returns([rut_on[d] for d in days])
    b = returns([btc[d] for d in days])
    assert 0.2 < statistics.correlation(r, b) < 0.6  # the real BTC~^RUT: 0.40
    iwm = closes(snap.bars_1d["IWM"])
    assert statistics.correlation(returns(closes(rut)), returns(iwm)) > 0.97  # IWM tracks it


def _real(name: str) -> list[float]:
    with (HISTORY / name).open() as file:
        return [float(row["close"]) for row in csv.DictReader(file)]


@pytest.mark.history
def test_the_constants_are_those_of_the_real_history() -> None:
    """The numbers written in sim/history.py agree with the files they came from."""
    for name, profile, per_year in (
        ("BTC-USD.csv", history.CRYPTO["BTC"], 365),
        ("ETH-USD.csv", history.CRYPTO["ETH"], 365),
        ("RUT.csv", history.MARKETS["^RUT"], 252),
    ):
        values = _real(name)
        back = values[-1 - history.HISTORY_YEARS * per_year]
        assert profile.now == pytest.approx(values[-1], rel=0.01), name
        assert profile.then == pytest.approx(back, rel=0.05), name
        window = values[-1 - history.HISTORY_YEARS * per_year :]
        assert profile.vol == pytest.approx(annual_vol(window, per_year), rel=0.05), name
    rut = _real("RUT.csv")
    assert rut[-1] / max(rut) == pytest.approx(history.RUT_UNDER_HIGH, abs=0.005)
    assert _real("IWM.csv")[-1] / rut[-1] == pytest.approx(
        history.MARKETS["IWM"].now / history.MARKETS["^RUT"].now, rel=0.01
    )


# --- several exchanges --------------------------------------------------------------


async def test_several_exchanges_stream_and_the_first_fails_over_and_back() -> None:
    clock = FrozenClock(OPEN_TS)
    feed = SimFeed(SimFeedSettings(CRYPTO, 7, 4.0), clock)
    runtime = Runtime(Config(), demo=True, clock=clock, producers=[feed])
    hub = runtime.hub
    feed.backfill(hub)

    async def at(seconds: float) -> AppState:
        while clock.now() < OPEN_TS + seconds:
            clock.advance(1.0)
            feed.emit(hub, clock.now(), 1.0)
            await runtime.analysis.step()
        return runtime.state()

    state = await at(10)
    snap = state.hub
    assert {q.source for s, q in snap.quotes.items() if s in CRYPTO} == {"demo-binance"}
    spreads = []
    for symbol in CRYPTO:
        others = snap.standby[symbol]
        assert set(others) == {"demo-coinbase", "demo-kraken"}
        spreads += [abs(float(q.price / snap.quotes[symbol].price) - 1) for q in others.values()]
    # a few basis points apart, as real venues are (a cent can round one away)
    assert max(spreads) < 0.001
    assert sum(1 for s in spreads if s > 0) >= 4
    feeds = [h for h in snap.health.values() if h.kind == "feed"]
    text = others_text(snap.quotes["BTC-USD"], snap.standby["BTC-USD"], feeds).plain
    assert text.startswith("demo-coinbase ")
    assert "bp), demo-kraken " in text
    assert "demo-crypto" not in text  # the summary record is no exchange

    state = await at(45)  # the scripted outage of the first exchange
    snap = state.hub
    assert snap.health["demo-binance"].status == "down"
    assert {q.source for s, q in snap.quotes.items() if s in CRYPTO} == {"demo-coinbase"}
    assert set(snap.standby["BTC-USD"]) == {"demo-kraken"}
    feeds = [h for h in snap.health.values() if h.kind == "feed"]
    text = others_text(snap.quotes["BTC-USD"], snap.standby["BTC-USD"], feeds).plain
    assert text.startswith("demo-binance down, demo-kraken ")
    assert state.freshness_of("BTC-USD") == "live"  # the takeover lost nothing

    state = await at(90)  # back, and serving again
    assert {q.source for s, q in state.hub.quotes.items() if s in CRYPTO} == {"demo-binance"}
    lines = [(a.source, a.message) for a in state.alerts]
    assert ("demo-binance", "back to ok") in lines
    assert any(s == "demo-binance" and m.startswith("down: simulated outage") for s, m in lines)


# --- sample holdings and rules ------------------------------------------------------


def test_the_demo_brings_example_holdings_and_rules_and_keeps_no_store(tmp_path: Path) -> None:
    config_file = tmp_path / "config.toml"
    config_file.write_text("[general]\nprivate = false\n")
    runtime = Runtime(parse_config(config_file.read_text(), config_file), demo=True,
                      clock=FrozenClock(OPEN_TS))  # fmt: skip
    holdings = runtime.config.holdings
    assert [h.symbol for h in holdings] == ["BTC-USD", "ETH-USD", "SOL-USD", "IWM", "SPY"]
    assert all(h.example for h in holdings)
    rules = runtime.config.alerts
    assert {r.describe() for r in rules} >= {"^RUT → breakout", "demo-binance down for 0.5 min"}
    assert all(r.note.startswith("demo example") for r in rules)
    assert [s.rule for s in runtime.state().rules] == list(rules)
    # never written: not to the config, and the demo has no store
    assert config_file.read_text() == "[general]\nprivate = false\n"
    assert runtime.store is None

    # a config with holdings and rules of its own keeps them, in the demo too
    own = parse_config(
        '[[holdings]]\nsymbol = "BTC-USD"\nquantity = 1\n'
        '[[alerts]]\nsymbol = "BTC-USD"\nabove = 200000\n',
        config_file,
    )
    runtime = Runtime(own, demo=True, clock=FrozenClock(OPEN_TS))
    assert [(h.symbol, h.example) for h in runtime.config.holdings] == [("BTC-USD", False)]
    assert [r.describe() for r in runtime.config.alerts] == ["BTC-USD above 200,000.00"]
    # and without --demo nothing is added
    assert Runtime(Config(), demo=False, producers=[]).config.holdings == ()


# --- the scripted moment ------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_rut_starts_testing_its_all_time_high_whatever_the_seed_and_day(seed: int) -> None:
    """The board's ^RUT row at the start reads testing against the all-time high, not an
    old episode of another level (a run on 2026-12-06 started on 'failed')."""
    import pandas as pd

    from r2kmon.analytics.breakout import BoardSettings, board_row, run
    from r2kmon.hub import Hub
    from r2kmon.sim.market import SimMarketSettings
    from tests.core.sample import weekdays_open

    for day in range(0, 40, 7):
        now = OPEN_TS + day * 86_400 + seed * 3_600
        clock = FrozenClock(now)
        hub = Hub(clock, simulated=True)
        SimMarkets(SimMarketSettings(("^RUT",), seed), clock, weekdays_open).backfill(hub)
        bars = hub.snapshot().bars_1d["^RUT"]
        series = pd.Series(
            [b.close for b in bars], index=pd.to_datetime([b.start for b in bars], unit="s")
        )
        row = board_row(run("^RUT", series, BoardSettings()), None)
        assert (row.state, row.resistance_kind) == ("testing", "all_time_high"), (seed, day)
        assert row.distance_pct == pytest.approx(-1.8, abs=0.01)


@pytest.mark.parametrize("start", [OPEN_TS, WEEKEND_TS], ids=["market open", "market closed"])
async def test_the_demo_walks_rut_through_a_breakout_within_two_minutes(start: float) -> None:
    """The app's own demo producers and rules on a frozen clock advanced by hand: the
    board, the gauge and the alert log show ``^RUT`` breaking out."""
    clock = FrozenClock(start)
    runtime = Runtime(Config(), demo=True, clock=clock)
    feed = next(p for p in runtime.producers if isinstance(p, SimFeed))
    markets = next(p for p in runtime.producers if isinstance(p, SimMarkets))
    hub = runtime.hub
    feed.backfill(hub)
    markets.backfill(hub)
    await runtime.analysis.step()

    def rut_state(state: AppState) -> str | None:
        assert state.analytics is not None
        return next(r.state for r in state.analytics.board if r.symbol == "^RUT")

    def breakout_note(state: AppState) -> str:
        assert state.analytics is not None
        assert state.analytics.gauge is not None
        return next(c.note for c in state.analytics.gauge.components if c.name == "breakout")

    before = runtime.state()
    assert rut_state(before) == "testing"  # the history ends 1.8 % under the high
    assert "^RUT testing" in breakout_note(before)
    broke_at = None
    while clock.now() < start + 180:
        clock.advance(5.0)
        feed.emit(hub, clock.now(), 5.0)
        hub.push_ticks(markets.poll(clock.now()))
        await runtime.analysis.step()
        if broke_at is None and rut_state(runtime.state()) == "breakout":
            broke_at = clock.now() - start
    assert broke_at is not None
    assert 30 <= broke_at <= 120
    after = runtime.state()
    assert rut_state(after) == "breakout"
    assert "^RUT breakout" in breakout_note(after)
    messages = [(a.source, a.message) for a in after.alerts]
    assert any(s == "^RUT" and m.startswith("testing → breakout") for s, m in messages)
    assert any(
        s == "^RUT" and m.startswith("SIMULATED: ^RUT → breakout") and "demo example" in m
        for s, m in messages
    )
    assert all(q.simulated for q in after.hub.quotes.values())
