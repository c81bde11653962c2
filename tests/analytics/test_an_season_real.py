"""Altcoin season and BTC dominance on the real CoinMarketCap history (2013-2021),
against a reference that looks closes up by exact date."""

from __future__ import annotations

import pandas as pd
import pytest

from r2kmon.analytics.season import SeasonSettings, altcoin_season, dominance_trend
from tests.analytics.an_history import close, frame
from tests.paths import history

pytestmark = pytest.mark.history


def coins() -> list[str]:
    """The CoinMarketCap 2013-2021 files, listed when a test runs (not at collection, where
    the history may be absent)."""
    return sorted(p.stem for p in history("cmc_2013_2021").glob("*.csv"))


@pytest.mark.parametrize("end", ["2021-05-15", "2021-07-06", "2019-06-30", "2018-12-31"])
def test_altcoin_season_matches_reference(end: str) -> None:
    day = pd.Timestamp(end)
    series = {f"{c}-USD": close(f"cmc_2013_2021/{c}").loc[:end] for c in coins()}
    btc = series.pop("BTC-USD")
    got = altcoin_season(series, btc, SeasonSettings())

    start = day - pd.Timedelta(days=90)
    btc_ret = btc[day] / btc[start] - 1
    excluded = {"USDT-USD", "USDC-USD", "WBTC-USD"}
    returns = {
        name: s[day] / s[start] - 1
        for name, s in series.items()
        if name not in excluded and start in s.index and day in s.index
    }
    assert got.window_days == 90
    assert not got.fallback
    assert got.coins == len(returns)
    beating = sum(1 for r in returns.values() if r > btc_ret)
    assert got.beating == beating
    assert got.value == pytest.approx(100 * beating / len(returns))


def test_spring_2021_was_altcoin_season() -> None:
    # cmc_2013_2021: BTC closed 48,717 on 2021-02-14 and 46,760 on 2021-05-15 while ETH
    # went 1,805 -> 3,638 and DOGE 0.063 -> 0.508: altcoin-season territory.
    series = {f"{c}-USD": close(f"cmc_2013_2021/{c}").loc[:"2021-05-15"] for c in coins()}
    btc = series.pop("BTC-USD")
    got = altcoin_season(series, btc, SeasonSettings())
    assert got.value is not None
    assert got.value > 75
    assert got.label == "altcoin season"


def test_dominance_trend_on_weekly_cmc_totals() -> None:
    weekly = frame("CRYPTO_TOTAL_MCAP_weekly_cmc_2013_2018")["btc_dominance_pct"]
    got = dominance_trend(weekly, SeasonSettings())
    last = weekly.index[-1]
    before = weekly[weekly.index <= last - pd.Timedelta(days=30)].iloc[-1]
    assert got.value == pytest.approx(weekly.iloc[-1])
    assert got.change_pp == pytest.approx(weekly.iloc[-1] - before)
    # Dominance 66.3 % on 2017-12-10, 35.8 % on 2018-01-07 (the file's last week).
    assert got.trend == "falling"
