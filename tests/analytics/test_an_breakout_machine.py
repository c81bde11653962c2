"""The breakout state machine on hand-made series where every expected state can be
worked out on paper (default market settings: band 3 %, buffer 0, N=3, X=3 %, M=10)."""

from __future__ import annotations

import pandas as pd
import pytest

from r2kmon.analytics.breakout import (
    BoardSettings,
    BreakoutSettings,
    replay_history,
    run,
)
from r2kmon.analytics.resistance import LEVEL_KINDS
from r2kmon.analytics.series import clean_closes
from tests.analytics.an_history import close


def _days(values: list[float]) -> pd.Series:
    return pd.Series(values, index=pd.bdate_range("2024-01-01", periods=len(values)))


def test_every_state_in_order() -> None:
    # Rows 0-29 sit at 90 except a high of 100 at row 5: the level, 3 % band down to 97.
    values = [90.0] * 30
    values[5] = 100.0
    values += [98.0, 101.0, 102.0, 102.5, 104.0, 102.0, 104.0, 96.0, 96.0, 96.0, 96.0, 96.0,
               96.0]  # fmt: skip
    history = replay_history(_days(values), BoardSettings())
    ath = history[history["kind"] == "all_time_high"]["state"].tolist()
    assert ath[29:] == [
        "below",  # 90 < 97
        "testing",  # 98 within 3 % under 100
        "breakout",  # 101 > 100
        "breakout",  # 2nd close above
        "confirmed",  # 3rd close above (102.5 < 103, so not by X %)
        "confirmed",  # 104 > 103: has cleared the band
        "retest",  # 102: back inside the band after clearing it
        "confirmed",  # 104 again
        "failed",  # 96 < 97, 6 sessions after the breakout (<= M)
        "failed",
        "failed",
        "failed",
        "failed",  # held for 5 sessions
        "below",  # re-armed against the new high, 104: 96 is 7.7 % under it
    ]
    last = history[history["kind"] == "all_time_high"].iloc[-1]
    assert last["level"] == 104.0


def test_breakdown_after_m_sessions_is_below_not_failed() -> None:
    values = [90.0] * 30
    values[5] = 100.0
    values += [101.0, 102.0, 103.5] + [106.0] * 12 + [95.0]
    history = replay_history(_days(values), BoardSettings())
    ath = history[history["kind"] == "all_time_high"]
    # The breakout was 15 sessions before the fall, more than M=10: the episode just ends.
    assert ath["state"].iloc[-1] == "below"
    assert ath["level"].iloc[-1] == 106.0


@pytest.mark.history
def test_buffer_override_per_symbol_on_real_data() -> None:
    # With a 0.5 % buffer the 2020-11-13 close (1744.04, +0.19 % over 1740.75) is only
    # testing; 11-16 (1785.34, +2.6 %) is the breakout.
    cfg = BoardSettings(per_symbol={"^RUT": BreakoutSettings(buffer_pct=0.5)})
    rut = clean_closes(close("RUT")).loc[:"2020-11-20"]
    history = replay_history(rut, cfg, "^RUT")
    ath = history[history["kind"] == "all_time_high"].set_index("date")["state"]
    assert ath[pd.Timestamp("2020-11-13")] == "testing"
    assert ath[pd.Timestamp("2020-11-16")] == "breakout"
    default = replay_history(rut, BoardSettings(), "^RUT")
    assert (
        default[default["kind"] == "all_time_high"].set_index("date")["state"][
            pd.Timestamp("2020-11-13")
        ]
        == "breakout"
    )


def test_crypto_uses_calendar_year_windows() -> None:
    # 400 daily rows with a peak 300 rows before the end: inside a 365-row crypto year,
    # outside a 252-session market year.
    values = [100.0] * 400
    values[100] = 150.0
    values[-1] = 101.0
    series = pd.Series(values, index=pd.date_range("2024-01-01", periods=400))
    kinds = list(LEVEL_KINDS)
    w52 = kinds.index("52_week_high")
    crypto = run("BTC-USD", series, BoardSettings()).next_levels[w52]
    market = run("IWM", series, BoardSettings()).next_levels[w52]
    assert crypto is not None
    assert market is not None
    assert crypto.price == 150.0
    assert market.price == 101.0


@pytest.mark.parametrize("bad", [{"band_pct": -1.0}, {"confirm_closes": 0}])
def test_settings_validation(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must"):
        BreakoutSettings(**bad)  # type: ignore[arg-type]
