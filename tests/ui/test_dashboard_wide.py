"""The wide dashboard (from 120 columns): the gauge's drill-down, the partial headline and
the "Reaching crypto?" panel's numbers, on the real daily history."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from r2kmon.analytics.components import ComponentSettings
from r2kmon.runtime.explain import MAPPINGS
from r2kmon.runtime.reaching import reaching as reaching_of
from r2kmon.ui.messages import StateUpdated
from r2kmon.ui.screens.detail import DetailScreen
from r2kmon.ui.views.base import DrawContext
from r2kmon.ui.views.dashboard_rows import score_text
from r2kmon.ui.widgets.table import ColumnTable
from tests.paths import history
from tests.ui.data import NOW, loading_state, ready_state
from tests.ui.test_views import make_app, screen_text

pytestmark = pytest.mark.timeout(60)


@pytest.mark.history
async def test_tab_reaches_the_gauge_and_enter_explains_a_component() -> None:
    state = ready_state()
    assert state.analytics is not None
    index = next(c for c in state.analytics.gauge.components if c.name == "index_trend")
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        app.post_message(StateUpdated(state))
        await pilot.pause()
        app.clear_notifications()
        table = app.main.query_one("#components", ColumnTable)
        for _ in range(6):  # tab until the components table has focus
            if app.focused is table:
                break
            await pilot.press("tab")
            await pilot.pause()
        assert app.focused is table
        for _ in range([c.name for c in state.analytics.gauge.components].index("index_trend")):
            await pilot.press("down")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DetailScreen)
        text = app.screen.text.plain
        assert text.startswith("index trend")
        assert f"{index.value:,.2f}" in text  # the raw value
        assert "each +10% above adds 50" in text  # how it maps, in words
        assert f"{index.score:.1f} / 100" in text
        assert f"{index.contribution:.1f} points of the score" in text
        assert "yahoo" in text  # ^RUT's source in the test data


@pytest.mark.history
async def test_a_component_without_data_says_why() -> None:
    state = ready_state()
    assert state.analytics is not None
    missing = [c for c in state.analytics.gauge.components if c.score is None]
    assert missing, "the test data has components without data (no VIX, no dollar)"
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        app.post_message(StateUpdated(state))
        await pilot.pause()
        text = app.main.view.detail(f"gauge:{missing[0].name}", state, app.context())
        assert text is not None
        assert "why missing" in text.plain


def test_every_mapping_states_the_analytics_scales() -> None:
    s = ComponentSettings()
    assert f"+{s.index_trend_scale_pct:g}% above adds 50" in MAPPINGS["index_trend"]
    assert f"+{s.btc_trend_scale_pct:g}% above adds 50" in MAPPINGS["btc_trend"]
    assert f"+{s.small_cap_rs_scale_pct:g}% above adds 50" in MAPPINGS["small_cap_rs"]
    assert f"+{s.btc_momentum_scale_pct:g}% adds 50" in MAPPINGS["btc_momentum"]
    assert f"+{s.dominance_scale_pp:g} pp takes 50 off" in MAPPINGS["btc_dominance_trend"]
    assert f"VIX of {s.vix_calm:g} or less, 0 at {s.vix_stress:g}" in MAPPINGS["vix_level"]
    assert f"+{s.vix_trend_scale_pct:g}% above takes 50 off" in MAPPINGS["vix_trend"]
    assert f"+{s.dollar_trend_scale_pct:g}% above takes 50 off" in MAPPINGS["dollar_trend"]
    assert f"+{s.liquidity_scale_pct:g}% adds 50" in MAPPINGS["liquidity_trend"]


@pytest.mark.history
@pytest.mark.parametrize(("coverage", "verdict"), [(0.3, False), (0.83, True)])
def test_a_score_on_low_coverage_is_shown_as_partial(coverage: float, verdict: bool) -> None:
    state = ready_state()
    assert state.analytics is not None
    gauge = replace(state.analytics.gauge, coverage=coverage, label="risk-on", score=72.9)
    shown = score_text(gauge, DrawContext(now=NOW)).plain
    assert ("RISK-ON" in shown) is verdict
    assert ("PARTIAL" in shown) is not verdict
    assert f"coverage {coverage * 100:.0f}%" in shown


@pytest.mark.history
def test_the_reaching_panel_moves_are_the_closes_a_week_and_a_month_back() -> None:
    state = ready_state()
    reaching = reaching_of(state)
    for symbol, name in (("^RUT", "RUT"), ("BTC-USD", "BTC-USD")):
        frame = pd.read_csv(history(f"{name}.csv"), index_col="date", parse_dates=["date"])
        move = reaching.move(symbol)
        assert move is not None
        assert move.as_of is not None
        last = pd.Timestamp(move.as_of, unit="s")
        quote = state.hub.quotes.get(symbol)
        price = float(quote.price) if quote else float(frame["close"][frame.index <= last].iloc[-1])
        for days, change in zip((7, 30), move.changes, strict=True):
            then = frame["close"][frame.index <= last - pd.Timedelta(days=days)].iloc[-1]
            assert change == pytest.approx((price / then - 1) * 100)
    rut = next(c for c in reaching.correlations if c.equity == "^RUT")
    assert all(v is None or -1 <= v <= 1 for v in rut.values)
    sol = reaching.move("alts (1)")
    assert sol is not None
    assert sol.missing


@pytest.mark.parametrize(
    ("status", "says"),
    [
        ("unavailable", "no daily history"),
        ("waiting", "waiting for daily history"),
        ("computing", "analytics loading"),
    ],
)
def test_the_panel_says_loading_only_while_the_analytics_are_computed(
    status: str, says: str
) -> None:
    """Offline, with no history to be had, the panel said "analytics loading" forever
    beside a gauge saying it cannot be shown."""
    from r2kmon.model import AnalyticsStatus

    state = replace(loading_state(), analytics_status=AnalyticsStatus(status))
    panel = reaching_of(state)
    assert [c.missing for c in panel.correlations] == [says] * len(panel.correlations)
    assert panel.season.missing == says


@pytest.mark.history
async def test_wide_dashboard_shows_headline_and_panel_and_80_columns_do_not() -> None:
    for size, wide in (((160, 48), True), ((80, 24), False)):
        app = make_app()
        async with app.run_test(size=size) as pilot:
            app.post_message(StateUpdated(ready_state()))
            await pilot.pause()
            app.clear_notifications()
            await pilot.pause()
            text = screen_text(app)
            assert ("REACHING CRYPTO?" in text) is wide
            assert ("regime" in text) is wide


async def test_the_simulated_badge_shows_at_40_columns() -> None:
    from r2kmon.model import HubSnapshot
    from r2kmon.runtime.state import AppState

    app = make_app()
    async with app.run_test(size=(40, 20)) as pilot:
        app.post_message(StateUpdated(AppState(HubSnapshot(1, NOW, simulated=True))))
        await pilot.pause()
        assert "SIMULATED" in screen_text(app).splitlines()[0]
