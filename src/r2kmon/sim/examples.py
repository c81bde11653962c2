"""Sample holdings and alert rules for ``--demo``, so the portfolio and health views show
what they do before anyone writes a config.

Used by :func:`r2kmon.runtime.build.with_examples`, only in demo mode and only where the
config has none of its own; they live in memory and are never written to the config or
the store (the demo keeps no store). Each says it is an example where it is shown: the
holdings carry :attr:`~r2kmon.model.portfolio.Holding.example`, the rules a note.
"""

from __future__ import annotations

from collections.abc import Sequence

from r2kmon.model import AlertRule
from r2kmon.model.portfolio import Holding

NOTE = "demo example"

# Quantity and average cost per unit: a small portfolio bought below today's levels.
_HOLDINGS = (
    ("BTC-USD", 0.25, 52_000.0),
    ("ETH-USD", 3.0, 2_450.0),
    ("SOL-USD", 40.0, 95.0),
    ("IWM", 120.0, 198.0),
    ("SPY", 15.0, 540.0),
)


def holdings(symbols: Sequence[str]) -> tuple[Holding, ...]:
    """The sample holdings among the configured ``symbols``."""
    return tuple(
        Holding(symbol, quantity, cost, example=True)
        for symbol, quantity, cost in _HOLDINGS
        if symbol in symbols
    )


def rules(symbols: Sequence[str], exchanges: Sequence[str]) -> tuple[AlertRule, ...]:
    """Sample ``[[alerts]]`` rules: two the demo's scripted moments fire within a couple
    of minutes (the ``^RUT`` breakout, the first exchange's outage), two that wait."""
    out: list[AlertRule] = []
    if "^RUT" in symbols:
        out.append(AlertRule("^RUT", "state", state="breakout", note=f"{NOTE}: scripted"))
    if exchanges:
        out.append(AlertRule(exchanges[0], "down_for", level=0.5, note=f"{NOTE}: scripted outage"))
    if "BTC-USD" in symbols:
        out.append(AlertRule("BTC-USD", "change_below", level=-3.0, window_s=3600.0, note=NOTE))
    out.append(AlertRule("gauge", "above", level=75.0, note=NOTE))
    return tuple(out)
