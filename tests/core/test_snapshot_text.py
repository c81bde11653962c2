"""``r2kmon snapshot`` as text answers the question as the screen does: the gauge with its
label (or why there is none, or a partial read), the board's states, then the quotes.
Checked against the JSON document of the same run, not against copied strings."""

from __future__ import annotations

import json
from copy import deepcopy
from typing import Any

from r2kmon.runtime.snapshot_text import LEVEL_WORDS, snapshot_text
from tests.core.test_cli import r2kmon


def demo_document() -> dict[str, Any]:
    out = r2kmon("--demo", "snapshot", "--json", "--wait", "5")
    assert out.returncode == 0, out.stderr
    document: dict[str, Any] = json.loads(out.stdout)
    return document


def test_text_carries_the_gauge_the_board_and_the_quotes_of_the_document() -> None:
    document = demo_document()
    lines = snapshot_text(document).splitlines()
    gauge = document["gauge"]
    assert lines[0].startswith(f"RISK-ON GAUGE {gauge['score']:.1f}/100 ")
    assert gauge["label"].upper() in lines[0]
    assert f"coverage {gauge['coverage'] * 100:.0f}%" in lines[0]
    board = lines[lines.index("BREAKOUT BOARD") + 1 : lines.index("QUOTES") - 1]
    assert len(board) == len(document["board"])
    for line, row in zip(board, document["board"], strict=True):
        assert line.split()[:2] == [row["symbol"], row["state"]]
        assert LEVEL_WORDS[row["resistance_kind"]] in line
        assert f"{row['resistance']:,.2f}" in line
    quotes = lines[lines.index("QUOTES") + 1 :]
    assert [q.split()[0] for q in quotes[:-1]] == list(document["quotes"])
    assert quotes[-1] == "SIMULATED data (--demo)"


def test_the_cli_prints_that_text() -> None:
    out = r2kmon("--demo", "snapshot", "--wait", "5")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("RISK-ON GAUGE ")
    assert "\nBREAKOUT BOARD\n" in out.stdout
    assert "\nQUOTES\n" in out.stdout


def test_no_gauge_says_why_and_a_thin_one_is_partial() -> None:
    document = demo_document()
    none = deepcopy(document)
    none["gauge"] = {**none["gauge"], "score": None, "label": None, "coverage": 0.0}
    none["analytics"] = {"state": "unavailable", "detail": "no daily history: yahoo down"}
    none["board"] = []
    text = snapshot_text(none)
    assert text.startswith("RISK-ON GAUGE none: no daily history: yahoo down\n")
    assert "BREAKOUT BOARD" not in text
    thin = deepcopy(document)
    thin["gauge"] = {**thin["gauge"], "coverage": 0.3}
    first = snapshot_text(thin).splitlines()[0]
    assert "PARTIAL" in first
    assert thin["gauge"]["label"].upper() not in first
