"""The gauge replayed over the real daily history, checked against a computation written
out here from the CSVs (not the analytics' code path), and its no-look-ahead property."""

from __future__ import annotations

import math
from types import MappingProxyType

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from r2kmon.analytics.breakout import machines_by_day
from r2kmon.analytics.compute import (
    AnalyticsInputs,
    AnalyticsSettings,
    close_gauge_on,
    prepare_daily,
)
from r2kmon.analytics.gauge import GaugeSettings
from r2kmon.analytics.track_record import forward_returns, replay_gauge, track_record
from r2kmon.model.track_record import TrackRecord
from tests.analytics.an_history import frame

SIMPLE = MappingProxyType(
    {"small_cap_rs": 1.0, "index_trend": 1.0, "btc_trend": 1.0, "btc_momentum": 1.0}
)
"""The components whose score is a line through one close and its moving average, so the
test can recompute them from the raw CSVs in a few lines."""


def _history_inputs() -> AnalyticsInputs:
    names = {"^RUT": "RUT", "IWM": "IWM", "SPY": "SPY", "BTC-USD": "BTC-USD"}
    return AnalyticsInputs({symbol: frame(name) for symbol, name in names.items()})


def _clip(x: float) -> float:
    return min(100.0, max(0.0, x))


def _by_hand(day: str) -> tuple[float, float]:
    """The gauge of :data:`SIMPLE` at ``day``'s close, from the CSV rows up to ``day``:
    (score, coverage)."""
    d = pd.Timestamp(day)
    rut = frame("RUT")["close"].loc[:d]
    btc = frame("BTC-USD")["close"].loc[:d]
    iwm = frame("IWM")["close"].loc[:d]
    spy = frame("SPY")["close"].loc[:d]
    ratio = (iwm / spy).dropna()
    scores = {
        "index_trend": _clip(50 + 50 * (rut.iloc[-1] / rut.iloc[-200:].mean() - 1) * 100 / 10),
        "btc_trend": _clip(50 + 50 * (btc.iloc[-1] / btc.iloc[-200:].mean() - 1) * 100 / 30),
        "btc_momentum": _clip(
            50 + 50 * (btc.iloc[-1] / btc.loc[: d - pd.Timedelta(days=30)].iloc[-1] - 1) * 100 / 20
        ),
        "small_cap_rs": _clip(50 + 50 * (ratio.iloc[-1] / ratio.iloc[-200:].mean() - 1) * 100 / 5),
    }
    return sum(scores.values()) / 4, 1.0


@pytest.mark.history
@pytest.mark.timeout(120)
@pytest.mark.parametrize("day", ["2017-12-15", "2020-11-13", "2022-06-16", "2024-11-25"])
def test_replay_matches_a_hand_computation_on_real_history(day: str) -> None:
    inputs = _history_inputs()
    cfg = AnalyticsSettings(gauge=GaugeSettings(weights=SIMPLE))
    state = prepare_daily(inputs, cfg)
    replay = replay_gauge(state, inputs, pd.Timestamp(day), pd.Timestamp(day))
    score, coverage = _by_hand(day)
    assert list(replay.index) == [pd.Timestamp(day)]
    assert replay["score"].iloc[0] == pytest.approx(score, abs=1e-9)
    assert replay["coverage"].iloc[0] == pytest.approx(coverage)


@pytest.mark.history
@pytest.mark.timeout(120)
@pytest.mark.parametrize("day", ["2018-08-31", "2021-03-15"])
def test_replayed_day_is_the_live_close_gauge_of_the_history_cut_there(day: str) -> None:
    """With every default component and weight (breakout machines and the flow proxy
    included): the gauge replayed for ``day`` from the whole history is the close gauge
    ``prepare_daily`` gives when the history ends on ``day``."""
    d = pd.Timestamp(day)
    inputs = _history_inputs()
    cfg = AnalyticsSettings()
    full = prepare_daily(inputs, cfg)
    replay = replay_gauge(full, inputs, d, d)
    cut = AnalyticsInputs({s: f.loc[:d] for s, f in inputs.daily.items()})
    expected = prepare_daily(cut, cfg).close_score
    assert expected is not None
    assert replay["score"].iloc[0] == pytest.approx(expected, abs=1e-9)


