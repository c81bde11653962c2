"""The entry point on real history: JSON shape, explainable gauge, and the incremental
live path agreeing with a full replay."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import pandas as pd
import pytest

from r2kmon.analytics import (
    AnalyticsInputs,
    AnalyticsSettings,
    LivePrice,
    compute_all,
    compute_live,
    prepare_daily,
)
from r2kmon.analytics.breakout import BoardSettings, run, with_live_price
from r2kmon.analytics.compute import ALT_BASKET
from r2kmon.analytics.gauge import DEFAULT_WEIGHTS
from r2kmon.analytics.series import clean_closes, epoch
from tests.analytics.an_history import close, frame

pytestmark = pytest.mark.history

STATES = {"below", "testing", "breakout", "confirmed", "failed", "retest"}


def _inputs(until: str, live: dict[str, LivePrice] | None = None) -> AnalyticsInputs:
    names = {"^RUT": "RUT", "IWM": "IWM", "SPY": "SPY", "^GSPC": "GSPC",
             "BTC-USD": "BTC-USD", "ETH-USD": "ETH-USD"}  # fmt: skip
    daily = {s: frame(f).loc[:until] for s, f in names.items()}
    alt = frame("ALT_BASKET_MCAP_daily_cmc_2013_2021")["alt_mcap"]
    return AnalyticsInputs(
        daily,
        {ALT_BASKET: alt},
        live or {},
        sources={s: "history" for s in names},
    )


def test_snapshot_sections_on_the_2025_breakout_day() -> None:
    result = compute_all(_inputs("2025-09-18"), AnalyticsSettings())
    doc = result.to_json()
    text = json.dumps(doc, allow_nan=False)
    assert "NaN" not in text
    board = {r.symbol: r for r in result.board}
    assert board["^RUT"].state == "breakout"
    assert board["^RUT"].resistance == pytest.approx(2442.73999)
    assert board["^RUT"].resistance_kind == "all_time_high"
    for row in result.board:
        assert row.state in STATES
    gauge = result.gauge
    assert gauge.score is not None
    assert 0 <= gauge.score <= 100
    assert {c.name for c in gauge.components} == set(DEFAULT_WEIGHTS)
    contributions = [c.contribution for c in gauge.components if c.contribution is not None]
    assert math.fsum(contributions) == pytest.approx(gauge.score)
    present = sum(c.weight for c in gauge.components if c.score is not None)
    assert gauge.coverage == pytest.approx(present / sum(DEFAULT_WEIGHTS.values()))
    assert gauge.change is not None
    # The breakout component is explainable from the board rows it names.
    bk = next(c for c in gauge.components if c.name == "breakout")
    assert "^RUT breakout" in bk.note
    pairs = {(c.a, c.b, c.window_days) for c in result.correlation}
    assert ("^RUT", "BTC-USD", 30) in pairs
    assert ("SPY", "ETH-USD", 90) in pairs
    context = doc["context"]
    assert isinstance(context, dict)
    assert context["rs:IWM/SPY"]["source"] == "history"
    assert context["flows"]["label"] == "money-flow proxy — not fund flows"


def test_index_trend_component_matches_pandas() -> None:
    result = compute_all(_inputs("2020-11-13"), AnalyticsSettings())
    rut = close("RUT").loc[:"2020-11-13"]
    want = (rut.iloc[-1] / rut.tail(200).mean() - 1) * 100
    c = next(c for c in result.gauge.components if c.name == "index_trend")
    assert c.value == pytest.approx(want, rel=1e-9)
    assert c.score == pytest.approx(min(100.0, max(0.0, 50 + 50 * want / 10)))


def test_live_price_equal_to_next_close_matches_full_replay() -> None:
    # The incremental path (levels once per day, one machine step per live price) must
    # agree with replaying the day's close through the whole history.
    rut = clean_closes(close("RUT"))
    cfg = BoardSettings()
    for day in ["2020-11-12", "2020-11-13", "2020-11-16", "2025-09-17", "2025-09-18",
                "2025-09-24", "2004-04-05", "2004-04-06"]:  # fmt: skip
        d = pd.Timestamp(day)
        full = run("^RUT", rut.loc[:d], cfg)
        before = run("^RUT", rut[rut.index < d], cfg)
        live = with_live_price(before, float(rut[d]), d)
        assert live.states == full.states, day
        # A provisional daily row of the same date is replaced by the live price.
        same_day = with_live_price(full, float(rut[d]), d)
        assert same_day.states == full.states, day


def test_compute_live_uses_live_prices_and_keeps_daily_parts() -> None:
    state = prepare_daily(_inputs("2025-09-17"), AnalyticsSettings())
    ts = epoch(pd.Timestamp("2025-09-18")) + 20 * 3600  # 20:00 UTC, before the close
    result = compute_live(state, {"^RUT": LivePrice(2467.70, ts)})
    row = next(r for r in result.board if r.symbol == "^RUT")
    assert row.state == "breakout"
    assert row.as_of == ts
    assert row.price == 2467.70
    # Correlations are daily: the live price leaves them alone.
    assert result.correlation == compute_live(state).correlation
    # The gauge's change is measured against the last daily close's gauge.
    assert result.gauge.change is not None
    assert state.close_score is not None
    assert result.gauge.score is not None
    assert result.gauge.change == pytest.approx(result.gauge.score - state.close_score)


def test_stale_live_price_is_ignored() -> None:
    state = prepare_daily(_inputs("2025-09-18"), AnalyticsSettings())
    old = epoch(pd.Timestamp("2025-09-01"))
    result = compute_live(state, {"^RUT": LivePrice(1.0, old)})
    row = next(r for r in result.board if r.symbol == "^RUT")
    assert row.price == pytest.approx(2467.699951)


def test_snapshot_board_rows_keep_their_keys_and_add_every_level() -> None:
    doc = compute_all(_inputs("2024-07-16"), AnalyticsSettings()).to_json()
    board = doc["board"]
    assert isinstance(board, list)
    rut = next(r for r in board if r["symbol"] == "^RUT")
    # The DESIGN.md contract keys (and the two extra ones) are still there, unchanged.
    assert list(rut) == [
        "symbol", "price", "resistance", "resistance_kind", "resistance_date",
        "distance_pct", "state", "since", "as_of", "levels",
    ]  # fmt: skip
    kinds = [level["resistance_kind"] for level in rut["levels"]]
    assert kinds == ["all_time_high", "multi_year_high", "52_week_high"]
    states = {level["resistance_kind"]: level["state"] for level in rut["levels"]}
    assert states == {
        "all_time_high": "below",
        "multi_year_high": "below",
        "52_week_high": "confirmed",
    }
    (matters,) = [level for level in rut["levels"] if level["matters"]]
    # The row's own fields are those of the level that matters.
    assert {k: v for k, v in matters.items() if k != "matters"} == {
        k: rut[k]
        for k in ("resistance", "resistance_kind", "resistance_date", "distance_pct", "state",
                  "since")
    }  # fmt: skip
    json.dumps(doc, allow_nan=False)


def test_the_series_the_screen_draws_come_with_the_daily_state() -> None:
    """The correlation charts' series, the matrix and the ratio are daily products: made
    by ``prepare_daily`` for every configured pair, carried unchanged by the live path."""
    settings = replace(AnalyticsSettings(), matrix_symbols=("SPY", "BTC-USD", "SOL-USD", "^RUT"))
    state = prepare_daily(_inputs("2025-09-18"), settings)
    result = compute_live(state, {"^RUT": LivePrice(2467.70, epoch(pd.Timestamp("2025-09-19")))})
    assert {(s.a, s.b, s.window_days) for s in result.correlation_series} == {
        (a, b, w) for a, b in settings.correlation_pairs for w in settings.correlation_windows
    }
    rut_btc = next(
        s for s in result.correlation_series if (s.a, s.b, s.window_days) == ("^RUT", "BTC-USD", 30)
    )
    latest = next(
        c for c in result.correlation if (c.a, c.b, c.window_days) == ("^RUT", "BTC-USD", 30)
    )
    assert rut_btc.days[-1] == latest.as_of
    assert rut_btc.values[-1] == pytest.approx(latest.value)
    matrix = result.correlation_matrix
    assert matrix is not None
    assert matrix.symbols == ("SPY", "BTC-USD", "^RUT")  # in the order asked; no SOL history
    assert matrix.window_days == settings.matrix_window
    assert {(r.numerator, r.denominator) for r in result.ratio_series} == set(
        settings.relative_strength_pairs
    )
    iwm_spy = next(r for r in result.ratio_series if r.numerator == "IWM")
    rs = result.to_json()["context"]
    assert isinstance(rs, dict)
    assert iwm_spy.days[-1] == epoch(pd.Timestamp("2025-09-18"))
    assert iwm_spy.values[-1] == pytest.approx(rs["rs:IWM/SPY"]["value"])
    # the live price moved the board, not the daily series
    again = compute_live(state)
    assert again.correlation_series is result.correlation_series
    assert again.correlation_matrix is result.correlation_matrix
    assert again.ratio_series is result.ratio_series
    assert "correlation_series" not in result.to_json()
