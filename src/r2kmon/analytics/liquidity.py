"""Net liquidity: Fed balance sheet minus reverse repo minus the Treasury General Account.

Used by :mod:`r2kmon.analytics.compute` for the ``net_liquidity`` context entry and the
``liquidity_trend`` gauge component. Inputs are the raw FRED series as the sources module
parses them: ``WALCL`` (weekly, Wednesday, **millions** USD), ``WTREGEN`` (weekly,
Wednesday, **millions** USD) and ``RRPONTSYD`` (daily, business days, **billions** USD).
The units differ, and treating WTREGEN as billions is a known trap, so every series is
converted to dollars with a factor from :class:`LiquiditySettings` before subtracting.

The result lives on the WALCL dates (the slowest series); TGA and RRP are taken as of each
of those dates, never carried forward more than ``max_carry_days`` (10: a weekly value is
at most one release old). Changes are over 4 and 13 weeks.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from r2kmon.analytics.series import clean_values, epoch, finite_or_none, value_asof


@dataclass(frozen=True, slots=True)
class LiquiditySettings:
    walcl_unit_usd: float = 1e6
    tga_unit_usd: float = 1e6
    rrp_unit_usd: float = 1e9
    max_carry_days: int = 10


@dataclass(frozen=True, slots=True)
class NetLiquidity:
    value_usd: float | None
    change_4w_usd: float | None
    change_13w_usd: float | None
    change_4w_pct: float | None
    change_13w_pct: float | None
    as_of: float | None
    """Epoch seconds (00:00 UTC) of the WALCL date the value belongs to."""


def net_liquidity_series(
    walcl: pd.Series, rrp: pd.Series, tga: pd.Series, settings: LiquiditySettings
) -> pd.Series:
    """Net liquidity in USD on each WALCL date that has fresh enough TGA and RRP values."""
    fed = clean_values(walcl)
    repo = clean_values(rrp)
    treasury = clean_values(tga)
    values: dict[pd.Timestamp, float] = {}
    for stamp, assets in zip(pd.DatetimeIndex(fed.index), fed.to_numpy(), strict=True):
        t = value_asof(treasury, stamp, settings.max_carry_days)
        r = value_asof(repo, stamp, settings.max_carry_days)
        if t is None or r is None:
            continue
        values[stamp] = (
            float(assets) * settings.walcl_unit_usd
            - t * settings.tga_unit_usd
            - r * settings.rrp_unit_usd
        )
    return pd.Series(values, dtype="float64")


def _change(series: pd.Series, weeks: int) -> tuple[float | None, float | None]:
    last_day = pd.Timestamp(series.index[-1])
    before = value_asof(series, last_day - pd.Timedelta(weeks=weeks), 3)
    if before is None:
        return None, None
    now = float(series.iloc[-1])
    pct = (now / before - 1) * 100 if before != 0 else None
    return now - before, finite_or_none(pct)


def net_liquidity(
    walcl: pd.Series, rrp: pd.Series, tga: pd.Series, settings: LiquiditySettings
) -> NetLiquidity:
    """Latest net liquidity with its 4- and 13-week changes (``None`` where unknown)."""
    series = net_liquidity_series(walcl, rrp, tga, settings)
    if series.empty:
        return NetLiquidity(None, None, None, None, None, None)
    c4, p4 = _change(series, 4)
    c13, p13 = _change(series, 13)
    return NetLiquidity(
        value_usd=float(series.iloc[-1]),
        change_4w_usd=c4,
        change_13w_usd=c13,
        change_4w_pct=p4,
        change_13w_pct=p13,
        as_of=epoch(pd.Timestamp(series.index[-1])),
    )
