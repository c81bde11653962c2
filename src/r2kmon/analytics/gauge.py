"""The risk-on gauge: a weighted, explainable composite of normalized signals.

Used by :mod:`r2kmon.analytics.compute` (``gauge`` in ``snapshot --json``) and the UI's
gauge panel. Each component arrives with a raw ``value`` and a ``score`` in 0-100 (how
risk-on that signal is; see :mod:`r2kmon.analytics.components` for the mappings). The gauge
is the weighted mean of the scores that exist::

    score = Σ wᵢ·sᵢ / Σ wᵢ          over components with a score
    contributionᵢ = wᵢ·sᵢ / Σ wᵢ    so the contributions add up to the score
    coverage = Σ wᵢ (present) / Σ wᵢ (configured)

A missing component is dropped and the others renormalized; ``coverage`` says how much of
the configured weight is backed by data. With nothing present the score is ``None`` and
coverage 0 — never a guess. Sums use :func:`math.fsum` (exactly rounded), so the result does
not depend on the order the components arrive in.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from r2kmon.model import (
    DEFAULT_WEIGHTS as DEFAULT_WEIGHTS,
)
from r2kmon.model import (
    GaugeLabel as GaugeLabel,
)
from r2kmon.model import (
    GaugeSettings as GaugeSettings,
)
from r2kmon.model.analytics import Component, Gauge


@dataclass(frozen=True, slots=True)
class ComponentInput:
    """One signal before weighting. ``score`` is ``None`` when the data is missing."""

    name: str
    value: float | None
    score: float | None
    as_of: float | None
    note: str = ""
    """What ``value`` is, in words (e.g. ``"^RUT vs 200-day average, %"``)."""


def linear_score(x: float | None, scale: float, invert: bool = False) -> float | None:
    """Map ``x`` to 0-100: 0 → 50, ``+scale`` → 100, ``-scale`` → 0, clipped.

    ``invert`` flips the direction for signals where a rise is risk-off (VIX, dollar,
    BTC dominance). Non-finite input gives ``None``.
    """
    if x is None or not math.isfinite(x) or scale <= 0:
        return None
    signed = -x if invert else x
    return min(100.0, max(0.0, 50.0 + 50.0 * signed / scale))


def label_for(score: float | None, settings: GaugeSettings) -> GaugeLabel | None:
    if score is None:
        return None
    if score < settings.risk_off_below:
        return "risk-off"
    if score > settings.risk_on_above:
        return "risk-on"
    return "neutral"


def _usable(score: float | None) -> float | None:
    if score is None or not math.isfinite(score):
        return None
    return min(100.0, max(0.0, score))


def combine(
    inputs: Iterable[ComponentInput],
    settings: GaugeSettings,
    previous_score: float | None = None,
) -> Gauge:
    """The gauge from its components. Inputs whose name has no positive weight are ignored;
    a name given twice keeps the last. Components come out in the settings' weight order."""
    by_name = {c.name: c for c in inputs if settings.weights.get(c.name, 0.0) > 0}
    configured = [n for n, w in settings.weights.items() if w > 0]
    total_weight = math.fsum(settings.weights[n] for n in configured)
    present = {
        n: (settings.weights[n], s)
        for n, c in by_name.items()
        if (s := _usable(c.score)) is not None
    }
    present_weight = math.fsum(w for w, _ in present.values())
    score: float | None = None
    if present_weight > 0:
        raw = math.fsum(w * s for w, s in present.values()) / present_weight
        score = min(100.0, max(0.0, raw))
    components = []
    for name in configured:
        c = by_name.get(name)
        if c is None:
            continue
        usable = _usable(c.score)
        contribution = (
            settings.weights[name] * usable / present_weight
            if usable is not None and present_weight > 0
            else None
        )
        components.append(
            Component(name, c.value, usable, settings.weights[name], contribution, c.as_of, c.note)
        )
    coverage = present_weight / total_weight if total_weight > 0 else 0.0
    change = score - previous_score if score is not None and previous_score is not None else None
    return Gauge(score, label_for(score, settings), min(1.0, coverage), tuple(components), change)
