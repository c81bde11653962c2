"""The alert log's health lines: what a change is, said once, in words the UI reads back.

(Sources going down and back across retries, and breakout changes, are in
``test_analysis.py``; rules in ``test_alert_rules.py``.)
"""

from __future__ import annotations

from r2kmon.clock import FrozenClock
from r2kmon.hub import Hub
from r2kmon.model import Alert, HealthStatus, SourceHealth
from r2kmon.runtime.alert_log import AlertLog, health_step
from tests.core.sample import OPEN_TS


def test_a_source_failing_from_its_first_report_is_a_line() -> None:
    """A source that never worked (blocked, misconfigured) is in the log too, once; one
    that starts fine or stale is not."""
    log = AlertLog()
    hub = Hub(FrozenClock(OPEN_TS), simulated=False)
    hub.push_health(SourceHealth("binance", "feed", "connecting"))
    hub.push_health(SourceHealth("yahoo", "source", "ok"))
    hub.push_health(SourceHealth("fred", "source", "stale"))
    assert not log.observe(hub.snapshot(), None, OPEN_TS, {})
    hub.push_health(SourceHealth("binance", "feed", "down", last_error="cannot resolve host"))
    assert log.observe(hub.snapshot(), None, OPEN_TS + 1, {})
    assert not log.observe(hub.snapshot(), None, OPEN_TS + 2, {})
    assert [(a.ts, a.level, a.source, a.message) for a in log.alerts] == [
        (OPEN_TS + 1, "error", "binance", "down: cannot resolve host")
    ]


def test_a_failure_noted_by_the_runtime_is_not_said_again() -> None:
    """The store's first failure is noted with its own words when it happens; the record
    the runtime pushes with it is then no second line, and its recovery is one."""
    log = AlertLog()
    hub = Hub(FrozenClock(OPEN_TS), simulated=False)
    hub.push_health(SourceHealth("store", "source", "down", last_error="database is locked"))
    log.note(Alert(OPEN_TS, "error", "store", "database is locked"))
    log.observe(hub.snapshot(), None, OPEN_TS + 1, {})
    hub.push_health(SourceHealth("store", "source", "ok", last_error="database is locked"))
    log.observe(hub.snapshot(), None, OPEN_TS + 2, {})
    assert [(a.level, a.message) for a in log.alerts] == [
        ("error", "database is locked"),
        ("info", "back to ok"),
    ]


def test_health_lines_are_told_apart_from_every_other_line() -> None:
    log = AlertLog()
    hub = Hub(FrozenClock(OPEN_TS), simulated=False)
    statuses: tuple[HealthStatus, ...] = ("ok", "down", "stale", "down", "ok")
    for n, status in enumerate(statuses):
        hub.push_health(SourceHealth("kraken", "feed", status, last_error="HTTP 502"))
        log.observe(hub.snapshot(), None, OPEN_TS + n, {})
    assert [health_step(a) for a in log.alerts] == ["down", "stale", "down", "ok"]
    others = [
        Alert(OPEN_TS, "info", "^RUT", "testing → breakout all_time_high 2,442.74"),
        Alert(OPEN_TS, "alert", "BTC-USD", "BTC-USD above 100,000.00: 100,012.34"),
        Alert(OPEN_TS, "warning", "alert_command", "exited with status 2"),
        Alert(OPEN_TS, "warning", "store", "the store was damaged; moved aside"),
        Alert(OPEN_TS, "warning", "x", "down: said as a warning is not a health line"),
    ]
    assert [health_step(a) for a in others] == [None] * len(others)
