"""Alert rules: the ``[[alerts]]`` config, when a rule fires (crossings, re-arming, only new
data), and the alert command run as a real process."""

from __future__ import annotations

import asyncio
import sys
from decimal import Decimal
from pathlib import Path
from typing import get_args

import pytest

from r2kmon.clock import FrozenClock
from r2kmon.config import describe, load_config, parse_config
from r2kmon.errors import ConfigError
from r2kmon.hub import Hub
from r2kmon.model import BREAKOUT_STATES, GAUGE, Alert, AlertRule, BreakoutState, HubSnapshot, Tick
from r2kmon.model.analytics import AnalyticsResult, BoardRow, Gauge
from r2kmon.runtime import Runtime
from r2kmon.runtime.analysis import AlertLog
from r2kmon.runtime.rules import AlertCommand, RuleWatch
from r2kmon.runtime.state import AppState
from r2kmon.runtime.statusline import status_document, status_line
from tests.core.sample import judged, observe

T0 = 1_794_927_600.0  # Tuesday 2026-11-17 15:00:00 UTC


def watch_observe(
    watch: RuleWatch, snapshot: HubSnapshot, result: AnalyticsResult | None, now: float
) -> list[Alert]:
    """The rules observing ``snapshot`` with its quotes judged, as the alert log does."""
    return watch.observe(snapshot, result, now, judged(snapshot, now))


def load(tmp_path: Path, text: str) -> tuple[AlertRule, ...]:
    path = tmp_path / "r2kmon.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path).alerts


def problem(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text)
    return caught.value.message


# --- config ---------------------------------------------------------------------------


def test_rules_are_read_in_file_order_with_canonical_symbols(tmp_path: Path) -> None:
    rules = load(
        tmp_path,
        """
[[alerts]]
symbol = "btc/usd"
above = 100000
note = "take profit"

[[alerts]]
symbol = "^rut"
state = "breakout"

[[alerts]]
symbol = "Gauge"
below = 40
rearm = 5

[[alerts]]
symbol = "ETH-USD"
change_below = -5
""",
    )
    assert rules == (
        AlertRule("BTC-USD", "above", level=100000.0, note="take profit"),
        AlertRule("^RUT", "state", state="breakout"),
        AlertRule(GAUGE, "below", level=40.0, rearm=5.0),
        AlertRule("ETH-USD", "change_below", level=-5.0),
    )


def test_no_alerts_by_default(tmp_path: Path) -> None:
    assert load(tmp_path, "[general]\nbell = false\n") == ()


def test_every_bad_rule_is_named_by_file_line_and_entry(tmp_path: Path) -> None:
    message = problem(
        tmp_path,
        """[crypto]
symbols = ["BTC-USD"]

[[alerts]]
symbol = "DOGE-USD"
above = 1

[[alerts]]
symbol = "BTC-USD"
above = 1
below = 2

[[alerts]]
symbol = "^RUT"
state = "brekout"

[[alerts]]
symbol = "gauge"
change_above = 3

[[alerts]]
symbol = "BTC-USD"
abov = 1

[[alerts]]
symbol = "BTC-USD"
above = "lots"
""",
    )
    path = tmp_path / "r2kmon.toml"
    lines = message.splitlines()
    assert lines[0] == (
        f"{path}:5: key 'alerts.1.symbol': 'DOGE-USD' is not in crypto.symbols or "
        'markets.symbols; add it there, or use "gauge" for the risk-on score.'
    )
    assert lines[1] == (
        f"{path}:8: key 'alerts.2': needs exactly one of above, below, change_above, "
        "change_below, state (found: above, below)."
    )
    assert lines[2].startswith(f"{path}:15: key 'alerts.3.state': expected one of below,")
    assert lines[2].endswith("Did you mean 'breakout'?")
    assert lines[3] == (
        f"{path}:19: key 'alerts.4.change_above': the gauge has no change; use above or below."
    )
    assert lines[4].startswith(f"{path}:23: key 'alerts.5.abov': unknown key.")
    assert lines[4].endswith("Did you mean 'above'?")
    assert lines[6] == (
        f"{path}:27: key 'alerts.6.above': expected a number, got 'lots' (a string)."
    )
    # abov's entry also lacks a condition: said, not guessed.
    assert lines[5].startswith(f"{path}:21: key 'alerts.5': needs exactly one of")
    assert len(lines) == 7


