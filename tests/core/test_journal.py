"""The signal journal: what counts as a change (every level of a symbol, the gauge's band,
a source down and back, an alert), kept once in the store, picked up across a restart, and
printed by ``r2kmon journal``."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from r2kmon.clock import FrozenClock
from r2kmon.hub import Hub
from r2kmon.model import Alert, BreakoutState, GaugeLabel, HealthStatus, SourceHealth
from r2kmon.model.analytics import AnalyticsResult, BoardLevel, BoardRow, Gauge, LevelKind
from r2kmon.runtime.journal import SignalTracker, json_line, render
from r2kmon.runtime.state import AppState
from r2kmon.store import JournalEntry, Store
from tests.core.test_cli import r2kmon

T0 = 1_794_927_600.0  # 2026-11-17 15:00:00 UTC


def level(kind: LevelKind, price: float, state: BreakoutState, matters: bool) -> BoardLevel:
    return BoardLevel(kind, price, T0 - 86_400 * 30, 1.0, state, T0, matters)


def state_of(
    rut: tuple[BreakoutState, BreakoutState] = ("below", "below"),
    band: GaugeLabel | None = "neutral",
    score: float | None = 50.0,
    health: dict[str, HealthStatus] | None = None,
    alerts: tuple[Alert, ...] = (),
    price: float = 2_510.0,
) -> AppState:
    """A state with ^RUT on the board at two levels, the gauge in ``band`` and each
    source of ``health`` at its status."""
    hub = Hub(FrozenClock(T0), simulated=False, symbols=("^RUT",))
    for name, status in (health or {}).items():
        error = "connection refused by 127.0.0.1:9" if status == "down" else None
        hub.push_health(SourceHealth(name, "source", status, last_error=error))
    levels = (
        level("all_time_high", 2_700.0, rut[0], False),
        level("52_week_high", 2_500.0, rut[1], True),
    )
    row = BoardRow("^RUT", price, 2_500.0, "52_week_high", T0, 0.4, rut[1], T0, T0, levels)
    gauge = Gauge(score, band, 0.8 if score is not None else 0.0, ())
    result = AnalyticsResult((row,), gauge, (), (), ())
    return AppState(hub.snapshot(), result, alerts=alerts)


def test_first_sight_is_no_change_and_each_level_changes_on_its_own() -> None:
    tracker = SignalTracker()
    assert tracker.observe(state_of(("below", "testing")), T0) == []
    assert tracker.observe(state_of(("below", "testing")), T0 + 1) == []
    changed = tracker.observe(state_of(("below", "breakout"), price=2_512.5), T0 + 2)
    assert changed == [
        JournalEntry(T0 + 2, "breakout", "^RUT", "52_week_high", "testing", "breakout",
                     2_512.5, 2_500.0, "gauge 50 neutral"),
    ]  # fmt: skip
    # the all-time high's own machine moves too, later: its own line
    changed = tracker.observe(state_of(("testing", "breakout")), T0 + 3)
    assert [(e.level, e.old, e.new) for e in changed] == [("all_time_high", "below", "testing")]


def test_the_gauge_is_journaled_when_its_band_changes_not_its_score() -> None:
    tracker = SignalTracker()
    tracker.observe(state_of(band="neutral", score=50.0), T0)
    assert tracker.observe(state_of(band="neutral", score=58.0), T0 + 1) == []
    changed = tracker.observe(state_of(band="risk-on", score=61.5), T0 + 2)
    assert [(e.kind, e.subject, e.old, e.new, e.value) for e in changed] == [
        ("gauge", "gauge", "neutral", "risk-on", 61.5)
    ]
    # no score (too little data): no band, and nothing said until one is back
    assert tracker.observe(state_of(band=None, score=None), T0 + 3) == []
    assert tracker.observe(state_of(band="risk-on", score=62.0), T0 + 4) == []


def test_sources_go_down_and_come_back_and_retries_are_no_change() -> None:
    tracker = SignalTracker()
    # a source that never worked: worth a line at once; a working one is where it starts
    first = tracker.observe(state_of(health={"yahoo": "down", "binance": "ok"}), T0)
    assert [(e.subject, e.old, e.new) for e in first] == [("yahoo", None, "down")]
    assert first[0].message == "connection refused by 127.0.0.1:9"
    assert tracker.observe(state_of(health={"yahoo": "connecting", "binance": "ok"}), T0) == []
    assert tracker.observe(state_of(health={"yahoo": "down", "binance": "ok"}), T0) == []
    back = tracker.observe(state_of(health={"yahoo": "ok", "binance": "down"}), T0 + 5)
    assert [(e.subject, e.old, e.new) for e in back] == [
        ("binance", "up", "down"),
        ("yahoo", "down", "up"),
    ]


def test_each_alert_is_journaled_once_and_older_ones_not_at_all() -> None:
    loaded = Alert(T0 - 60, "alert", "BTC-USD", "BTC-USD above 100,000.00 (from the store)")
    rule = Alert(T0 + 1, "alert", "BTC-USD", "BTC-USD above 100,000.00: 100,010.00")
    note = Alert(T0 + 1, "info", "^RUT", "below → testing")  # the alert log's own lines
    tracker = SignalTracker(since=T0)
    assert tracker.observe(state_of(alerts=(loaded, note)), T0) == []
    fired = tracker.observe(state_of(alerts=(loaded, note, rule)), T0 + 2)
    assert fired == [JournalEntry(T0 + 1, "alert", "BTC-USD", "", None, "fired",
                                  message=rule.message)]  # fmt: skip
    assert tracker.observe(state_of(alerts=(loaded, note, rule)), T0 + 3) == []


def test_the_journal_is_kept_once_and_picked_up_across_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    store = Store(path)
    tracker = SignalTracker(store.journal_states())
    tracker.observe(state_of(("below", "testing"), band="neutral"), T0)
    first = tracker.observe(state_of(("below", "breakout"), band="risk-on", score=61.0), T0 + 60)
    assert len(first) == 2
    assert store.save_journal(first) == 2
    assert store.save_journal(first) == 0  # saved again (a retried write): kept once
    store.close()

    # The restart: a new process, a new tracker, the same file.
    store = Store(path)
    tracker = SignalTracker(store.journal_states())
    # unchanged since: nothing journaled again
    assert (
        tracker.observe(state_of(("below", "breakout"), band="risk-on", score=61.0), T0 + 90) == []
    )
    # changed since the last line kept: journaled against what the journal said
    later = tracker.observe(state_of(("below", "confirmed"), band="risk-on"), T0 + 120)
    assert [(e.old, e.new) for e in later] == [("breakout", "confirmed")]
    store.save_journal(later)
    assert [(e.ts, e.new) for e in store.journal(subject="^rut")] == [
        (T0 + 60, "breakout"),
        (T0 + 120, "confirmed"),
    ]
    assert [e.new for e in store.journal(since=T0 + 61)] == ["confirmed"]
    assert [e.kind for e in store.journal(subject="gauge")] == ["gauge"]
    store.close()


def write_journal(path: Path) -> None:
    store = Store(path)
    store.save_journal([
        JournalEntry(T0, "gauge", "gauge", "", "neutral", "risk-on", 61.25),
        JournalEntry(T0 + 86_400, "breakout", "^RUT", "52_week_high", "testing", "breakout",
                     2_512.5, 2_500.0),
        JournalEntry(T0 + 86_460, "alert", "^RUT", "", None, "fired",
                     message="^RUT → breakout"),
    ])  # fmt: skip
    store.close()


def test_the_journal_command_prints_csv_json_and_text(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    write_journal(path)
    config = tmp_path / "c.toml"
    config.write_text(f'[store]\npath = "{path}"\n')
    out = r2kmon("journal", "--config", str(config), "--format", "csv", "--since", "2026-11-18")
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert [(r["ts"], r["type"], r["subject"], r["to"]) for r in rows] == [
        ("2026-11-18T15:00:00+00:00", "breakout", "^RUT", "breakout"),
        ("2026-11-18T15:01:00+00:00", "alert", "^RUT", "fired"),
    ]
    assert rows[0]["level"] == "52_week_high"
    assert float(rows[0]["reference"]) == 2_500.0

    out = r2kmon("journal", "--config", str(config), "--format", "json", "--symbol", "gauge")
    assert out.returncode == 0, out.stderr
    (line,) = (json.loads(x) for x in out.stdout.splitlines())
    assert line == {
        "ts": "2026-11-17T15:00:00+00:00", "type": "gauge", "subject": "gauge", "level": None,
        "from": "neutral", "to": "risk-on", "value": 61.25, "reference": None, "message": "",
    }  # fmt: skip

    out = r2kmon("journal", "--config", str(config), "--symbol", "^rut")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        "2026-11-18 15:00:00  ^RUT 52_week_high  testing → breakout  2,512.50 (level 2,500.00)",
        "2026-11-18 15:01:00  ^RUT  fired  ^RUT → breakout",
    ]


def test_journal_refuses_a_bad_date_and_says_when_there_is_no_store(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(f'[store]\npath = "{tmp_path / "none.sqlite"}"\n')
    out = r2kmon("journal", "--config", str(config), "--since", "yesterday")
    assert out.returncode == 2
    assert "expected a date, as 2026-11-17, not 'yesterday'" in out.stderr
    out = r2kmon("journal", "--config", str(config))
    assert out.returncode == 1
    assert "no journal yet" in out.stderr
    assert not (tmp_path / "none.sqlite").exists()  # reading never creates a store


def test_remote_text_in_the_text_format_styles_nothing() -> None:
    entry = JournalEntry(T0, "source", "yahoo", "", "up", "down", message="bad\x1b[2J\nline")
    assert render([entry], "text") == "2026-11-17 15:00:00  yahoo  up → down  bad [2J line\n"


def test_simulated_lines_say_so() -> None:
    """``watch --demo`` marks every line, as every other output marks simulated data."""
    entry = JournalEntry(T0, "gauge", "gauge", "", "neutral", "risk-on", 61.0)
    assert json.loads(json_line(entry, simulated=True))["simulated"] is True
    assert "simulated" not in json.loads(json_line(entry))
