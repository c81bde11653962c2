"""Edge cases: gaps, a single data point, NaN and zero prices, duplicated dates, unsorted
input — for the cleaning step and for every analytic that takes frames."""

from __future__ import annotations

import json
from typing import cast

import numpy as np
import pandas as pd
import pytest

from r2kmon.analytics import AnalyticsInputs, AnalyticsSettings, LivePrice, compute_all
from r2kmon.analytics.breakout import BoardSettings, board_row, run
from r2kmon.analytics.compute import IWM_NAV, IWM_SHARES, RRPONTSYD, WALCL, WTREGEN
from r2kmon.analytics.correlation import latest_correlation
from r2kmon.analytics.event_study import event_study, find_events
from r2kmon.analytics.flows import PROXY_LABEL, implied_flows, money_flow_proxy
from r2kmon.analytics.liquidity import LiquiditySettings, net_liquidity
from r2kmon.analytics.relative_strength import relative_strength
from r2kmon.analytics.resistance import LevelSettings, current_levels
from r2kmon.analytics.season import SeasonSettings, altcoin_season, live_breadth
from r2kmon.analytics.series import clean_closes


def _series(values: list[float], start: str = "2024-01-01", freq: str = "D") -> pd.Series:
    return pd.Series(values, index=pd.date_range(start, periods=len(values), freq=freq))


def test_clean_closes_sorts_dedups_and_drops_bad_prints() -> None:
    idx = pd.to_datetime(["2024-01-03", "2024-01-01", "2024-01-02", "2024-01-02", "2024-01-04",
                          "2024-01-05", "2024-01-06"])  # fmt: skip
    raw = pd.DataFrame({"close": [3.0, 1.0, 2.0, 2.5, np.nan, 0.0, -1.0]}, index=idx)
    got = clean_closes(raw)
    assert got.index.tolist() == list(pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]))
    # Of the two 2024-01-02 rows the later one wins (a provider's correction).
    assert got.tolist() == [1.0, 2.5, 3.0]


def test_clean_closes_converts_aware_index_to_utc_dates() -> None:
    idx = pd.DatetimeIndex(["2024-01-01 20:00"], tz="America/New_York")  # 01:00 UTC next day
    got = clean_closes(pd.Series([5.0], index=idx))
    assert got.index[0] == pd.Timestamp("2024-01-02")


def test_unsorted_duplicated_input_gives_same_board_as_clean() -> None:
    rng = np.random.default_rng(7)
    clean = _series(list(100 * np.exp(np.cumsum(rng.normal(0, 0.01, 400)))), freq="B")
    messy = pd.concat([clean.iloc[::-1], clean.iloc[100:110]])  # reversed, 10 dates twice
    a = run("X", clean_closes(clean), BoardSettings())
    b = run("X", clean_closes(messy), BoardSettings())
    assert a.states == b.states


def test_single_point_and_empty() -> None:
    one = clean_closes(_series([100.0]))
    machines = run("X", one, BoardSettings())
    row = board_row(machines, None)
    assert row.price == 100.0
    assert row.state is None
    assert row.resistance is None
    empty = clean_closes(pd.Series([], dtype="float64", index=pd.DatetimeIndex([])))
    assert run("X", empty, BoardSettings()).last_close is None
    assert current_levels(one, LevelSettings()) == ()
    assert find_events(one) == ()
    assert latest_correlation("a", one, "b", one, 30).value is None
    assert relative_strength("a", one, "b", one).sma_fast is None


def test_nan_and_zero_prices_do_not_break_the_machine() -> None:
    values = [100.0] * 30 + [np.nan, 0.0, 101.0, 102.0, 103.0]
    got = run("X", clean_closes(_series(values, freq="B")), BoardSettings())
    ath = got.states[0]
    assert ath.state == "confirmed"  # three closes above 100 after dropping NaN/0
    assert ath.level is not None
    assert ath.level.price == 100.0


def test_gaps_are_not_filled() -> None:
    # A 30-day hole: the correlation window counts joint observations only.
    a = _series(list(np.linspace(100, 130, 120)))
    b = _series(list(np.linspace(50, 80, 120)))
    b = b.drop(b.index[40:70])
    got = latest_correlation("a", a, "b", b, 30)
    assert got.value is not None
    assert got.as_of is not None
    assert find_events(a.drop(a.index[10:60]), 10)[0].quiet_days >= 10


def test_flat_series_has_no_correlation() -> None:
    a = _series([100.0] * 40)
    b = _series(list(np.linspace(1, 2, 40)))
    assert latest_correlation("a", a, "b", b, 30).value is None


def test_event_study_with_short_asset_history() -> None:
    idx = _series([1.0, 2.0, 3.0, 1.0, 4.0], freq="200D")
    asset = _series([10.0, 11.0], start="2025-01-01")
    study = event_study("X", idx, {"A": asset}, (30,), 182)
    assert all(r.return_pct is None for o in study.outcomes for r in o.returns)
    assert study.summaries[0].windows == 0
    assert study.summaries[0].all_mean_pct is None


def test_net_liquidity_units_and_worked_value() -> None:
    # The worked value of tests/fixtures/http/README.md for 2024-01-03:
    # 7681.024 - 758.448 - 719.897 = 6202.679 $bn.
    walcl = pd.Series([7712781.0, 7681024.0], index=pd.to_datetime(["2023-12-27", "2024-01-03"]))
    tga = pd.Series([731405.0, 758448.0], index=pd.to_datetime(["2023-12-27", "2024-01-03"]))
    rrp = pd.Series(
        [1018.483, np.nan, 704.864, 719.897],
        index=pd.to_datetime(["2023-12-29", "2024-01-01", "2024-01-02", "2024-01-03"]),
    )
    got = net_liquidity(walcl, rrp, tga, LiquiditySettings())
    assert got.value_usd == pytest.approx(6202.679e9, rel=1e-12)
    assert got.change_4w_usd is None  # only one week of data