def test_config_check_lists_the_rules(tmp_path: Path) -> None:
    path = tmp_path / "r2kmon.toml"
    path.write_text(
        '[general]\nalert_command = ["notify-send", "r2kmon", "{message}"]\n'
        '[[alerts]]\nsymbol = "^RUT"\nstate = "confirmed"\n'
        '[[alerts]]\nsymbol = "ETH-USD"\nchange_below = -5\nnote = "look"\n',
        encoding="utf-8",
    )
    lines = describe(load_config(path))
    assert lines[-3:] == [
        "alert: ^RUT → confirmed",
        "alert: ETH-USD change below -5% (look)",
        "alerts ring the bell: on; alert command: notify-send r2kmon {message}",
    ]


def test_alerts_must_be_an_array_of_tables(tmp_path: Path) -> None:
    message = problem(tmp_path, '[alerts]\nsymbol = "BTC-USD"\n')
    assert "key 'alerts': must be a list of tables: write each rule as [[alerts]]" in message


def test_the_state_names_are_the_breakout_machines() -> None:
    assert get_args(BreakoutState) == BREAKOUT_STATES


# --- when a rule fires ----------------------------------------------------------------


class Feed:
    """A real hub on a frozen clock, fed ticks one by one."""

    def __init__(self, *, simulated: bool = False) -> None:
        self.clock = FrozenClock(T0)
        self.hub = Hub(self.clock, simulated=simulated, symbols=("BTC-USD", "^RUT"))

    def tick(self, price: str, symbol: str = "BTC-USD", ref: str | None = None) -> HubSnapshot:
        self.clock.advance(1.0)
        self.hub.push_ticks(
            [
                Tick(
                    symbol,
                    Decimal(price),
                    self.clock.now(),
                    "binance",
                    "ticker",
                    ref_price=None if ref is None else Decimal(ref),
                )
            ]
        )
        return self.hub.snapshot()


def fired(
    watch: RuleWatch, snapshot: HubSnapshot, result: AnalyticsResult | None = None
) -> list[str]:
    return [alert.message for alert in watch_observe(watch, snapshot, result, snapshot.taken_at)]


def test_a_price_rule_fires_once_on_the_crossing_and_rearms_past_its_band() -> None:
    feed = Feed()
    watch = RuleWatch((AlertRule("BTC-USD", "above", level=100_000.0),))
    assert fired(watch, feed.tick("99000")) == []  # under the level: armed
    assert fired(watch, feed.tick("99990")) == []
    [message] = fired(watch, feed.tick("100012.34"))
    assert message == "BTC-USD above 100,000.00: 100,012.34 (binance, 15:00:03 UTC)"
    # Hovering around the level: within the re-arm band (0.25 % = 250) nothing rings.
    assert fired(watch, feed.tick("99900")) == []
    assert fired(watch, feed.tick("100100")) == []
    # Back under 99,750, then above again: a second crossing.
    assert fired(watch, feed.tick("99700")) == []
    assert len(fired(watch, feed.tick("100001"))) == 1


def test_each_rule_says_where_it_stands() -> None:
    feed = Feed()
    watch = RuleWatch(
        (
            AlertRule("BTC-USD", "above", level=100_000.0),
            AlertRule("^RUT", "change_below", level=-2.0),
            AlertRule(GAUGE, "above", level=60.0),
        )
    )

    def standing() -> list[tuple[str, str | None, str | None]]:
        return [(s.state, s.value, s.rearm_at) for s in watch.statuses()]

    assert standing() == [("waiting", None, None)] * 3
    watch_observe(watch, feed.tick("99000"), None, T0)
    watch_observe(watch, feed.tick("2300", symbol="^RUT", ref="2400"), None, T0)
    watch_observe(watch, feed.hub.snapshot(), result(64.4), T0)
    assert standing() == [
        ("armed", "99,000.00", None),
        ("beyond", "-4.17%", "> -1.50%"),
        ("beyond", "64", "< 58"),
    ]
    watch_observe(watch, feed.tick("100250"), None, T0 + 5)
    assert standing()[0] == ("fired", "100,250.00", "< 99,750.00")
    assert watch.statuses()[0].fired_at == T0 + 5
    assert watch.statuses()[1].fired_at is None


def test_a_level_that_already_holds_at_the_first_price_does_not_fire() -> None:
    feed = Feed()
    watch = RuleWatch((AlertRule("BTC-USD", "above", level=100_000.0),))
    assert fired(watch, feed.tick("105000")) == []  # a restart above the level: no repeat
    assert fired(watch, feed.tick("106000")) == []
    assert fired(watch, feed.tick("99000")) == []  # re-armed
    assert len(fired(watch, feed.tick("100500"))) == 1


