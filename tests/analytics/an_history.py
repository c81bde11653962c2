"""Loads the real daily history in ``../shared/data/history`` for the analytics tests.

The repository is cloned with ``shared`` beside it (locally and in CI), so the data is
found relative to this file rather than through an environment variable.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd

HISTORY = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "history"


@cache
def frame(name: str) -> pd.DataFrame:
    """A history CSV (``RUT``, ``IWM``, ``cmc_2013_2021/ETH``...) indexed by date."""
    out = pd.read_csv(HISTORY / f"{name}.csv", index_col="date", parse_dates=["date"])
    out.index = pd.DatetimeIndex(out.index)
    return out


def close(name: str) -> pd.Series:
    """The ``close`` column of a history file."""
    return frame(name)["close"].copy()
