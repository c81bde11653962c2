"""What the analytics hand out, as plain values: the board, the gauge, correlations, the
ratio series, the event study and the ``context`` entries, gathered in
:class:`AnalyticsResult`.

Computed by :mod:`r2kmon.analytics` (from pandas frames), carried on the app state
(:mod:`r2kmon.model.state`), read by the runtime (alerts, the journal, the snapshot
document) and formatted by the UI. Here, in the model, so that none of those readers has to
import the analytics (and load pandas) for a type. Every time field is UTC epoch seconds
(``float``), except the event study's dates, which are naive UTC dates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Literal

from r2kmon.model.signals import BreakoutState
from r2kmon.model.tuning import GaugeLabel


def day_epoch(day: datetime) -> float:
    """UTC epoch seconds of a naive (UTC) date, as :func:`r2kmon.analytics.series.epoch`
    gives them for a pandas timestamp."""
    return day.replace(tzinfo=UTC).timestamp()


LevelKind = Literal["all_time_high", "multi_year_high", "52_week_high"]
LEVEL_KINDS: tuple[LevelKind, ...] = ("all_time_high", "multi_year_high", "52_week_high")
"""Every kind, most significant first; the board prefers earlier kinds on ties."""


@dataclass(frozen=True, slots=True)
class BoardLevel:
    """One resistance level of a symbol and its own machine (an item of ``levels`` in a
    ``board`` row of ``snapshot --json``). During an episode the level is the one that was
    broken, which can differ from the newest high of the same kind."""

    kind: LevelKind
    price: float
    set_on: float
    """Epoch seconds (00:00 UTC) of the session the level was set on."""
    distance_pct: float | None
    """The symbol's price versus this level, in percent (negative: under it)."""
    state: BreakoutState | None
    since: float | None
    """Epoch seconds (00:00 UTC) of the session this machine's state began."""
    matters: bool
    """Whether this is the level :func:`~r2kmon.analytics.breakout.choose_state` picked:
    the one the row's own fields, the dashboard and the gauge describe. Exactly one level of
    a row with levels has it."""

    def to_json(self) -> dict[str, str | float | bool | None]:
        """The level with the key names of the row's own level fields."""
        return {
            "resistance": self.price,
            "resistance_kind": self.kind,
            "resistance_date": self.set_on,
            "distance_pct": self.distance_pct,
            "state": self.state,
            "since": self.since,
            "matters": self.matters,
        }


@dataclass(frozen=True, slots=True)
class BoardRow:
    """One line of the breakout board (``board`` in ``snapshot --json``).

    The top-level fields describe the level that matters now; ``levels`` holds every level
    the symbol has, one per kind in :data:`LEVEL_KINDS` order, for the board view.
    """

    symbol: str
    price: float | None
    resistance: float | None
    resistance_kind: LevelKind | None
    resistance_date: float | None
    """Epoch seconds (00:00 UTC) of the session the level was set on."""
    distance_pct: float | None
    """Price versus the level, in percent (negative: under it)."""
    state: BreakoutState | None
    since: float | None
    """Epoch seconds (00:00 UTC) of the session the state began."""
    as_of: float | None
    """When ``price`` was observed: the live tick's time, or the last close's date."""
    levels: tuple[BoardLevel, ...] = ()
    """Every kind's level (kinds with too little history are left out)."""

    def to_json(self) -> dict[str, object]:
        """The row as plain JSON values."""
        return {
            "symbol": self.symbol,
            "price": self.price,
            "resistance": self.resistance,
            "resistance_kind": self.resistance_kind,
            "resistance_date": self.resistance_date,
            "distance_pct": self.distance_pct,
            "state": self.state,
            "since": self.since,
            "as_of": self.as_of,
            "levels": [level.to_json() for level in self.levels],
        }