def test_close_gauge_on_the_last_day_is_the_close_score() -> None:
    inputs = _walks(np.random.default_rng(7), 320)
    state = prepare_daily(inputs, AnalyticsSettings())
    assert state.ref_day is not None
    machines = {s: list(machines_by_day(s, state.closes[s].series, state.settings.board))[-1]
                for s in state.machines}  # fmt: skip
    gauge = close_gauge_on(state, inputs, state.ref_day, machines)
    assert state.close_score is not None
    assert gauge.score == pytest.approx(state.close_score, abs=1e-12)


def _walks(rng: np.random.Generator, n: int) -> AnalyticsInputs:
    """Random walks for the gauge's markets (business days) and BTC (calendar days)."""
    end = pd.Timestamp("2024-06-28")
    business = pd.bdate_range(end=end, periods=n)
    calendar = pd.date_range(business[0], end, freq="D")

    def walk(index: pd.DatetimeIndex, vol: float) -> pd.DataFrame:
        close = 100 * np.exp(np.cumsum(rng.normal(0.0005, vol, len(index))))
        volume = rng.integers(1_000_000, 5_000_000, len(index)).astype("float64")
        return pd.DataFrame({"close": close, "volume": volume}, index=index)

    daily = {s: walk(business, 0.012) for s in ("^RUT", "IWM", "SPY")}
    daily["BTC-USD"] = walk(calendar, 0.04)
    return AnalyticsInputs(daily)


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), split=st.integers(215, 290))
@pytest.mark.timeout(120)
def test_adding_future_rows_never_changes_a_past_days_gauge(seed: int, split: int) -> None:
    full = _walks(np.random.default_rng(seed), 300)
    market_days = full.daily["^RUT"].index
    cut_day = market_days[split]
    past = AnalyticsInputs({s: f.loc[:cut_day] for s, f in full.daily.items()})
    window = (market_days[split - 4], cut_day)
    before = replay_gauge(prepare_daily(past, AnalyticsSettings()), past, *window)
    after = replay_gauge(prepare_daily(full, AnalyticsSettings()), full, *window)
    assert len(before) == 5
    assert list(before.index) == list(after.index)
    for a, b in zip(before["score"], after["score"], strict=True):
        assert (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, abs=1e-12)
    assert list(before["coverage"]) == pytest.approx(list(after["coverage"]))


# A constructed replay and price series whose 2-day returns are worked out by hand below.
_DAYS = pd.date_range("2024-01-01", periods=14, freq="D")
_PRICES = pd.Series(
    [100, 110, 120, 90, 90, 100, 80, 120, 60, 66, 70, 77, 50, 88], index=_DAYS, dtype=float
)
_LABELS = ["neutral", "neutral", "risk-on", "risk-on", "risk-on", "neutral",
           "risk-off", "risk-off", "neutral", "risk-on", None, "risk-on"]  # fmt: skip


def _constructed() -> TrackRecord:
    scores = [50.0 if label else math.nan for label in _LABELS]
    replay = pd.DataFrame(
        {"score": scores, "label": _LABELS, "coverage": [0.5] * 12}, index=_DAYS[:12]
    )
    return track_record(
        replay, {"BTC-USD": _PRICES}, horizons=(2,), min_cases=3, headline=("BTC-USD", 2)
    )