def test_only_new_prices_count() -> None:
    feed = Feed()
    watch = RuleWatch((AlertRule("BTC-USD", "below", level=90_000.0, rearm=0.0),))
    snapshot = feed.tick("91000")
    assert fired(watch, snapshot) == []
    crossed = feed.tick("89000")
    assert len(fired(watch, crossed)) == 1
    # The same quote seen again (no new tick, e.g. a stalled feed) is not a new crossing,
    # even with a zero re-arm band.
    assert fired(watch, crossed) == []
    assert fired(watch, feed.hub.snapshot()) == []


def test_a_change_rule_reads_the_change_against_the_reference() -> None:
    feed = Feed()
    watch = RuleWatch((AlertRule("BTC-USD", "change_above", level=5.0),))
    assert fired(watch, feed.tick("104000", ref="100000")) == []
    [message] = fired(watch, feed.tick("105500", ref="100000"))
    assert message == "BTC-USD change above +5%: +5.50% at 105,500.00 (binance, 15:00:02 UTC)"
    # No reference price: no change, so nothing to judge.
    assert fired(watch, feed.tick("120000")) == []


def test_the_note_and_the_simulated_mark_go_into_the_message() -> None:
    feed = Feed(simulated=True)
    watch = RuleWatch((AlertRule("^RUT", "below", level=2400.0, note="cut risk"),))
    assert fired(watch, feed.tick("2410", symbol="^RUT")) == []
    [message] = fired(watch, feed.tick("2399.5", symbol="^RUT"))
    assert message == (
        "SIMULATED: ^RUT below 2,400.00: 2,399.50 (binance, 15:00:02 UTC) — cut risk"
    )


def board_row(symbol: str, state: BreakoutState | None) -> BoardRow:
    return BoardRow(symbol, 2500.0, 2450.0, "multi_year_high", T0, 2.0, state, T0, T0)


def result(score: float | None, state: BreakoutState | None = None) -> AnalyticsResult:
    gauge = Gauge(score, None, 1.0 if score is not None else 0.0, ())
    return AnalyticsResult((board_row("^RUT", state),), gauge, (), (), ())


def test_gauge_and_state_rules_read_the_analytics() -> None:
    snapshot = Feed().hub.snapshot()
    watch = RuleWatch(
        (AlertRule(GAUGE, "above", level=60.0), AlertRule("^RUT", "state", state="breakout"))
    )
    assert fired(watch, snapshot, None) == []  # no analytics yet
    assert fired(watch, snapshot, result(55.0, "testing")) == []
    assert fired(watch, snapshot, result(61.0, "breakout")) == [
        "gauge above 60: score 61",
        "^RUT → breakout (breakout board)",
    ]
    # Unchanged: nothing more. A gauge that loses its data says nothing either.
    assert fired(watch, snapshot, result(61.0, "breakout")) == []
    assert fired(watch, snapshot, result(None, "confirmed")) == []
    # Down past the 2-point band, up again: the gauge rule rings again.
    assert fired(watch, snapshot, result(57.0, "confirmed")) == []
    assert fired(watch, snapshot, result(62.0, "confirmed")) == ["gauge above 60: score 62"]


def test_a_state_seen_first_is_where_the_rule_starts() -> None:
    snapshot = Feed().hub.snapshot()
    watch = RuleWatch((AlertRule("^RUT", "state", state="breakout"),))
    assert fired(watch, snapshot, result(50.0, "breakout")) == []  # already there at start
    assert fired(watch, snapshot, result(50.0, "failed")) == []
    assert fired(watch, snapshot, result(50.0, "breakout")) == ["^RUT → breakout (breakout board)"]


def test_the_alert_log_keeps_rule_alerts_and_hands_them_on() -> None:
    feed = Feed()
    heard: list[Alert] = []
    log = AlertLog((AlertRule("BTC-USD", "above", level=100.0),), heard.append)
    assert not observe(log, feed.tick("99"), None, T0)
    assert observe(log, feed.tick("101"), None, T0 + 1)
    assert [a.level for a in log.alerts] == ["alert"]
    assert heard == list(log.alerts)


# --- the alert command ----------------------------------------------------------------

ALERT = Alert(T0, "alert", "BTC-USD", "BTC-USD above 100,000.00: 100,012.34")


async def settle(command: AlertCommand) -> None:
    async with asyncio.timeout(10):
        await command.wait()


