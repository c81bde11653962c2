"""The analytics status while there is no daily history: ``waiting`` while its sources may
still bring it, ``unavailable`` with their reasons once all of them failed (never
``loading`` forever), judged again every round from health, and back when bars come."""

from __future__ import annotations

from r2kmon.clock import FrozenClock
from r2kmon.hub import Hub
from r2kmon.model import Bar, SourceHealth
from r2kmon.net.failure import DNS
from r2kmon.runtime.analysis import Analysis, analytics_settings
from tests.core.sample import OPEN_TS, judged

DAY = 86_400.0
YAHOO_DOWN = SourceHealth(
    "yahoo",
    "source",
    "down",
    last_error="unreachable: cannot resolve query2.finance.yahoo.com · stale: IWM (no fallback)",
    fault=DNS,
)
BACKFILL_DOWN = SourceHealth(
    "backfill",
    "source",
    "down",
    last_error="binance: cannot resolve api.binance.com | coinbase: cannot resolve x.example",
    fault=DNS,
)
FRED_FORBIDDEN = SourceHealth("fred", "source", "down", last_error="server error: HTTP 403")


def runner(hub: Hub) -> Analysis:
    return Analysis(
        hub, analytics_settings(["^RUT", "IWM", "BTC-USD"]), FrozenClock(OPEN_TS), judge=judged
    )


async def test_every_history_source_failed_says_why_instead_of_waiting() -> None:
    hub = Hub(FrozenClock(OPEN_TS), simulated=False)
    analysis = runner(hub)
    for record in (YAHOO_DOWN, BACKFILL_DOWN, FRED_FORBIDDEN):
        hub.push_health(record)
    await analysis.step()
    assert analysis.status.state == "unavailable"
    assert analysis.status.detail == (
        "no daily history: yahoo unreachable (cannot resolve query2.finance.yahoo.com); "
        "backfill unreachable (binance: cannot resolve api.binance.com); "
        "fred down (server error: HTTP 403)"
    )
    assert (analysis.status.done, analysis.status.total) == (0, 3)


async def test_it_is_judged_again_each_round_from_health_alone() -> None:
    """No daily bar changes in between: only health moves, and the status follows it."""
    hub = Hub(FrozenClock(OPEN_TS), simulated=False)
    analysis = runner(hub)
    hub.push_health(SourceHealth("yahoo", "source", "connecting"))
    hub.push_health(SourceHealth("backfill", "source", "connecting"))
    await analysis.step()
    assert analysis.status.state == "waiting"
    assert analysis.status.detail == "daily history: 0 of 3 symbols"
    daily = hub.snapshot().daily_version

    hub.push_health(YAHOO_DOWN)
    await analysis.step()
    assert analysis.status.state == "waiting"  # the backfill may still bring some
    hub.push_health(BACKFILL_DOWN)
    version = analysis.version
    await analysis.step()
    assert analysis.status.state == "unavailable"
    assert analysis.version > version  # the UI redraws the panes
    assert hub.snapshot().daily_version == daily

    # Yahoo answers again: waiting for what it brings, not "unavailable" any more.
    hub.push_health(SourceHealth("yahoo", "source", "ok", last_ok=OPEN_TS))
    await analysis.step()
    assert analysis.status.state == "waiting"

    # The bars come: the analytics run.
    bars = [Bar(OPEN_TS - i * DAY, 1, 1, 1, 1) for i in range(30, 0, -1)]
    hub.push_bars("IWM", "1d", bars, "yahoo")
    await analysis.step()
    assert analysis.status.state == "ready"
    assert analysis.status.detail == "daily history: 1 of 3 symbols"


async def test_a_source_that_does_not_report_is_not_waited_for() -> None:
    """No crypto configured: no backfill record, and FRED turned off. Yahoo down is all."""
    hub = Hub(FrozenClock(OPEN_TS), simulated=False)
    analysis = Analysis(hub, analytics_settings(["^RUT"]), FrozenClock(OPEN_TS), judge=judged)
    hub.push_health(YAHOO_DOWN)
    await analysis.step()
    assert analysis.status.state == "unavailable"
    assert analysis.status.detail == (
        "no daily history: yahoo unreachable (cannot resolve query2.finance.yahoo.com)"
    )


async def test_no_health_at_all_is_still_waiting() -> None:
    hub = Hub(FrozenClock(OPEN_TS), simulated=False)
    analysis = runner(hub)
    await analysis.step()
    assert analysis.status.state == "waiting"


async def test_stored_history_is_never_unavailable() -> None:
    hub = Hub(FrozenClock(OPEN_TS), simulated=False)
    hub.push_bars("IWM", "1d", [Bar(OPEN_TS - i * DAY, 1, 1, 1, 1) for i in range(30, 0, -1)], "y")
    analysis = runner(hub)
    for record in (YAHOO_DOWN, BACKFILL_DOWN, FRED_FORBIDDEN):
        hub.push_health(record)
    await analysis.step()
    await analysis.step()
    assert analysis.status.state == "ready"