def test_band_tables_match_a_hand_check() -> None:
    # 2-day returns, % (day: label): 01 n +20 | 02 n -18.18 | 03 on -25 | 04 on +11.11 |
    # 05 on -11.11 | 06 n +20 | 07 off -25 | 08 off -45 | 09 n +16.67 | 10 on +16.67 |
    # 11 (no score) | 12 on +14.29
    record = _constructed()
    bands = {b.band: b for b in record.bands}
    on = bands["risk-on"]
    assert on.days == 5
    assert on.runs == (("2024-01-03", "2024-01-05"), ("2024-01-10", "2024-01-12"))
    (o,) = on.outcomes
    assert (o.count, o.enough) == (5, True)
    assert o.median_pct == pytest.approx(100 * (100 / 90 - 1))  # +11.11
    assert o.positive_share == pytest.approx(3 / 5)
    (n,) = bands["neutral"].outcomes
    assert n.count == 4
    assert n.median_pct == pytest.approx((100 * (70 / 60 - 1) + 20) / 2)  # (16.67 + 20) / 2
    assert n.positive_share == pytest.approx(3 / 4)
    assert bands["neutral"].runs == (
        ("2024-01-01", "2024-01-02"), ("2024-01-06", "2024-01-06"), ("2024-01-09", "2024-01-09")
    )  # fmt: skip
    # Two risk-off days are under the minimum of 3: no median, no share.
    (off,) = bands["risk-off"].outcomes
    assert (off.count, off.enough, off.median_pct, off.positive_share) == (2, False, None, None)
    (base,) = record.baseline
    assert base.count == 11
    assert base.median_pct == pytest.approx(100 * (100 / 90 - 1))
    assert base.positive_share == pytest.approx(6 / 11)
    assert record.scored_days == 11
    assert (record.first_day, record.last_day) == ("2024-01-01", "2024-01-12")


def test_band_changes_and_hit_rate_match_a_hand_check() -> None:
    record = _constructed()
    changes = {(c.from_band, c.to_band): c.dates for c in record.changes}
    assert changes == {
        ("neutral", "risk-on"): ("2024-01-03", "2024-01-10"),
        ("risk-on", "neutral"): ("2024-01-06",),
        ("neutral", "risk-off"): ("2024-01-07",),
        ("risk-off", "neutral"): ("2024-01-09",),
    }
    up = next(c for c in record.changes if (c.from_band, c.to_band) == ("neutral", "risk-on"))
    (o,) = up.outcomes
    assert (o.count, o.enough, o.median_pct) == (2, False, None)
    hit = record.hit_rate("risk-on")
    assert hit is not None
    assert (hit.hits, hit.cases, hit.baseline_hits, hit.baseline_cases) == (3, 5, 6, 11)
    assert hit.rate == pytest.approx(0.6)
    assert hit.baseline_rate == pytest.approx(6 / 11)


def test_returns_past_the_end_of_the_prices_are_unknown_not_zero() -> None:
    days = pd.DatetimeIndex(["2024-01-12", "2024-01-13", "2024-01-14"])
    out = forward_returns(_PRICES, days, 2)
    assert out[0] == pytest.approx(100 * (88 / 77 - 1))
    assert np.isnan(out[1])
    assert np.isnan(out[2])


@pytest.mark.history
def test_seed_claim_btc_380_pct_after_the_late_2020_rut_breakout_is_not_what_the_data_says() -> (
    None
):
    """The seed: BTC rose 380 % after the late-2020 ^RUT breakout. From the close of the
    first ^RUT close above its Aug-2018 high (2020-11-13), BTC's highest close within a
    year was +314 % (2021-11-08) and it was +205 % after 180 days: a large rise, but the
    data does not reach +380 % from that day."""
    btc = frame("BTC-USD")["close"]
    start = btc.loc["2020-11-13"]
    year = btc.loc["2020-11-13":"2021-11-13"]
    peak = (year.max() / start - 1) * 100
    assert year.idxmax() == pd.Timestamp("2021-11-08")
    assert peak == pytest.approx(314.1, abs=0.1)
    assert peak < 380
    assert (btc.loc["2021-05-12"] / start - 1) * 100 == pytest.approx(205, abs=5)
