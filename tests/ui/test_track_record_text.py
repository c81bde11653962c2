"""The track record's words: the dashboard's reading and the table cells, from hand-made
records (the numbers in the expected strings are the record's own counts, written out)."""

from __future__ import annotations

from r2kmon.model.track_record import BandRecord, HitRate, Outcome, TrackRecord
from r2kmon.ui.track_record import outcome_cell, reading, table_rows


def _record(hits: int, cases: int, min_cases: int = 10) -> TrackRecord:
    btc90 = Outcome("BTC-USD", 90, 1000, 8.9, 0.58, True)
    return TrackRecord(
        first_day="2018-01-02",
        last_day="2026-02-20",
        scored_days=1000,
        mean_coverage=0.6,
        min_cases=min_cases,
        horizons=(90,),
        assets=("BTC-USD",),
        baseline=(btc90,),
        bands=(
            BandRecord(
                "risk-on",
                cases,
                (("2020-11-13", "2021-02-26"),),
                (Outcome("BTC-USD", 90, cases, 31.5, hits / cases, cases >= min_cases),),
            ),
        ),
        changes=(),
        hit_rates=(HitRate("risk-on", "BTC-USD", 90, hits, cases, 580, 1000, cases >= min_cases),),
    )


def test_reading_states_hits_cases_since_and_the_baseline() -> None:
    assert reading(_record(14, 22), "risk-on") == (
        "risk-on: BTC up 90 d later on 14 of 22 such days since 2018; all days 58%"
    )


def test_a_band_under_the_minimum_says_so_instead_of_a_rate() -> None:
    assert reading(_record(3, 4), "risk-on") == (
        "risk-on: only 4 such days since 2018 with BTC 90 d later (< 10): too few to say"
    )


def test_no_record_or_no_band_reads_nothing() -> None:
    assert reading(None, "risk-on") is None
    assert reading(_record(14, 22), None) is None
    assert reading(_record(14, 22), "risk-off") is None  # no hit rate for that band


def test_cells_and_rows() -> None:
    assert outcome_cell(Outcome("BTC-USD", 90, 902, 8.346, 0.5654, True)) == (
        "+8.3 % · 57 % up · n=902"
    )
    assert outcome_cell(Outcome("BTC-USD", 90, 4, None, None, False), ascii_only=True) == (
        "n=4 too few"
    )
    assert table_rows(_record(14, 22), "BTC-USD", 90) == [
        ("all days", "1000", "+8.9 % · 58 % up · n=1000"),
        ("risk-on", "22", "+31.5 % · 64 % up · n=22"),
    ]
