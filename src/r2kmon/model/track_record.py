"""The gauge's track record as plain values: what followed each band of the replayed gauge.

Computed by :mod:`r2kmon.analytics.track_record`, carried by the runtime's state, written
as ``track_record`` by ``snapshot --json`` and read by the UI. Plain values (no pandas), so
the UI can read it without loading the analytics. Dates are ISO ``YYYY-MM-DD`` strings
(days of the replay, not instants); returns are percentages.
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_CASES = 10
"""A cell built on fewer days than this says "too few" instead of a median or a share:
a handful of days (all from one episode, with overlapping windows) says nothing."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """Returns ``horizon_days`` after a set of days, for one asset."""

    asset: str
    horizon_days: int
    count: int
    """Days of the set with a return known (the asset existed then and ``horizon_days``
    later)."""
    median_pct: float | None
    positive_share: float | None
    """Share of those days followed by a gain, 0-1."""
    enough: bool
    """``count`` reaches the minimum; when False, median and share are ``None``."""

    def to_json(self) -> dict[str, object]:
        return {
            "asset": self.asset,
            "horizon_days": self.horizon_days,
            "count": self.count,
            "median_pct": self.median_pct,
            "positive_share": self.positive_share,
            "enough": self.enough,
        }


@dataclass(frozen=True, slots=True)
class BandRecord:
    """What followed the days the replayed gauge was in one band."""

    band: str
    days: int
    runs: tuple[tuple[str, str], ...]
    """The stretches of consecutive replayed days in the band, ``(first, last)``."""
    outcomes: tuple[Outcome, ...]

    def to_json(self) -> dict[str, object]:
        return {
            "band": self.band,
            "days": self.days,
            "runs": [list(r) for r in self.runs],
            "outcomes": [o.to_json() for o in self.outcomes],
        }


@dataclass(frozen=True, slots=True)
class ChangeRecord:
    """What followed the days the gauge moved from one band into another."""

    from_band: str
    to_band: str
    dates: tuple[str, ...]
    outcomes: tuple[Outcome, ...]

    def to_json(self) -> dict[str, object]:
        return {
            "from": self.from_band,
            "to": self.to_band,
            "dates": list(self.dates),
            "outcomes": [o.to_json() for o in self.outcomes],
        }


@dataclass(frozen=True, slots=True)
class HitRate:
    """ "Band → asset up over the horizon": how often, against any replayed day."""

    band: str
    asset: str
    horizon_days: int
    hits: int
    cases: int
    baseline_hits: int
    baseline_cases: int
    enough: bool

    @property
    def rate(self) -> float | None:
        return self.hits / self.cases if self.cases and self.enough else None

    @property
    def baseline_rate(self) -> float | None:
        return self.baseline_hits / self.baseline_cases if self.baseline_cases else None

    def to_json(self) -> dict[str, object]:
        return {
            "band": self.band,
            "asset": self.asset,
            "horizon_days": self.horizon_days,
            "hits": self.hits,
            "cases": self.cases,
            "rate": self.rate,
            "baseline_hits": self.baseline_hits,
            "baseline_cases": self.baseline_cases,
            "baseline_rate": self.baseline_rate,
            "enough": self.enough,
        }


@dataclass(frozen=True, slots=True)
class TrackRecord:
    """The replayed gauge's bands and band changes, each beside the baseline of every
    replayed day."""

    first_day: str | None
    last_day: str | None
    scored_days: int
    """Replayed days with a gauge score."""
    mean_coverage: float | None
    """Mean share of the configured weight backed by data over those days: the replay only
    has the components whose history exists."""
    min_cases: int
    horizons: tuple[int, ...]
    assets: tuple[str, ...]
    baseline: tuple[Outcome, ...]
    bands: tuple[BandRecord, ...]
    changes: tuple[ChangeRecord, ...]
    hit_rates: tuple[HitRate, ...]
    """Per band, BTC up over 90 days (the headline the dashboard reads)."""

    def hit_rate(self, band: str) -> HitRate | None:
        return next((h for h in self.hit_rates if h.band == band), None)

    def to_json(self) -> dict[str, object]:
        return {
            "first_day": self.first_day,
            "last_day": self.last_day,
            "scored_days": self.scored_days,
            "mean_coverage": self.mean_coverage,
            "min_cases": self.min_cases,
            "horizons": list(self.horizons),
            "assets": list(self.assets),
            "baseline": [o.to_json() for o in self.baseline],
            "bands": [b.to_json() for b in self.bands],
            "changes": [c.to_json() for c in self.changes],
            "hit_rates": [h.to_json() for h in self.hit_rates],
        }
