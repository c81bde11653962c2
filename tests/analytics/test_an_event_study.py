"""The event study on real history, against a plain-Python/pandas recomputation.

The reference code below walks the closes row by row with a running maximum and looks
returns up by exact calendar date (the Yahoo crypto files have no missing days), a
different path from the module's vectorized ``np.maximum.accumulate``/``reindex`` one.
"""

from __future__ import annotations

from typing import cast

import pandas as pd
import pytest

from r2kmon.analytics.event_study import event_study, find_events
from tests.analytics.an_history import close, frame

pytestmark = pytest.mark.history


def _reference_events(
    closes: pd.Series, quiet: int
) -> list[tuple[pd.Timestamp, float, pd.Timestamp]]:
    out: list[tuple[pd.Timestamp, float, pd.Timestamp]] = []
    high: float | None = None
    high_day: pd.Timestamp | None = None
    for key, value in closes.items():
        day = cast("pd.Timestamp", key)  # the history is indexed by date
        if high is None or high_day is None:
            high, high_day = value, day
            continue
        if value > high:
            if (day - high_day).days >= quiet:
                out.append((day, high, high_day))
            high, high_day = value, day
    return out


def _reference_return(asset: pd.Series, day: pd.Timestamp, horizon: int) -> float | None:
    end = day + pd.Timedelta(days=horizon)
    if day not in asset.index or end not in asset.index:
        return None
    return float((asset[end] / asset[day] - 1) * 100)


def test_rut_events_match_reference() -> None:
    rut = close("RUT")
    got = find_events(rut, 182)
    want = _reference_events(rut, 182)
    assert [(e.day, e.prior_high, e.prior_high_on) for e in got] == want
    days = {e.day for e in got}
    # The two the issue names, and a sanity anchor from the 1990s.
    assert pd.Timestamp("2020-11-13") in days
    assert pd.Timestamp("2025-09-18") in days
    assert pd.Timestamp("1991-10-16") in days


@pytest.mark.parametrize("horizon", [30, 90, 180])
def test_btc_eth_forward_returns_match_reference(horizon: int) -> None:
    rut = close("RUT")
    assets = {"BTC-USD": close("BTC-USD"), "ETH-USD": close("ETH-USD")}
    study = event_study("^RUT", rut, assets, (horizon,), 182)
    for outcome in study.outcomes:
        for r in outcome.returns:
            want = _reference_return(assets[r.asset], pd.Timestamp(outcome.event.day), horizon)
            if want is None:
                assert r.return_pct is None
            else:
                assert r.return_pct == pytest.approx(want, rel=1e-12)
    for summary in study.summaries:
        series = assets[summary.asset]
        windows = [
            (series[d + pd.Timedelta(days=horizon)] / series[d] - 1) * 100
            for d in series.index
            if d + pd.Timedelta(days=horizon) in series.index
        ]
        assert summary.windows == len(windows)
        assert summary.all_mean_pct == pytest.approx(sum(windows) / len(windows), rel=1e-9)
        assert summary.all_median_pct == pytest.approx(pd.Series(windows).median(), rel=1e-9)
        events = [
            v
            for o in study.outcomes
            if (v := _reference_return(series, pd.Timestamp(o.event.day), horizon)) is not None
        ]
        assert summary.events == len(events)
        assert summary.gains == sum(1 for v in events if v > 0)
        assert summary.losses == sum(1 for v in events if v < 0)


def test_losses_are_shown_plainly() -> None:
    # 2021-11-02: ^RUT first close above its March-2021 high. BTC closed 63,226.40 that
    # day and 56,477.82 on 2021-12-02 (BTC-USD.csv): a loss of about 10.7 %.
    study = event_study("^RUT", close("RUT"), {"BTC-USD": close("BTC-USD")}, (30,), 182)
    outcome = next(o for o in study.outcomes if o.event.day == pd.Timestamp("2021-11-02"))
    (ret,) = outcome.returns
    btc = close("BTC-USD")
    assert ret.return_pct == pytest.approx(
        (btc[pd.Timestamp("2021-12-02")] / btc[pd.Timestamp("2021-11-02")] - 1) * 100
    )
    assert ret.return_pct is not None
    assert ret.return_pct < 0
    summary = study.summaries[0]
    assert summary.losses >= 1
    assert ret.percentile is not None
    assert 0 <= ret.percentile <= 100


def test_alt_basket_and_percentile_reference() -> None:
    alt = frame("ALT_BASKET_MCAP_daily_cmc_2013_2021")["alt_mcap"]
    rut = close("RUT")
    study = event_study("^RUT", rut, {"alts": alt}, (90,), 182)
    with_data = [o for o in study.outcomes if o.returns[0].return_pct is not None]
    # Events between 2013-04-29 and 2021-07-06 minus 90 days: 2013-01-02 is too early.
    assert [o.event.day for o in with_data] == [
        pd.Timestamp("2014-12-26"),
        pd.Timestamp("2016-11-14"),
        pd.Timestamp("2020-11-13"),
    ]
    base = [
        (alt[d + pd.Timedelta(days=90)] / alt[d] - 1) * 100
        for d in alt.index
        if d + pd.Timedelta(days=90) in alt.index
    ]
    for o in with_data:
        r = o.returns[0]
        assert r.return_pct is not None
        want = 100 * sum(1 for b in base if b < r.return_pct) / len(base)
        assert r.percentile == pytest.approx(want)
