"""Correlation and relative strength on real history, against straightforward pandas.

The references join the series with ``pd.concat(join="inner")`` and use pandas' own
``rolling().corr``/``rolling().mean`` — not the module's reindex/``np.corrcoef``/prefix-sum
code path. On these files both grids agree because the Yahoo crypto files miss no day.
"""

from __future__ import annotations

from typing import cast

import numpy as np
import pandas as pd
import pytest

from r2kmon.analytics.correlation import (
    correlation_matrix,
    latest_correlation,
    rolling_correlation,
    rolling_series,
)
from r2kmon.analytics.relative_strength import plain_ratio, ratio_series, relative_strength
from r2kmon.analytics.series import clean_closes, epoch
from tests.analytics.an_history import close

pytestmark = pytest.mark.history


def _reference_returns(a: pd.Series, b: pd.Series) -> pd.DataFrame:
    joined = pd.concat({"a": a, "b": b}, axis=1, join="inner")
    # cast: numpy's ufunc stubs return an ndarray; on a DataFrame it gives a DataFrame.
    return cast("pd.DataFrame", np.log(joined)).diff().dropna()


@pytest.mark.parametrize("equity", ["RUT", "IWM", "SPY"])
@pytest.mark.parametrize("crypto", ["BTC-USD", "ETH-USD"])
@pytest.mark.parametrize("window", [30, 90])
def test_latest_correlation_matches_pandas(equity: str, crypto: str, window: int) -> None:
    a, b = close(equity), close(crypto)
    ref = _reference_returns(a, b).tail(window)
    got = latest_correlation(equity, a, crypto, b, window)
    assert got.value == pytest.approx(ref["a"].corr(ref["b"]), abs=1e-10)
    assert got.as_of == epoch(ref.index[-1])
    assert got.window_days == window


def test_rolling_correlation_series_matches_pandas() -> None:
    a, b = close("RUT"), close("BTC-USD")
    ref = _reference_returns(a, b)
    want = ref["a"].rolling(90).corr(ref["b"])
    got = rolling_correlation(a, b, 90)
    pd.testing.assert_series_equal(got, want, check_names=False, atol=1e-10, rtol=0)


def test_correlation_uses_us_trading_days() -> None:
    # Crypto trades at weekends; on the US grid a Friday→Monday crypto return is one
    # observation, so the number of observations equals the joint equity dates minus one.
    a, b = close("SPY"), close("BTC-USD")
    got = rolling_correlation(a, b, 30)
    joint = a.index.intersection(b.index)
    assert len(got) == len(joint) - 1
    assert not (cast("pd.DatetimeIndex", got.index).day_of_week >= 5).any()


@pytest.mark.parametrize(("num", "den"), [("IWM", "SPY"), ("RUT", "GSPC"), ("ETH-USD", "BTC-USD")])
def test_relative_strength_matches_pandas(num: str, den: str) -> None:
    n, d = close(num), close(den)
    # cast: DataFrame.eval is typed as any value an expression can give; this one is a Series.
    ratio = cast("pd.Series", pd.concat({"n": n, "d": d}, axis=1, join="inner").eval("n / d"))
    fast = ratio.rolling(50).mean().iloc[-1]
    slow = ratio.rolling(200).mean().iloc[-1]
    got = relative_strength(num, n, den, d)
    assert got.ratio == pytest.approx(ratio.iloc[-1], rel=1e-12)
    assert got.sma_fast == pytest.approx(fast, rel=1e-9)
    assert got.sma_slow == pytest.approx(slow, rel=1e-9)
    assert got.pct_vs_slow == pytest.approx((ratio.iloc[-1] / slow - 1) * 100, rel=1e-6)
    last = ratio.iloc[-1]
    want = "rising" if last > fast > slow else "falling" if last < fast < slow else "mixed"
    assert got.trend == want
    assert got.as_of == epoch(ratio.index[-1])


def test_relative_strength_at_a_past_date() -> None:
    # IWM/SPY at the 2020-11-13 breakout, recomputed from the truncated files.
    n, d = close("IWM").loc[:"2020-11-13"], close("SPY").loc[:"2020-11-13"]
    ratio = n / d
    got = relative_strength("IWM", n, "SPY", d)
    assert got.sma_slow == pytest.approx(ratio.tail(200).mean(), rel=1e-9)
    assert got.pct_vs_fast == pytest.approx(
        (ratio.iloc[-1] / ratio.tail(50).mean() - 1) * 100, rel=1e-6
    )


# --- what the UI draws: the series and the matrix, computed here --------------------------


def _epochs(index: pd.Index) -> list[float]:
    return [float(pd.Timestamp(t).timestamp()) for t in index]


def test_rolling_series_for_the_screen_match_pandas() -> None:
    a, b = close("RUT"), close("BTC-USD")
    ref = _reference_returns(a, b)
    got = rolling_series("^RUT", a, "BTC-USD", b, (30, 90))
    assert [(s.a, s.b, s.window_days) for s in got] == [
        ("^RUT", "BTC-USD", 30),
        ("^RUT", "BTC-USD", 90),
    ]
    for series in got:
        want = ref["a"].rolling(series.window_days).corr(ref["b"]).dropna()
        assert series.days == tuple(_epochs(want.index))
        assert series.values == pytest.approx(want.to_list(), abs=1e-10)


def test_the_matrix_is_every_pair_over_its_last_joint_returns() -> None:
    names = {"^RUT": "RUT", "SPY": "SPY", "BTC-USD": "BTC-USD", "ETH-USD": "ETH-USD"}
    closes = {symbol: clean_closes(close(name)) for symbol, name in names.items()}
    got = correlation_matrix(closes, 90)
    assert got.symbols == tuple(names)
    assert got.window_days == 90
    for i, a in enumerate(got.symbols):
        for j, b in enumerate(got.symbols):
            if i == j:
                assert got.values[i][j] == 1.0
                continue
            ref = _reference_returns(closes[a], closes[b]).tail(90)
            assert got.values[i][j] == pytest.approx(ref["a"].corr(ref["b"]), abs=1e-10), (a, b)
    # equity and coin are aligned on the equity's dates whichever comes first
    assert got.values[0][2] == got.values[2][0]


def test_the_matrix_has_no_value_without_a_full_window() -> None:
    short = clean_closes(close("SPY")).tail(40)
    got = correlation_matrix({"SPY": short, "BTC-USD": clean_closes(close("BTC-USD"))}, 90)
    assert got.values == ((1.0, None), (None, 1.0))


def test_the_ratio_series_for_the_screen_is_the_ratio_on_joint_dates() -> None:
    n, d = close("IWM"), close("SPY")
    want = pd.concat({"n": n, "d": d}, axis=1, join="inner").pipe(lambda f: f["n"] / f["d"])
    got = plain_ratio("IWM", "SPY", ratio_series(n, d))
    assert (got.numerator, got.denominator) == ("IWM", "SPY")
    assert got.days == tuple(_epochs(want.index))
    assert got.values == pytest.approx(want.to_list(), rel=1e-12)