@dataclass(frozen=True, slots=True)
class Component:
    name: str
    value: float | None
    score: float | None
    weight: float
    """The configured weight."""
    contribution: float | None
    """Points of the gauge's score this component supplies (``None`` when missing)."""
    as_of: float | None
    note: str = ""

    def to_json(self) -> dict[str, str | float | None]:
        return {
            "name": self.name,
            "value": self.value,
            "score": self.score,
            "weight": self.weight,
            "contribution": self.contribution,
            "as_of": self.as_of,
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class Gauge:
    score: float | None
    label: GaugeLabel | None
    coverage: float
    components: tuple[Component, ...]
    change: float | None = None
    """Score change since yesterday's gauge (``None`` when either is unknown)."""

    def to_json(self) -> dict[str, object]:
        return {
            "score": self.score,
            "label": self.label,
            "coverage": self.coverage,
            "change": self.change,
            "components": [c.to_json() for c in self.components],
        }


@dataclass(frozen=True, slots=True)
class CorrelationValue:
    """One entry of ``correlation``: the latest rolling value of pair ``a``/``b``."""

    a: str
    b: str
    window_days: int
    """Window length in joint US trading-day observations."""
    value: float | None
    as_of: float | None
    """Epoch seconds (00:00 UTC) of the last date in the window."""

    def to_json(self) -> dict[str, str | float | int | None]:
        return {
            "a": self.a,
            "b": self.b,
            "window_days": self.window_days,
            "value": self.value,
            "as_of": self.as_of,
        }


@dataclass(frozen=True, slots=True)
class CorrelationSeries:
    """The rolling correlation of ``a`` (the equity) with ``b`` over its whole history,
    as plain numbers for the screen: ``days[i]`` (epoch seconds, 00:00 UTC) is the last
    date of the window whose correlation is ``values[i]``; days without a full window are
    left out."""

    a: str
    b: str
    window_days: int
    days: tuple[float, ...]
    values: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class CorrelationMatrix:
    """Every symbol against every other over the last ``window_days`` joint returns."""

    symbols: tuple[str, ...]
    window_days: int
    values: tuple[tuple[float | None, ...], ...]
    """``values[i][j]``: symbols ``i`` and ``j``; 1.0 on the diagonal, ``None`` without a
    full window (or for a flat series)."""


@dataclass(frozen=True, slots=True)
class RatioSeries:
    """A ratio on every date both series closed, as plain numbers for the screen
    (``days``: epoch seconds, 00:00 UTC)."""

    numerator: str
    denominator: str
    days: tuple[float, ...]
    values: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class BreakoutEvent:
    """A first close above the prior all-time closing high after a long wait."""

    day: datetime
    """The session's date (naive, UTC midnight)."""
    close: float
    prior_high: float
    prior_high_on: datetime
    quiet_days: int
    """Calendar days between the prior high and this close."""

    @property
    def at(self) -> float:
        """:attr:`day` in UTC epoch seconds."""
        return day_epoch(self.day)

    @property
    def prior_high_at(self) -> float:
        """:attr:`prior_high_on` in UTC epoch seconds."""
        return day_epoch(self.prior_high_on)


@dataclass(frozen=True, slots=True)
class ForwardReturn:
    """An asset's return ``horizon_days`` after one event, and where it ranks."""

    asset: str
    horizon_days: int
    return_pct: float | None
    percentile: float | None
    """Share (0-100) of all same-length windows of the asset that did worse."""


@dataclass(frozen=True, slots=True)
class EventOutcome:
    event: BreakoutEvent
    returns: tuple[ForwardReturn, ...]


@dataclass(frozen=True, slots=True)
class HorizonSummary:
    """Events versus all windows, for one asset and horizon."""

    asset: str
    horizon_days: int
    events: int
    """Events with a return (data on both ends)."""
    gains: int
    losses: int
    event_mean_pct: float | None
    event_median_pct: float | None
    windows: int
    """Number of same-length windows in the asset's history (the baseline)."""
    all_mean_pct: float | None
    all_median_pct: float | None
    all_positive_share: float | None
    """Share (0-1) of all windows with a positive return."""


@dataclass(frozen=True, slots=True)
class EventStudy:
    symbol: str
    outcomes: tuple[EventOutcome, ...]
    summaries: tuple[HorizonSummary, ...]

    def to_json(self) -> dict[str, object]:
        """Plain JSON values; dates as epoch seconds (00:00 UTC of the date)."""
        return {
            "symbol": self.symbol,
            "events": [
                {
                    "date": o.event.at,
                    "close": o.event.close,
                    "prior_high": o.event.prior_high,
                    "prior_high_date": o.event.prior_high_at,
                    "quiet_days": o.event.quiet_days,
                    "returns": [
                        {
                            "asset": r.asset,
                            "horizon_days": r.horizon_days,
                            "return_pct": r.return_pct,
                            "percentile": r.percentile,
                        }
                        for r in o.returns
                    ],
                }
                for o in self.outcomes
            ],
            "summaries": [
                {
                    "asset": s.asset,
                    "horizon_days": s.horizon_days,
                    "events": s.events,
                    "gains": s.gains,
                    "losses": s.losses,
                    "event_mean_pct": s.event_mean_pct,
                    "event_median_pct": s.event_median_pct,
                    "windows": s.windows,
                    "all_mean_pct": s.all_mean_pct,
                    "all_median_pct": s.all_median_pct,
                    "all_positive_share": s.all_positive_share,
                }
                for s in self.summaries
            ],
        }


@dataclass(frozen=True, slots=True)
class ContextEntry:
    """One ``context`` entry: a value with its unit, provenance and age."""

    name: str
    value: float | None
    unit: str
    source: str
    as_of: float | None
    label: str | None = None
    detail: Mapping[str, str | float | bool | None] = field(
        default_factory=lambda: MappingProxyType({})
    )

    def to_json(self) -> dict[str, object]:
        return {
            "value": self.value,
            "unit": self.unit,
            "source": self.source,
            "as_of": self.as_of,
            "label": self.label,
            **{k: v for k, v in self.detail.items()},
        }


@dataclass(frozen=True, slots=True)
class AnalyticsResult:
    """Shaped like the ``snapshot --json`` sections of ``DESIGN.md``."""

    board: tuple[BoardRow, ...]
    gauge: Gauge
    correlation: tuple[CorrelationValue, ...]
    context: tuple[ContextEntry, ...]
    event_studies: tuple[EventStudy, ...]
    correlation_series: tuple[CorrelationSeries, ...] = ()
    """The rolling correlation of every ``correlation_pairs`` pair and window over the
    whole history, for the UI's correlation charts (not in the JSON: thousands of points)."""
    correlation_matrix: CorrelationMatrix | None = None
    """The UI's all-symbols correlation table (not in the JSON)."""
    ratio_series: tuple[RatioSeries, ...] = ()
    """Every ``relative_strength_pairs`` ratio over the whole history, for the UI's ratio
    chart (not in the JSON)."""

    def to_json(self) -> dict[str, object]:
        """Plain dicts/lists of str, float, int, bool and None (no NaN); the series for the
        screen are left out."""
        return {
            "board": [r.to_json() for r in self.board],
            "gauge": self.gauge.to_json(),
            "correlation": [c.to_json() for c in self.correlation],
            "context": {c.name: c.to_json() for c in self.context},
            "event_study": [e.to_json() for e in self.event_studies],
        }
