"""Loads the real daily history for the analytics tests.

The history stays outside the repository (``tests/paths.py`` says where it is found); the
tests that call these loaders are marked ``history`` and are skipped where it is absent.
"""

from __future__ import annotations

from functools import cache

import pandas as pd

from tests.paths import history


@cache
def frame(name: str) -> pd.DataFrame:
    """A history CSV (``RUT``, ``IWM``, ``cmc_2013_2021/ETH``...) indexed by date."""
    out = pd.read_csv(history(f"{name}.csv"), index_col="date", parse_dates=["date"])
    out.index = pd.DatetimeIndex(out.index)
    return out


def close(name: str) -> pd.Series:
    """The ``close`` column of a history file."""
    return frame(name)["close"].copy()
