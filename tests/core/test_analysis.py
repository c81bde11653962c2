"""The analysis runner: hub data in, analytics out, off the loop, with an alert log."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from r2kmon.analytics.frames import daily_inputs, live_inputs
from r2kmon.clock import FrozenClock
from r2kmon.hub import Hub
from r2kmon.model import Bar, ContextValue, SourceHealth, Tick
from r2kmon.runtime import analysis
from r2kmon.runtime.analysis import (
    AlertLog,
    Analysis,
    analytics_settings,
    board_symbols,
)
from r2kmon.runtime.snapshot import build_document
from r2kmon.runtime.state import AppState
from tests.core.sample import CRYPTO, MARKETS, OPEN_TS, judged, observe, seeded_hub

DAY = 86_400.0


def test_board_symbols_are_indices_etfs_btc_and_eth() -> None:
    symbols = ["BTC-USD", "ETH-USD", "SOL-USD", "^RUT", "IWM", "SPY", "^VIX", "DX-Y.NYB"]
    assert board_symbols(symbols) == ("^RUT", "IWM", "SPY", "BTC-USD", "ETH-USD")


def test_daily_inputs_split_symbols_from_context_series() -> None:
    hub = Hub(FrozenClock(OPEN_TS), simulated=False)
    hub.push_bars("IWM", "1d", [Bar(0, 1, 2, 0.5, 1.5, 10), Bar(DAY, 1.5, 2, 1, 1.8, 20)], "yahoo")
    hub.push_bars("WALCL", "1d", [Bar(0, 7e6, 7e6, 7e6, 7e6)], "fred")
    hub.push_context(ContextValue("btc_dominance", 57.5, "%", "coingecko", 2 * DAY))
    hub.push_context(ContextValue("fear_greed", None, "", "alternative_me", None))
    inputs = daily_inputs(hub.snapshot())
    assert list(inputs.daily) == ["IWM"]
    frame = inputs.daily["IWM"]
    assert list(frame["close"]) == [1.5, 1.8]
    assert list(frame["volume"]) == [10, 20]
    assert list(frame.index) == [pd.Timestamp("1970-01-01"), pd.Timestamp("1970-01-02")]
    assert list(inputs.context["WALCL"]) == [7e6]
    assert inputs.context["btc_dominance"].to_dict() == {pd.Timestamp("1970-01-03"): 57.5}
    assert "fear_greed" not in inputs.context  # a missing value stays missing
    assert inputs.sources["btc_dominance"] == "coingecko"


def test_live_inputs_carry_prices_and_crypto_changes() -> None:
    hub = Hub(FrozenClock(OPEN_TS), simulated=False)
    hub.push_ticks(
        [
            Tick("BTC-USD", Decimal("110"), OPEN_TS, "binance", ref_price=Decimal("100")),
            Tick("IWM", Decimal("200"), OPEN_TS, "yahoo", ref_price=Decimal("199")),
        ]
    )
    live, changes = live_inputs(hub.snapshot())
    assert live["BTC-USD"].price == 110.0
    assert live["IWM"].ts == OPEN_TS
    assert changes == {"BTC-USD": pytest.approx(10.0)}


async def test_a_step_fills_board_gauge_and_correlation_then_idles() -> None:
    hub = seeded_hub()
    runner = Analysis(
        hub, analytics_settings([*CRYPTO, *MARKETS]), FrozenClock(OPEN_TS), judge=judged
    )
    assert runner.result is None
    assert runner.status.state == "waiting"
    await runner.step()
    result = runner.result
    assert result is not None
    assert [row.symbol for row in result.board] == ["^RUT", "IWM", "SPY", "BTC-USD", "ETH-USD"]
    assert result.gauge.score is not None
    assert result.correlation
    assert runner.status.state == "ready"
    assert runner.status.detail == "daily history: 5 of 5 symbols"
    version = runner.version
    await runner.step()  # nothing changed: nothing recomputed
    assert runner.version == version
    assert runner.result is result
    hub.push_ticks([Tick("BTC-USD", Decimal("200000"), OPEN_TS, "demo-crypto")])
    await runner.step()
    assert runner.version == version + 1
    btc = next(row for row in runner.result.board if row.symbol == "BTC-USD")
    assert btc.price == 200000.0
    assert btc.state in ("breakout", "testing", "confirmed")


async def test_waiting_status_counts_the_history_that_arrived() -> None:
    hub = Hub(FrozenClock(OPEN_TS), simulated=False)
    runner = Analysis(hub, analytics_settings(["^RUT", "IWM"]), FrozenClock(OPEN_TS), judge=judged)
    hub.push_health(SourceHealth("yahoo", "source", "connecting"))
    await runner.step()
    assert runner.status.state == "waiting"
    assert runner.status.detail == "daily history: 0 of 2 symbols"
    assert runner.result is None


async def test_a_failing_analytic_is_reported_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: object) -> object:
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(analysis, "prepare_daily", broken)
    hub = seeded_hub()
    runner = Analysis(
        hub, analytics_settings([*CRYPTO, *MARKETS]), FrozenClock(OPEN_TS), judge=judged
    )
    await runner.step()
    assert runner.status.state == "error"
    assert "ZeroDivisionError: boom" in runner.status.detail
    assert runner.result is None
    await runner.step()  # not retried in a loop while the data is unchanged
    assert runner.status.state == "error"


def test_alert_log_reports_sources_going_down_and_back() -> None:
    log = AlertLog()
    hub = Hub(FrozenClock(OPEN_TS), simulated=False)
    hub.push_health(SourceHealth("binance", "feed", "ok"))
    assert not observe(log, hub.snapshot(), None, OPEN_TS)  # first sight: nothing to say
    hub.push_health(SourceHealth("binance", "feed", "down", last_error="HTTP 451"))
    assert observe(log, hub.snapshot(), None, OPEN_TS + 1)
    hub.push_health(SourceHealth("binance", "feed", "ok"))
    observe(log, hub.snapshot(), None, OPEN_TS + 2)
    assert [(a.level, a.source, a.message) for a in log.alerts] == [
        ("error", "binance", "down: HTTP 451"),
        ("info", "binance", "back to ok"),
    ]


def test_alert_log_says_a_source_is_down_once_across_its_retries() -> None:
    """A feed retrying is "connecting" between two failed attempts; ten retries are one
    "down" line, not ten."""
    log = AlertLog()
    hub = Hub(FrozenClock(OPEN_TS), simulated=False)
    hub.push_health(SourceHealth("binance", "feed", "ok"))
    observe(log, hub.snapshot(), None, OPEN_TS)
    for attempt in range(10):
        hub.push_health(SourceHealth("binance", "feed", "down", last_error="refused"))
        observe(log, hub.snapshot(), None, OPEN_TS + 2 * attempt + 1)
        hub.push_health(SourceHealth("binance", "feed", "connecting", last_error="refused"))
        observe(log, hub.snapshot(), None, OPEN_TS + 2 * attempt + 2)
    assert [(a.source, a.message) for a in log.alerts] == [("binance", "down: refused")]


async def test_alert_log_reports_breakout_state_changes() -> None:
    hub = seeded_hub()
    runner = Analysis(
        hub, analytics_settings([*CRYPTO, *MARKETS]), FrozenClock(OPEN_TS), judge=judged
    )
    await runner.step()
    assert runner.result is not None
    before = {row.symbol: row.state for row in runner.result.board}
    log = AlertLog()
    observe(log, hub.snapshot(), runner.result, OPEN_TS)
    changed = replace(
        runner.result,
        board=tuple(
            replace(row, state="breakout") if row.symbol == "^RUT" else row
            for row in runner.result.board
        ),
    )
    assert observe(log, hub.snapshot(), changed, OPEN_TS + 60)
    (alert,) = log.alerts
    assert alert.source == "^RUT"
    assert alert.message.startswith(f"{before['^RUT']} → breakout")


async def test_net_liquidity_through_every_layer_matches_the_worked_value() -> None:
    """FRED files → the fred parser → the hub → the analysis: units agree across layers.

    The fixture README works it out by hand for 2024-01-03:
    7681.024 - 758.448 - 719.897 = 6202.679 $bn.
    """
    from r2kmon.sources.fred import parse_fredgraph_text
    from tests.paths import HTTP_FIXTURES

    fixtures = HTTP_FIXTURES / "fred"
    files = {
        "WALCL": "WALCL_fredgraph_2023-12-27_2024-01-10.csv",
        "WTREGEN": "WTREGEN_fredgraph_2023-12-27_2024-01-10.csv",
        "RRPONTSYD": "RRPONTSYD_fredgraph_2023-12-29_2024-01-04_holiday_gap.csv",
    }
    day = pd.Timestamp("2024-01-03").timestamp()
    hub = Hub(FrozenClock(day + DAY), simulated=False)
    for series_id, name in files.items():
        series = parse_fredgraph_text((fixtures / name).read_text(), series_id)
        bars = [bar for bar in series.bars() if bar.start <= day]  # as seen on 2024-01-03
        hub.push_bars(series_id, "1d", bars, "fred")
    # the analytics need some market history to run at all
    hub.push_bars("IWM", "1d", [Bar(day - i * DAY, 1, 1, 1, 1) for i in range(5, -1, -1)], "y")
    runner = Analysis(hub, analytics_settings(["IWM"]), FrozenClock(day + DAY), judge=judged)
    await runner.step()
    assert runner.result is not None
    net = next(c for c in runner.result.context if c.name == "net_liquidity")
    assert net.value == pytest.approx(6202.679e9, rel=1e-6)


def _walk_bars(start: float, days: int, step_days: float, seed: int) -> list[Bar]:
    rng = np.random.default_rng(seed)
    closes = 100 * np.exp(np.cumsum(rng.normal(0.001, 0.02, days)))
    return [
        Bar(start + i * step_days * DAY, float(c), float(c), float(c), float(c), 1e6)
        for i, c in enumerate(closes)
    ]


@pytest.mark.timeout(120)
async def test_the_track_record_replays_after_the_first_result_and_reaches_the_snapshot() -> None:
    """The replay starts once the first live result exists (it never delays the first
    screen), runs in the background, and its record lands in ``snapshot --json``."""
    start = OPEN_TS - 160 * DAY
    hub = Hub(FrozenClock(OPEN_TS), simulated=False)
    for i, symbol in enumerate(("^RUT", "IWM", "SPY")):
        hub.push_bars(symbol, "1d", _walk_bars(start, 150, 1.0, i), "yahoo")
    # BTC from 40 days before the first ^RUT day: its 30-day momentum exists on every day.
    hub.push_bars("BTC-USD", "1d", _walk_bars(start - 40 * DAY, 200, 1.0, 9), "backfill")
    runner = Analysis(
        hub, analytics_settings(["BTC-USD", "^RUT", "IWM", "SPY"]), FrozenClock(OPEN_TS),
        judge=judged,
    )  # fmt: skip
    assert runner.track_record is None
    await runner.step()
    assert runner.result is not None
    version = runner.version
    await runner.finish_track_record(100.0)
    record = runner.track_record
    assert record is not None
    assert record.scored_days == 150  # every ^RUT day, each with BTC's momentum at least
    assert runner.version > version  # the UI redraws when it arrives
    state = AppState(hub.snapshot(), runner.result, track_record=record)
    document = build_document(state, OPEN_TS)["track_record"]
    assert document["scored_days"] == 150
    assert [b["band"] for b in document["bands"]] == ["risk-off", "neutral", "risk-on"]
    assert sum(b["days"] for b in document["bands"]) == 150
    # Not twice on the same day.
    task = runner._track_task
    await runner.step()
    assert runner._track_task is task
