"""The risk-on gauge, explained: each component's full name, how its raw value becomes its
score (in words), where its data comes from, and why it is missing when it is.

Used by the dashboard's gauge (its drill-down and its names) and by the text snapshot.
Plain Python: the UI reads it and never loads pandas. The mappings restate the defaults of
:class:`r2kmon.analytics.components.ComponentSettings` (not configurable); a test checks
that each one agrees with those settings.
"""

from __future__ import annotations

from dataclasses import dataclass

from r2kmon.model import HubSnapshot, failure_headline
from r2kmon.model.analytics import Component
from r2kmon.model.state import AppState

FULL_NAMES = {
    "breakout": "breakout state",
    "small_cap_rs": "small-cap relative strength",
    "index_trend": "index trend",
    "btc_trend": "BTC trend",
    "btc_momentum": "BTC momentum",
    "alt_season": "altcoin season",
    "btc_dominance_trend": "BTC dominance trend",
    "vix_level": "VIX level",
    "vix_trend": "VIX trend",
    "dollar_trend": "dollar trend",
    "liquidity_trend": "net liquidity trend",
    "flows": "IWM flows",
    "fear_greed": "fear & greed",
}
"""Every component's name as the screen spells it (never cut)."""

MAPPINGS = {
    "breakout": "the mean of the board symbols' state scores: confirmed 100, breakout 85, "
    "retest 70, testing 60, below 30, failed 10",
    "small_cap_rs": "50 at the 200-day average; each +5% above adds 50 (clipped to 0-100)",
    "index_trend": "50 at the 200-day average; each +10% above adds 50 (clipped to 0-100)",
    "btc_trend": "50 at the 200-day average; each +30% above adds 50 (clipped to 0-100)",
    "btc_momentum": "50 at no change over 30 days; each +20% adds 50 (clipped to 0-100)",
    "alt_season": "the index itself (0-100)",
    "btc_dominance_trend": "50 at no change over 30 days; each +3 pp takes 50 off "
    "(rising dominance is risk-off)",
    "vix_level": "100 at a VIX of 12 or less, 0 at 30 or more, a straight line between",
    "vix_trend": "50 at the 50-day average; each +20% above takes 50 off (a rising VIX is "
    "risk-off)",
    "dollar_trend": "50 at the 200-day average; each +5% above takes 50 off (a rising dollar "
    "is risk-off)",
    "liquidity_trend": "50 at no change over 13 weeks; each +3% adds 50 (clipped to 0-100)",
    "flows": "50 plus 50 times the flow's strength (-1 outflow .. +1 inflow)",
    "fear_greed": "the index itself (0-100)",
}
"""How each raw value becomes a 0-100 score, in words."""

_QUOTE_SOURCES = {
    "index_trend": ("^RUT",),
    "btc_trend": ("BTC-USD",),
    "btc_momentum": ("BTC-USD",),
    "vix_level": ("^VIX",),
    "vix_trend": ("^VIX",),
    "dollar_trend": ("DX-Y.NYB",),
    "small_cap_rs": ("IWM", "SPY"),
    "breakout": ("^RUT", "IWM", "SPY", "BTC-USD", "ETH-USD"),
}
_CONTEXT_SOURCES = {
    "alt_season": "altcoin_season",
    "btc_dominance_trend": "btc_dominance",
    "liquidity_trend": "net_liquidity",
    "flows": "flows",
}
_HUB_CONTEXT = {"fear_greed": "fear_greed", "btc_dominance_trend": "btc_dominance"}


def full_name(name: str) -> str:
    return FULL_NAMES.get(name, name.replace("_", " "))


@dataclass(frozen=True, slots=True)
class Explanation:
    """One component in full, for the drill-down."""

    name: str
    full_name: str
    value: float | None
    note: str
    """What the value is (from the analytics: ``^RUT vs 200-day average, %``)."""
    mapping: str
    score: float | None
    weight: float
    contribution: float | None
    source: str
    as_of: float | None
    missing: str = ""
    """Why there is no score (empty when there is one)."""


def _source(name: str, state: AppState) -> str:
    snapshot = state.hub
    symbols = _QUOTE_SOURCES.get(name, ())
    found = sorted({snapshot.quotes[s].source for s in symbols if s in snapshot.quotes})
    if found:
        return ", ".join(found)
    entry_name = _CONTEXT_SOURCES.get(name)
    if entry_name and state.analytics is not None:
        entry = next((c for c in state.analytics.context if c.name == entry_name), None)
        if entry is not None and entry.source:
            return entry.source
    hub_name = _HUB_CONTEXT.get(name)
    if hub_name and hub_name in snapshot.context:
        return snapshot.context[hub_name].source
    return ""


def _why_missing(component: Component, source: str, snapshot: HubSnapshot) -> str:
    """Why a component has no score: its source is down, or its data is not there yet."""
    for record in snapshot.health.values():
        if source and record.name in source.split(", ") and record.status in ("down", "stale"):
            return f"{record.name} {record.status}: {failure_headline(record)}"
    if component.value is not None:
        return "its data is older than 10 days, so it is shown but not scored"
    if not source:
        return "no data for it has arrived yet (or no source is configured for it)"
    return f"{source} has not delivered enough history for it yet"


def explain(component: Component, state: AppState) -> Explanation:
    source = _source(component.name, state)
    missing = "" if component.score is not None else _why_missing(component, source, state.hub)
    return Explanation(
        component.name,
        full_name(component.name),
        component.value,
        component.note,
        MAPPINGS.get(component.name, "see the component's note"),
        component.score,
        component.weight,
        component.contribution,
        source or "—",
        component.as_of,
        missing,
    )


VERDICT_COVERAGE = 0.5
"""Under this share of the configured weight backed by data, the score is a partial read,
not a verdict: at start a few fast components (live prices) score first and the slow ones
(daily history, macro) move it by points when they arrive. Shown as ``partial``."""


def is_partial(coverage: float) -> bool:
    """Whether a gauge with this coverage is shown as a partial read rather than a verdict."""
    return coverage < VERDICT_COVERAGE
