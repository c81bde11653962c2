"""Resistance levels against a brute-force reference (plain Python slices), including ties
and windows longer than the data."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from r2kmon.analytics.resistance import LevelSettings, current_levels, level_tables
from r2kmon.analytics.series import clean_closes
from tests.analytics.an_history import close


def _brute(values: list[float], t: int, length: int, exclude: int) -> tuple[float, int] | None:
    lo, hi = max(0, t - length), t - exclude
    if hi <= lo:
        return None
    window = values[lo:hi]
    top = max(window)
    return top, lo + window.index(top)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.integers(1, 12).map(float), max_size=120),
    st.integers(2, 40),
    st.data(),
)
def test_tables_match_brute_force(values: list[float], length: int, data: st.DataObject) -> None:
    exclude = data.draw(st.integers(0, length - 1))
    minimum = data.draw(st.integers(1, 8))
    cfg = LevelSettings(
        multi_year_sessions=length,
        exclude_recent_sessions=exclude,
        week52_sessions=max(1, length // 2),
        min_history_sessions=minimum,
    )
    series = pd.Series(values, index=pd.date_range("2020-01-01", periods=len(values)))
    tables = level_tables(series, cfg)
    for t in range(len(values) + 1):
        cases = [
            ("multi_year_high", _brute(values, t, length, exclude)),
            ("52_week_high", _brute(values, t, max(1, length // 2), 0)),
            ("all_time_high", _brute(values, t, t, 0)),
        ]
        for kind, want in cases:
            table = tables[kind]  # type: ignore[index]
            if want is None or t < minimum:
                assert table.index[t] == -1
            else:
                assert (float(table.price[t]), int(table.index[t])) == want


@pytest.mark.history
def test_rut_levels_at_the_2025_breakout() -> None:
    rut = clean_closes(close("RUT")).loc[:"2025-09-17"]
    levels = {lv.kind: lv for lv in current_levels(rut, LevelSettings())}
    # All-time: the 2021-11-08 close. 52 weeks back from 2025-09-18: the highest close
    # is 2442.030029 on 2024-11-25 (RUT.csv), 0.03 % under the all-time high.
    assert levels["all_time_high"].price == pytest.approx(2442.73999)
    assert levels["all_time_high"].set_on == pd.Timestamp("2021-11-08")
    assert levels["52_week_high"].price == pytest.approx(2442.030029)
    assert levels["52_week_high"].set_on == pd.Timestamp("2024-11-25")
    w52 = rut.iloc[-252:]
    assert levels["52_week_high"].price == pytest.approx(w52.max())
    assert levels["52_week_high"].set_on == w52.idxmax()
    multi = rut.iloc[-756:-20]
    assert levels["multi_year_high"].price == pytest.approx(multi.max())
    assert levels["multi_year_high"].set_on == multi.idxmax()
