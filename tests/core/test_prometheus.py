"""``snapshot --format prometheus``: the text exposition parsed by ``prometheus_client``'s
own parser, the reader Prometheus users have; the values checked against the inputs."""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from r2kmon.runtime.prometheus import render
from r2kmon.runtime.snapshot import build_document
from r2kmon.runtime.state import AppState
from tests.core.sample import OPEN_TS, judged, seeded_snapshot
from tests.core.test_cli import r2kmon

DOCUMENT: dict[str, Any] = {
    "schema_version": 2,
    "generated_at": "2026-11-17T15:00:00+00:00",
    "simulated": False,
    "quotes": {
        "BTC-USD": {
            "price": 67659.39,
            "change_pct": 1.5,
            "source": "binance",
            "ts": "2026-11-17T14:59:58+00:00",
            "age_s": 2.0,
            "freshness": "live",
            "stale": False,
        },
        "^RUT": None,
    },
    "board": [
        {
            "symbol": "^RUT",
            "levels": [
                {
                    "resistance": 2500.0,
                    "resistance_kind": "52w",
                    "resistance_date": "2026-01-02T00:00:00+00:00",
                    "distance_pct": 2.0,
                    "state": "breakout",
                    "since": "2026-11-16T00:00:00+00:00",
                    "matters": True,
                },
                {
                    "resistance": 2700.0,
                    "resistance_kind": "ath",
                    "resistance_date": "2021-11-08T00:00:00+00:00",
                    "distance_pct": -5.5,
                    "state": "below",
                    "since": None,
                    "matters": False,
                },
            ],
        }
    ],
    "gauge": {
        "score": 61.5,
        "label": "risk-on",
        "coverage": 0.75,
        "change": None,
        "components": [
            {
                "name": "breakout",
                "value": 1.0,
                "score": 80.0,
                "weight": 2.0,
                "contribution": 30.0,
                "as_of": None,
                "note": "",
            },
            {
                "name": "vix_level",
                "value": None,
                "score": None,
                "weight": 1.0,
                "contribution": None,
                "as_of": None,
                "note": "",
            },
        ],
    },
    "correlation": [],
    "context": {"alt_season": {"value": 40.0, "unit": "index", "source": "coingecko"}},
    "analytics": {"state": "ready", "detail": ""},
    "health": {
        "binance": {
            "kind": "feed",
            "status": "ok",
            "last_ok": "2026-11-17T14:59:58+00:00",
            "last_error": None,
            "msgs_per_s": 12.5,
            "bad_frames": 0,
            "fault": None,
        },
        "yahoo": {
            "kind": "source",
            "status": "down",
            "last_ok": None,
            "last_error": 'refused "quoted" \\ text\nline two',
            "msgs_per_s": None,
            "bad_frames": 3,
            "fault": "refused",
        },
    },
}


Parsed = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(text: str) -> Parsed:
    """Every sample of the exposition by (name, labels), read by prometheus_client."""
    out: Parsed = {}
    for family in text_string_to_metric_families(text):
        assert family.type == "gauge", family.name
        assert family.name.startswith("r2kmon_"), family.name
        for sample in family.samples:
            key = (sample.name, frozenset(sample.labels.items()))
            assert key not in out, key  # a series given twice is refused by Prometheus
            out[key] = sample.value
    return out