async def test_the_command_runs_without_a_shell_with_the_message(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    script = "import sys, pathlib; pathlib.Path(sys.argv[1]).write_text(repr(sys.argv[2:]))"
    reports: list[Alert] = []
    command = AlertCommand(
        (sys.executable, "-c", script, str(out), "{symbol}", "{message}; $(touch x)"),
        reports.append,
    )
    command(ALERT)
    await settle(command)
    assert out.read_text() == repr(["BTC-USD", f"{ALERT.message}; $(touch x)"])
    assert reports == []
    assert not (tmp_path / "x").exists()


async def test_without_a_placeholder_the_message_is_the_last_argument(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    script = "import sys, pathlib; pathlib.Path(sys.argv[1]).write_text(sys.argv[-1])"
    command = AlertCommand((sys.executable, "-c", script, str(out)), lambda alert: None)
    command(ALERT)
    await settle(command)
    assert out.read_text() == ALERT.message


async def test_a_command_that_fails_is_reported_not_raised(tmp_path: Path) -> None:
    reports: list[Alert] = []
    missing = AlertCommand((str(tmp_path / "no-such-notifier"),), reports.append)
    missing(ALERT)
    failing = AlertCommand(
        (sys.executable, "-c", "import sys; sys.exit('no display here')"), reports.append
    )
    failing(ALERT)
    hanging = AlertCommand(
        (sys.executable, "-c", "import time; time.sleep(60)"), reports.append, timeout_s=0.3
    )
    hanging(ALERT)
    for command in (missing, failing, hanging):
        await settle(command)
    said = sorted(alert.message for alert in reports)
    assert all(alert.level == "warning" and alert.source == "alert_command" for alert in reports)
    assert said[0].startswith(f"'{sys.executable}' exited with 1: no display here")
    assert said[1] == f"'{sys.executable}' still running after 0.3 s; killed"
    assert said[2].startswith(f"cannot run '{tmp_path / 'no-such-notifier'}'")


async def test_the_runtime_runs_the_command_for_a_rule_that_fires(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    script = "import sys, pathlib; pathlib.Path(sys.argv[1]).write_text(sys.argv[2])"
    config = parse_config(
        f"""
[general]
alert_command = ['{sys.executable}', '-c', '{script}', '{out}', '{{message}}']

[store]
enabled = false

[[alerts]]
symbol = "^RUT"
below = 2400
""",
        tmp_path / "r2kmon.toml",
    )
    feed = Feed()
    runtime = Runtime(config, demo=False, clock=feed.clock, producers=[], hub=feed.hub)
    assert runtime.alert_command is not None
    feed.tick("2410", symbol="^RUT")
    await runtime.analysis.step()
    feed.tick("2390", symbol="^RUT")
    await runtime.analysis.step()
    async with asyncio.timeout(10):
        await runtime.alert_command.wait()
    assert out.read_text() == "^RUT below 2,400.00: 2,390.00 (binance, 15:00:02 UTC)"
    assert [alert.level for alert in runtime.state().alerts] == ["alert"]


def test_the_status_line_shows_the_last_rule_that_fired_for_a_while() -> None:
    feed = Feed(simulated=True)
    feed.tick("2410", symbol="^RUT")
    alerts = (
        Alert(T0, "alert", "BTC-USD", "SIMULATED: BTC-USD above 100,000.00: 100,012.34 (x)"),
        Alert(T0 + 60, "info", "^RUT", "testing → breakout"),
        Alert(T0 + 90, "alert", "^RUT", "SIMULATED: ^RUT → breakout (breakout board)"),
    )
    document = status_document(AppState(feed.hub.snapshot(), alerts=alerts), T0 + 120)
    assert document["alert"] == {"ts": T0 + 90, "message": alerts[2].message}
    line = status_line(document, T0 + 120, ["^RUT"])
    assert line == (
        "^RUT 2,410.00 STALE │ ALERT ^RUT → breakout (breakout board) 30s ago │ SIMULATED"
    )
    document["written_at"] = T0 + 900
    assert status_line(document, T0 + 905, ["^RUT"]).endswith(
        "│ ALERT ^RUT → breakout (breakout board) 13m ago │ SIMULATED"
    )
    assert "ALERT" not in status_line(document, T0 + 90 + 901, ["^RUT"])
    only_price = AppState(feed.hub.snapshot(), alerts=alerts[:1])
    assert "│ ALERT BTC-USD above 100,000.00 2m ago" in status_line(
        status_document(only_price, T0 + 120), T0 + 120, ["^RUT"]
    )
