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
from r2kmon.analytics.track_record import replay_gauge
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
