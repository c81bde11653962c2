"""The gauge's track record in words and as table rows. Pure functions, no Textual.

Used by the dashboard's gauge panel (one reading beside the live gauge) and the Board
view's "Track record" table; tested without a terminal. The numbers come from
:class:`~r2kmon.model.track_record.TrackRecord` (the replayed gauge); nothing is rounded
into a different claim: a count is a count of replayed days, and a band under the minimum
says so instead of a rate.
"""

from __future__ import annotations

from r2kmon.model.track_record import Outcome, TrackRecord

SHORT_ASSETS = {"BTC-USD": "BTC", "ETH-USD": "ETH", "alt_basket_mcap": "alts"}


def asset_name(asset: str) -> str:
    return SHORT_ASSETS.get(asset, asset)


def _since(record: TrackRecord) -> str:
    return f"since {record.first_day[:4]}" if record.first_day else ""


def reading(record: TrackRecord | None, band: str | None) -> str | None:
    """One line for the live gauge's band: how often that band was followed by a rise of
    the headline asset, against every replayed day. ``None`` when there is nothing to say
    yet (no record, no band)."""
    if record is None or band is None:
        return None
    hit = record.hit_rate(band)
    if hit is None:
        return None
    asset = asset_name(hit.asset)
    horizon = f"{hit.horizon_days} d"
    since = _since(record)
    if not hit.enough:
        return (
            f"{band}: only {hit.cases} such days {since} with {asset} {horizon} later "
            f"(< {record.min_cases}): too few to say"
        )
    baseline = hit.baseline_rate
    base = f"; all days {baseline * 100:.0f}%" if baseline is not None else ""  # fits ~76 cols
    return (
        f"{band}: {asset} up {horizon} later on {hit.hits} of {hit.cases} such days {since}{base}"
    )


def outcome_cell(outcome: Outcome | None, *, ascii_only: bool = False) -> str:
    """``+8.3 % · 57 % up · n=902``, or ``n=4 too few``."""
    dot = "|" if ascii_only else "·"
    if outcome is None or outcome.count == 0:
        return "-" if ascii_only else "—"
    if not outcome.enough or outcome.median_pct is None or outcome.positive_share is None:
        return f"n={outcome.count} too few"
    return (
        f"{outcome.median_pct:+.1f} % {dot} {outcome.positive_share * 100:.0f} % up {dot} "
        f"n={outcome.count}"
    )


def table_rows(
    record: TrackRecord, asset: str, horizon: int, *, ascii_only: bool = False
) -> list[tuple[str, str, str]]:
    """Rows of (what, days, outcome) for one asset and horizon: every day (the baseline),
    each band, each band change; the baseline first so each row reads against it."""

    def pick(outcomes: tuple[Outcome, ...]) -> Outcome | None:
        return next((o for o in outcomes if o.asset == asset and o.horizon_days == horizon), None)

    arrow = "->" if ascii_only else "→"
    rows = [
        (
            "all days",
            str(record.scored_days),
            outcome_cell(pick(record.baseline), ascii_only=ascii_only),
        )
    ]
    for band in record.bands:
        rows.append(
            (band.band, str(band.days), outcome_cell(pick(band.outcomes), ascii_only=ascii_only))
        )
    for change in record.changes:
        rows.append(
            (
                f"{change.from_band} {arrow} {change.to_band}",
                str(len(change.dates)),
                outcome_cell(pick(change.outcomes), ascii_only=ascii_only),
            )
        )
    return rows
