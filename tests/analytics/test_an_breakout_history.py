"""The ^RUT breakout board replayed through real history (``../shared/data/history/RUT.csv``).

The two breakouts the issue names are checked state by state. The others are the ones the
replay found (all-time-high machine, default settings); each was checked by hand against
the CSV: the breakout close and the close before it, and the level's own row, e.g.

    2016-11-11,1282.380005   2016-11-14,1298.599976   level 2015-06-23,1295.800049
    2021-11-01,2358.120117   2021-11-02,2361.860107   level 2021-03-15,2360.169922

and the test re-derives each level independently (max of all earlier closes, first date
it was reached) with plain pandas rather than trusting the machine's own table.
"""

from __future__ import annotations

import pandas as pd
import pytest

from r2kmon.analytics.breakout import BoardSettings, board_row, replay_history, run
from r2kmon.analytics.series import clean_closes, epoch
from tests.analytics.an_history import close

pytestmark = pytest.mark.history


@pytest.fixture(scope="module")
def rut() -> pd.Series:
    return clean_closes(close("RUT"))


@pytest.fixture(scope="module")
def ath(rut: pd.Series) -> pd.DataFrame:
    history = replay_history(rut, BoardSettings(), "^RUT")
    return history[history["kind"] == "all_time_high"].set_index("date")


def _independent_prior_high(rut: pd.Series, day: str) -> tuple[float, pd.Timestamp]:
    before = rut[rut.index < pd.Timestamp(day)]
    top = before.max()
    return float(top), pd.Timestamp(before[before == top].index[0])


@pytest.mark.parametrize(
    ("day", "level", "level_day"),
    [
        ("2020-11-13", 1740.75, "2018-08-31"),
        ("2025-09-18", 2442.73999, "2021-11-08"),
    ],
)
def test_known_breakouts(
    ath: pd.DataFrame, rut: pd.Series, day: str, level: float, level_day: str
) -> None:
    d = pd.Timestamp(day)
    # The data itself: the level is the prior all-time closing high and this is the
    # first close above it.
    top, top_day = _independent_prior_high(rut, day)
    assert top == pytest.approx(level, abs=1e-6)
    assert top_day == pd.Timestamp(level_day)
    assert rut[d] > level
    assert (rut[(rut.index > top_day) & (rut.index < d)] <= level).all()

    row = ath.loc[d]
    assert row["state"] == "breakout"
    assert row["level"] == pytest.approx(level, abs=1e-6)
    assert row["level_set_on"] == pd.Timestamp(level_day)

    # Before: from the moment the machine was judging against this level, below/testing.
    judged = ath[(ath["level"].sub(level).abs() < 1e-6) & (ath.index < d)]
    armed = judged[judged.index >= judged[judged["state"] == "below"].index[0]]
    assert set(armed["state"]) <= {"below", "testing"}
    assert {"below", "testing"} <= set(armed["state"])
    assert ath.loc[ath.index < d].iloc[-1]["state"] in {"below", "testing"}

    # After: the breakout held — breakout then confirmed over the next sessions.
    after = ath[ath.index >= d].iloc[:3]
    assert set(after["state"]) <= {"breakout", "confirmed"}
    assert "confirmed" in set(after["state"])
    assert (after["level"].sub(level).abs() < 1e-6).all()


def test_2020_breakout_day_by_day(ath: pd.DataFrame) -> None:
    # Closes 11-12: 1708.47 (within 3 % under 1740.75: testing), 11-13: 1744.04 (above),
    # 11-16: 1785.34 (2nd close above), 11-17: 1791.91 (3rd close above and +2.9 %).
    states = ath.loc["2020-11-12":"2020-11-17", "state"].tolist()
    assert states == ["testing", "breakout", "breakout", "confirmed"]


def test_2025_breakout_day_by_day(ath: pd.DataFrame) -> None:
    # 09-17: 2407.34 (-1.45 %: testing), 09-18: 2467.70, 09-19: 2448.77, 09-22: 2463.34
    # (three closes above 2442.74: confirmed), 09-24: 2434.98 back under the level: retest.
    states = ath.loc["2025-09-17":"2025-09-24", "state"].tolist()
    assert states == ["testing", "breakout", "breakout", "confirmed", "confirmed", "retest"]


# Breakouts the replay found, each verified against the CSV rows (see module docstring):
# (breakout day, level, level day, state on the following session).
OTHER_BREAKOUTS = [
    ("2004-11-09", 606.390015, "2004-04-05", "breakout"),
    ("2006-11-14", 781.830017, "2006-05-05", "breakout"),
    ("2011-04-27", 855.77002, "2007-07-13", "breakout"),
    ("2013-01-02", 865.289978, "2011-04-29", "breakout"),
    ("2014-12-26", 1208.650024, "2014-03-04", "breakout"),
    ("2016-11-14", 1295.800049, "2015-06-23", "breakout"),
    ("2021-03-11", 2299.0, "2021-02-09", "breakout"),
    ("2021-11-02", 2360.169922, "2021-03-15", "breakout"),
    ("2025-12-04", 2520.439941, "2025-10-27", "breakout"),
]