def at(
    parsed: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return parsed[(name, frozenset(labels.items()))]


def test_the_exposition_parses_and_says_what_the_document_says() -> None:
    parsed = samples(render(DOCUMENT))
    assert at(parsed, "r2kmon_snapshot_timestamp_seconds") == 1_794_927_600.0
    assert at(parsed, "r2kmon_simulated") == 0
    assert at(parsed, "r2kmon_gauge_score") == 61.5
    assert at(parsed, "r2kmon_gauge_coverage_ratio") == 0.75
    assert at(parsed, "r2kmon_gauge_band") == 1
    assert at(parsed, "r2kmon_gauge_component_score", component="breakout") == 80
    assert at(parsed, "r2kmon_gauge_component_contribution", component="breakout") == 30
    assert at(parsed, "r2kmon_gauge_component_weight", component="vix_level") == 1
    # a component without data has no score sample: absent, never 0
    assert ("r2kmon_gauge_component_score", frozenset({("component", "vix_level")})) not in parsed
    # board states as numbers, per symbol and level; percent as a ratio
    assert at(parsed, "r2kmon_breakout_state", symbol="^RUT", level="52w") == 2
    assert at(parsed, "r2kmon_breakout_state", symbol="^RUT", level="ath") == 0
    assert at(parsed, "r2kmon_breakout_level_matters", symbol="^RUT", level="52w") == 1
    assert at(parsed, "r2kmon_breakout_distance_ratio", symbol="^RUT", level="ath") == -0.055
    assert at(parsed, "r2kmon_breakout_resistance", symbol="^RUT", level="ath") == 2700
    # quotes: price, change as a ratio, age, freshness by name
    btc = {"symbol": "BTC-USD", "source": "binance"}
    assert at(parsed, "r2kmon_quote_price", **btc) == 67659.39
    assert at(parsed, "r2kmon_quote_change_ratio", **btc) == pytest.approx(0.015)
    assert at(parsed, "r2kmon_quote_age_seconds", **btc) == 2
    assert at(parsed, "r2kmon_quote_timestamp_seconds", **btc) == 1_794_927_598.0
    assert at(parsed, "r2kmon_quote_freshness", symbol="BTC-USD", freshness="live") == 1
    assert at(parsed, "r2kmon_quote_freshness", symbol="BTC-USD", freshness="stale") == 0
    assert not any(dict(labels).get("symbol") == "^RUT" for name, labels in parsed
                   if name.startswith("r2kmon_quote_"))  # fmt: skip
    # source health
    assert at(parsed, "r2kmon_source_up", source="binance", kind="feed") == 1
    assert at(parsed, "r2kmon_source_up", source="yahoo", kind="source") == 0
    assert at(parsed, "r2kmon_source_status", source="yahoo", status="down") == 1
    assert at(parsed, "r2kmon_source_status", source="yahoo", status="ok") == 0
    assert at(parsed, "r2kmon_source_fault", source="yahoo") == 1
    assert at(parsed, "r2kmon_source_bad_frames", source="yahoo") == 3
    assert at(parsed, "r2kmon_context_value", context="alt_season", unit="index") == 40


def test_a_gauge_without_a_score_has_no_score_sample_and_coverage_zero() -> None:
    document = copy.deepcopy(DOCUMENT)
    document["gauge"] = {"score": None, "label": None, "coverage": 0.0, "change": None,
                         "components": []}  # fmt: skip
    parsed = samples(render(document))
    assert at(parsed, "r2kmon_gauge_coverage_ratio") == 0
    assert not any(name in ("r2kmon_gauge_score", "r2kmon_gauge_band") for name, _ in parsed)


def test_label_values_from_the_network_are_escaped() -> None:
    """A symbol holding a quote, a backslash and a newline still parses, and reads back
    as itself."""
    document = copy.deepcopy(DOCUMENT)
    odd = 'X"\\\ny'
    document["quotes"] = {odd: {**DOCUMENT["quotes"]["BTC-USD"], "source": odd}}
    parsed = samples(render(document))
    assert at(parsed, "r2kmon_quote_price", symbol=odd, source=odd) == 67659.39


def test_a_seeded_state_renders_every_quote_of_the_hub() -> None:
    snapshot = seeded_snapshot()
    state = AppState(snapshot, freshness=judged(snapshot, OPEN_TS))
    document = build_document(state, OPEN_TS)
    parsed = samples(render(document))
    for symbol, quote in snapshot.quotes.items():
        got = at(parsed, "r2kmon_quote_price", symbol=symbol, source=quote.source)
        assert math.isclose(got, float(quote.price))
    # no analytics yet: the gauge object is there without a score (schema 2)
    assert document["gauge"]["score"] is None
    assert document["gauge"]["coverage_pct"] == 0
    assert ("r2kmon_gauge_score", frozenset()) not in parsed


def test_the_command_writes_a_parseable_file_for_the_textfile_collector(tmp_path: Path) -> None:
    (tmp_path / "textfile").mkdir()
    out = tmp_path / "textfile" / "r2kmon.prom"
    done = r2kmon("snapshot", "--demo", "--format", "prometheus", "--wait", "5",
                  "--output", str(out))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    parsed = samples(out.read_text())
    assert at(parsed, "r2kmon_simulated") == 1
    assert at(parsed, "r2kmon_schema_version") == 2
    assert 0 <= at(parsed, "r2kmon_gauge_score") <= 100
    states = {name for name, _ in parsed}
    assert "r2kmon_breakout_state" in states
    assert at(parsed, "r2kmon_source_up", source="demo-crypto", kind="feed") == 1
    assert [p.name for p in out.parent.iterdir()] == ["r2kmon.prom"]  # no temporary left
