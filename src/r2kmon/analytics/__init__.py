"""Pure, synchronous analytics: frames in, frozen results out; no I/O, no clock reads.

Used by the runtime (through :func:`r2kmon.analytics.compute.compute_all`, or
``prepare_daily`` once a day and ``compute_live`` per bar), by ``snapshot --json`` and by
the UI. Time comes in with the data; every time field going out is UTC epoch seconds.
Never imports network, storage, producer or UI modules (an import-linter contract checks).

The only package that imports pandas, numpy and exchange_calendars (a test and a contract
check): :mod:`~r2kmon.analytics.frames` turns the hub's bars and the store's histories into
frames, :mod:`~r2kmon.analytics.market_hours` reads the NYSE calendar, and the results go
out as the plain values of :mod:`r2kmon.model.analytics`.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from r2kmon.analytics.compute import (
        AnalyticsInputs,
        AnalyticsResult,
        AnalyticsSettings,
        DailyState,
        LivePrice,
        compute_all,
        compute_live,
        prepare_daily,
    )

__all__ = [
    "AnalyticsInputs",
    "AnalyticsResult",
    "AnalyticsSettings",
    "DailyState",
    "LivePrice",
    "compute_all",
    "compute_live",
    "prepare_daily",
]


def __getattr__(name: str) -> Any:
    """The entry points, imported on first use: importing one small module of the package
    (the UI reads the gauge's types) must not load pandas with ``compute``."""
    if name in __all__:
        from r2kmon.analytics import compute

        return getattr(compute, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