@pytest.mark.parametrize(("day", "level", "level_day", "next_state"), OTHER_BREAKOUTS)
def test_other_breakouts(
    ath: pd.DataFrame, rut: pd.Series, day: str, level: float, level_day: str, next_state: str
) -> None:
    d = pd.Timestamp(day)
    top, top_day = _independent_prior_high(rut, day)
    assert top == pytest.approx(level, abs=1e-6)
    assert top_day == pd.Timestamp(level_day)
    previous = ath[ath.index < d].iloc[-1]
    assert previous["state"] in {"below", "testing"}
    assert ath.loc[d, "state"] == "breakout"
    assert ath.loc[d, "level"] == pytest.approx(level, abs=1e-6)
    assert ath[ath.index > d].iloc[0]["state"] in {next_state, "confirmed"}


@pytest.mark.parametrize(
    ("day", "failed_on", "level"),
    [
        # 2000-03-09 high 606.05; 2004-04-05 closed 606.39, next day 599.33.
        ("2004-04-05", "2004-04-06", 606.049988),
        # 2017-03-01 high 1413.64; 2017-04-26 closed 1419.43, 04-27 1417.13, 04-28 1400.43.
        ("2017-04-26", "2017-04-28", 1413.640015),
    ],
)
def test_failed_breakouts(ath: pd.DataFrame, day: str, failed_on: str, level: float) -> None:
    assert ath.loc[pd.Timestamp(day), "state"] == "breakout"
    assert ath.loc[pd.Timestamp(failed_on), "state"] == "failed"
    assert ath.loc[pd.Timestamp(failed_on), "level"] == pytest.approx(level, abs=1e-6)


def test_board_row_on_breakout_day(rut: pd.Series) -> None:
    machines = run("^RUT", rut.loc[:"2020-11-13"], BoardSettings())
    row = board_row(machines, epoch(pd.Timestamp("2020-11-13")))
    assert row.state == "breakout"
    assert row.resistance == pytest.approx(1740.75)
    assert row.resistance_kind == "all_time_high"
    assert row.resistance_date == epoch(pd.Timestamp("2018-08-31"))
    assert row.distance_pct == pytest.approx((1744.040039 / 1740.75 - 1) * 100)
    assert row.since == epoch(pd.Timestamp("2020-11-13"))


def test_board_row_before_breakout(rut: pd.Series) -> None:
    machines = run("^RUT", rut.loc[:"2025-09-17"], BoardSettings())
    row = board_row(machines, None)
    assert row.state == "testing"
    assert row.resistance == pytest.approx(2442.73999)
    assert row.distance_pct == pytest.approx((2407.340088 / 2442.73999 - 1) * 100)


def _independent_window_high(rut: pd.Series, day: str, start: int, end: int) -> float:
    """Max close of rows ``[t - start, t - end)`` before session ``day`` (row ``t``)."""
    t = rut.index.get_loc(pd.Timestamp(day))
    assert isinstance(t, int)  # the dates are unique, so this is a position
    return float(rut.iloc[max(t - start, 0) : t - end].max())


def test_board_levels_above_the_52_week_high_and_below_the_all_time_high(
    rut: pd.Series,
) -> None:
    # 2024-07-16 closed 2263.67: 6.5 % over the 52-week high it broke on 2024-07-11
    # (2124.55, set 2024-03-28; confirmed by the third close above it, 07-15) and 7.3 %
    # under the all-time high of 2021-11-08 (2442.74), which is also the multi-year high.
    row = board_row(run("^RUT", rut.loc[:"2024-07-16"], BoardSettings()), None)
    levels = {level.kind: level for level in row.levels}
    assert list(levels) == ["all_time_high", "multi_year_high", "52_week_high"]

    week52 = levels["52_week_high"]
    assert week52.price == pytest.approx(_independent_window_high(rut, "2024-07-11", 252, 0))
    assert week52.price == pytest.approx(2124.550049)
    assert week52.set_on == epoch(pd.Timestamp("2024-03-28"))
    assert week52.state == "confirmed"
    assert week52.since == epoch(pd.Timestamp("2024-07-15"))
    assert week52.distance_pct == pytest.approx((2263.669922 / 2124.550049 - 1) * 100)
    assert week52.distance_pct is not None
    assert week52.distance_pct > 0

    top, top_day = _independent_prior_high(rut, "2024-07-16")
    ath = levels["all_time_high"]
    assert ath.price == pytest.approx(top)
    assert ath.set_on == epoch(top_day)
    assert ath.state == "below"
    assert ath.distance_pct == pytest.approx((2263.669922 / top - 1) * 100)
    assert ath.distance_pct is not None
    assert ath.distance_pct < -3  # under the testing band

    # The level that matters is the fresh confirmed breakout, and the row says the same.
    assert [level.kind for level in row.levels if level.matters] == ["52_week_high"]
    assert (row.resistance_kind, row.state, row.resistance) == (
        "52_week_high",
        "confirmed",
        week52.price,
    )


@pytest.mark.parametrize("day", ["2024-07-16", "2026-02-20"])
def test_multi_year_level_follows_its_window_once_no_episode_holds_it(
    rut: pd.Series, day: str
) -> None:
    # After an episode ends, the highs of the last 20 sessions (left out of the window)
    # enter it later; the armed machine must then judge against them, not keep an older,
    # lower high (2360.17 of 2021-03-15 in July 2024, more than three years old by then).
    settings = BoardSettings()
    window = settings.levels
    machines = run("^RUT", rut.loc[:day], settings)
    multi = next(s for s in machines.states if s.kind == "multi_year_high")
    assert multi.state in {"below", "testing"}
    assert multi.level is not None
    want = _independent_window_high(
        rut, day, window.multi_year_sessions, window.exclude_recent_sessions
    )
    assert multi.level.price == pytest.approx(want)
