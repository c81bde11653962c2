"""Is risk appetite reaching crypto? The answer as plain values, for the dashboard's panel.

Computed by :func:`r2kmon.runtime.reaching.reaching` from the app state; formatted by the
dashboard (:mod:`r2kmon.ui.views.dashboard_rows`). Every time is UTC epoch seconds; a
number that cannot be had is ``None`` with ``missing`` saying why.
"""

from __future__ import annotations

from dataclasses import dataclass

SPANS = (("1w", 7), ("1m", 30))
"""The spans the panel compares over (label, calendar days)."""
CORRELATION_WINDOWS = (30, 90)
"""The rolling windows (joint daily returns) of :attr:`Correlation.values`."""


@dataclass(frozen=True, slots=True)
class Move:
    """How far one asset moved over each of :data:`SPANS` (percent), up to ``as_of``."""

    name: str
    changes: tuple[float | None, ...]
    as_of: float | None
    missing: str = ""
    """Why there is no change at all (empty when there is one)."""


@dataclass(frozen=True, slots=True)
class Correlation:
    """The latest rolling correlation of ``equity`` with ``crypto`` per window."""

    equity: str
    crypto: str
    values: tuple[float | None, ...]
    """One per :data:`CORRELATION_WINDOWS`."""
    as_of: float | None
    missing: str = ""


@dataclass(frozen=True, slots=True)
class Reading:
    """One context number: value, its words, when it was true, or why it is missing."""

    name: str
    value: float | None
    words: str
    as_of: float | None
    source: str = ""
    missing: str = ""


@dataclass(frozen=True, slots=True)
class Reaching:
    """Everything the "Reaching crypto?" panel shows."""

    moves: tuple[Move, ...]
    correlations: tuple[Correlation, ...]
    breadth: Reading
    season: Reading
    dominance: Reading

    def move(self, name: str) -> Move | None:
        return next((m for m in self.moves if m.name == name), None)
