"""The ``[[holdings]]`` a user declares, as the config loader validates them.

Valued by :mod:`r2kmon.runtime.portfolio`; here so the config needs nothing above the model.
"""

from __future__ import annotations

from dataclasses import dataclass

from r2kmon.model.core import is_crypto_pair, split_pair

DOLLAR_QUOTES = ("USD", "USDT", "USDC")
"""The quote currencies a crypto holding may have: the totals add them up as dollars."""


def dollar_priced(symbol: str) -> bool:
    """Whether ``symbol`` is priced in dollars (a crypto pair quoted in USD, USDT or USDC,
    or an equity ticker); indices such as ``^RUT`` are points, not prices."""
    if is_crypto_pair(symbol):
        return split_pair(symbol)[1] in DOLLAR_QUOTES
    return not symbol.startswith("^")


@dataclass(frozen=True, slots=True)
class Holding:
    """One ``[[holdings]]`` entry, validated by the config loader."""

    symbol: str
    quantity: float
    cost: float | None = None
    """Average cost per unit, in dollars; ``None``: not given (no profit and loss)."""