def test_net_liquidity_refuses_stale_components() -> None:
    walcl = pd.Series([7e6], index=pd.to_datetime(["2024-03-06"]))
    tga = pd.Series([7e5], index=pd.to_datetime(["2024-01-03"]))  # two months old
    rrp = pd.Series([500.0], index=pd.to_datetime(["2024-03-06"]))
    assert net_liquidity(walcl, rrp, tga, LiquiditySettings()).value_usd is None


def test_implied_flows_and_divergence() -> None:
    days = pd.to_datetime(["2024-03-01", "2024-03-08", "2024-03-15", "2024-03-22"])
    shares = pd.Series([100e6, 101e6, 99e6, 98e6], index=days)
    nav = pd.Series([200.0, 201.0, 202.0, 203.0], index=days)
    index = pd.Series([2000.0, 2100.0], index=pd.to_datetime(["2024-02-20", "2024-03-22"]))
    got = implied_flows(shares, nav, index)
    assert got is not None
    assert got.kind == "implied"
    assert got.week_usd == pytest.approx(-1e6 * 203.0)
    assert got.month_usd == pytest.approx(1e6 * 201 - 2e6 * 202 - 1e6 * 203)
    assert got.divergence is True


def test_money_flow_proxy_is_labelled() -> None:
    frame = pd.DataFrame(
        {"close": [10.0, 11.0, 10.5, 10.5], "volume": [100.0, 200.0, 300.0, 50.0]},
        index=pd.date_range("2024-01-01", periods=4),
    )
    got = money_flow_proxy(frame)
    assert got is not None
    assert got.label == PROXY_LABEL
    # +11·200 - 10.5·300 + 0 (unchanged day)
    assert got.week_usd == pytest.approx(2200.0 - 3150.0)
    assert money_flow_proxy(frame[["close"]]) is None


def test_altcoin_season_excludes_stables_and_falls_back() -> None:
    days = pd.date_range("2024-01-01", periods=60)
    btc = pd.Series(np.linspace(100, 110, 60), index=days)  # +10 %
    coins = {
        f"C{i}-USD": pd.Series(np.linspace(100, 100 + 5 * i, 60), index=days) for i in range(12)
    }
    coins["USDT-USD"] = pd.Series(1.0, index=days)
    coins["WBTC-USD"] = pd.Series(np.linspace(100, 110, 60), index=days)
    got = altcoin_season(coins, btc, SeasonSettings())
    # Only 59 days of data: the 30-day fallback, labelled.
    assert got.fallback
    assert got.window_days == 30
    assert got.coins == 12  # stablecoin and wrapped BTC left out
    start, end = days[-1] - pd.Timedelta(days=30), days[-1]
    btc_ret = btc[end] / btc[start] - 1
    alts = [s for name, s in coins.items() if name not in ("USDT-USD", "WBTC-USD")]
    beating = sum(1 for s in alts if s[end] / s[start] - 1 > btc_ret)
    assert got.beating == beating
    assert got.value == pytest.approx(100 * beating / 12)


def test_live_breadth() -> None:
    got = live_breadth({"BTC-USD": 2.0, "ETH-USD": 3.0, "SOL-USD": -1.0, "USDT-USD": 0.0,
                        "XRP-USD": float("nan")}, SeasonSettings())  # fmt: skip
    assert got.coins == 2
    assert got.advancing_share == 0.5
    assert got.beating_btc_share == 0.5


def test_compute_all_on_tiny_and_hostile_input_is_json_clean() -> None:
    idx = pd.to_datetime(["2024-01-02", "2024-01-02", "2023-12-29"])
    daily = {
        "^RUT": pd.DataFrame({"close": [np.nan, 0.0, 1900.0]}, index=idx),
        "BTC-USD": pd.DataFrame({"close": [42000.0]}, index=idx[:1]),
        "IWM": pd.DataFrame({"close": [190.0, 191.0, 189.0], "volume": [1, 2, 3]}, index=idx),
    }
    context = {WALCL: pd.Series(dtype="float64"), RRPONTSYD: pd.Series([np.nan]),
               WTREGEN: pd.Series(dtype="float64"), IWM_SHARES: pd.Series(dtype="float64"),
               IWM_NAV: pd.Series(dtype="float64")}  # fmt: skip
    live = {"BTC-USD": LivePrice(float("nan"), 1704200000.0), "^RUT": LivePrice(0.0, 1.0)}
    result = compute_all(AnalyticsInputs(daily, context, live), AnalyticsSettings())
    doc = result.to_json()
    json.dumps(doc, allow_nan=False)
    board = cast("list[dict[str, object]]", doc["board"])
    assert {r["symbol"] for r in board} == {"^RUT", "BTC-USD", "IWM"}
    assert result.gauge.score is None or 0 <= result.gauge.score <= 100
    assert {c.name for c in result.context} >= {"altcoin_season", "btc_dominance",
                                                 "net_liquidity", "flows"}  # fmt: skip
    assert next(c for c in result.context if c.name == "net_liquidity").value is None


def test_compute_all_with_nothing() -> None:
    result = compute_all(AnalyticsInputs({}), AnalyticsSettings())
    assert result.board == ()
    assert result.gauge.score is None
    assert result.gauge.coverage == 0.0
    json.dumps(result.to_json(), allow_nan=False)
