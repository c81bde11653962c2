"""The pandas half of the correlation view: rolling series and the all-pairs matrix.

Imported only by the view's thread worker, so the UI itself starts without pandas. The
returns are aligned on the US trading-day grid exactly as the analytics do it
(:func:`r2kmon.analytics.correlation.aligned_log_returns`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from r2kmon.analytics.correlation import aligned_log_returns, rolling_correlation
from r2kmon.model import Bar, is_crypto_pair
from r2kmon.ui.views.base import RANGES
from r2kmon.ui.views.correlation import (
    CRYPTO,
    EQUITIES,
    MATRIX_WINDOW,
    MAX_POINTS,
    WINDOWS,
    CorrelationData,
)
from r2kmon.ui.widgets.chart import DAY, ChartData, Line, thin


def closes(bars: Sequence[Bar]) -> pd.Series:
    """Daily closes indexed by naive UTC midnight dates, as the analytics expect."""
    index = pd.to_datetime([b.start for b in bars], unit="s")
    return pd.Series([b.close for b in bars], index=index, dtype="float64")


def _corr(a: pd.Series, b: pd.Series, window: int) -> float | None:
    # Align on the equity's dates when one side is an equity (the US trading-day grid).
    first, second = (
        (b, a) if is_crypto_pair(str(a.name)) and not is_crypto_pair(str(b.name)) else (a, b)
    )
    returns = aligned_log_returns(first, second).tail(window)
    if len(returns) < window:
        return None
    with np.errstate(invalid="ignore", divide="ignore"):
        value = float(np.corrcoef(returns["a"].to_numpy(), returns["b"].to_numpy())[0, 1])
    return value if math.isfinite(value) else None


def build_correlation(bars: Mapping[str, tuple[Bar, ...]], range_index: int) -> CorrelationData:
    """Rolling series for the charts and the all-symbols matrix (runs in a thread)."""
    series = {s: closes(b).rename(s) for s, b in bars.items() if len(b) >= 3}
    label, days = RANGES[range_index]
    charts = []
    for equity in EQUITIES:
        title = f"{equity} vs BTC/ETH · rolling correlation · {label}"
        if equity not in series:
            charts.append(ChartData(title, empty=f"{equity}: no daily history yet"))
            continue
        lines = []
        for coin in CRYPTO:
            if coin not in series:
                continue
            for window in WINDOWS:
                rolled = rolling_correlation(series[equity], series[coin], window).dropna()
                if rolled.empty:
                    continue
                xs = [float(t.timestamp()) for t in rolled.index]
                ys = [float(v) for v in rolled.to_numpy()]
                if days is not None:
                    start = xs[-1] - days * DAY
                    keep = [i for i, x in enumerate(xs) if x >= start]
                    xs, ys = [xs[i] for i in keep], [ys[i] for i in keep]
                if len(xs) >= 2:
                    xs_t, ys_t = thin(xs, ys, MAX_POINTS)
                    lines.append(Line(f"{coin.split('-')[0]} {window}d", xs_t, ys_t))
        if not lines:
            charts.append(ChartData(title, empty="not enough joint history for a 30-day window"))
        else:
            charts.append(ChartData(title, tuple(lines), (("0", 0.0),), y_range=(-1.0, 1.0)))
    symbols = tuple(series)
    matrix = tuple(
        tuple(1.0 if a == b else _corr(series[a], series[b], MATRIX_WINDOW) for b in symbols)
        for a in symbols
    )
    return CorrelationData(tuple(charts), symbols, matrix)
