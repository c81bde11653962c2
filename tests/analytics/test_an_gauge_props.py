"""Property tests of the risk-on gauge (hypothesis, modest example counts)."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from r2kmon.analytics.gauge import (
    DEFAULT_WEIGHTS,
    ComponentInput,
    GaugeSettings,
    combine,
    linear_score,
)

NAMES = list(DEFAULT_WEIGHTS)
scores = st.one_of(st.none(), st.floats(min_value=0, max_value=100, allow_nan=False))
weights = st.floats(min_value=0, max_value=10, allow_nan=False)


@st.composite
def gauges(draw: st.DrawFn) -> tuple[list[ComponentInput], GaugeSettings]:
    names = draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=len(NAMES)))
    inputs = [ComponentInput(n, None, draw(scores), None) for n in names]
    w = {n: draw(weights) for n in NAMES}
    return inputs, GaugeSettings(weights=w)


@settings(max_examples=150, deadline=None)
@given(gauges())
def test_score_within_bounds(case: tuple[list[ComponentInput], GaugeSettings]) -> None:
    inputs, cfg = case
    g = combine(inputs, cfg)
    assert 0.0 <= g.coverage <= 1.0
    if g.score is not None:
        assert 0.0 <= g.score <= 100.0
        total = math.fsum(c.contribution for c in g.components if c.contribution is not None)
        assert total == pytest.approx(g.score, abs=1e-9)


@settings(max_examples=150, deadline=None)
@given(gauges(), st.data())
def test_monotone_in_each_score(
    case: tuple[list[ComponentInput], GaugeSettings], data: st.DataObject
) -> None:
    inputs, cfg = case
    # A component weighted 0 is not part of the gauge, so only weighted ones can move it.
    scored = [i for i, c in enumerate(inputs) if c.score is not None and cfg.weights[c.name] > 0]
    assume(scored)
    k = data.draw(st.sampled_from(scored))
    base = inputs[k].score
    assert base is not None
    higher = data.draw(st.floats(min_value=base, max_value=100, allow_nan=False))
    raised = list(inputs)
    raised[k] = ComponentInput(inputs[k].name, None, higher, None)
    before, after = combine(inputs, cfg).score, combine(raised, cfg).score
    assert before is not None
    assert after is not None
    assert after >= before


@settings(max_examples=150, deadline=None)
@given(gauges(), st.randoms(use_true_random=False))
def test_invariant_to_component_order(
    case: tuple[list[ComponentInput], GaugeSettings], rnd: random.Random
) -> None:
    inputs, cfg = case
    shuffled = list(inputs)
    rnd.shuffle(shuffled)
    assert combine(shuffled, cfg) == combine(inputs, cfg)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.sampled_from(NAMES), unique=True))
def test_all_missing_is_well_defined(names: list[str]) -> None:
    g = combine([ComponentInput(n, None, None, None) for n in names], GaugeSettings())
    assert g.score is None
    assert g.label is None
    assert g.coverage == 0.0
    assert all(c.contribution is None for c in g.components)
    assert combine([], GaugeSettings()).score is None


def test_renormalizes_and_reports_coverage() -> None:
    w = {"a": 3.0, "b": 1.0, "c": 4.0}
    g = combine(
        [ComponentInput("a", 1.0, 80.0, 1.0), ComponentInput("b", 2.0, 40.0, 2.0),
         ComponentInput("c", None, None, None)],
        GaugeSettings(weights=w),
    )  # fmt: skip
    # (3·80 + 1·40) / 4 = 70 over half of the configured weight.
    assert g.score == 70.0
    assert g.coverage == 0.5
    assert g.label == "risk-on"
    assert [c.contribution for c in g.components] == [60.0, 10.0, None]


def test_label_bands_and_change() -> None:
    cfg = GaugeSettings(weights={"a": 1.0})
    assert combine([ComponentInput("a", None, 39.9, None)], cfg).label == "risk-off"
    assert combine([ComponentInput("a", None, 50.0, None)], cfg).label == "neutral"
    assert combine([ComponentInput("a", None, 60.1, None)], cfg).label == "risk-on"
    assert combine([ComponentInput("a", None, 55.0, None)], cfg, 50.0).change == 5.0


def test_linear_score() -> None:
    assert linear_score(0.0, 10) == 50.0
    assert linear_score(10.0, 10) == 100.0
    assert linear_score(-25.0, 10) == 0.0
    assert linear_score(5.0, 10, invert=True) == 25.0
    assert linear_score(float("nan"), 10) is None
