"""The alert kinds beyond a price level: a move within a window (``change_above = 5`` with
``within = "1h"``) and the altcoin-season index crossing 75 or 25. Each fires once on its
edge, not again until re-armed, and not on a restart."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from types import MappingProxyType

from r2kmon.clock import FrozenClock
from r2kmon.hub import Hub
from r2kmon.model import ALTSEASON, AlertRule, HealthStatus, HubSnapshot, SourceHealth, Tick
from r2kmon.model.analytics import AnalyticsResult, ContextEntry, Gauge
from r2kmon.runtime.rules import RuleWatch
from tests.core.test_alert_rules import load, problem, watch_observe

T0 = 1_794_927_600.0  # Tuesday 2026-11-17 15:00:00 UTC
WITHIN_1H = AlertRule("BTC-USD", "change_above", level=5.0, window_s=3600.0)


class Minutes:
    """A real hub on a frozen clock, fed one BTC-USD price a minute (1-minute bars form)."""

    def __init__(self) -> None:
        self.clock = FrozenClock(T0)
        self.hub = Hub(self.clock, simulated=False, symbols=("BTC-USD",))

    def tick(self, price: str, minutes: float = 1.0) -> HubSnapshot:
        self.clock.advance(60.0 * minutes)
        tick = Tick("BTC-USD", Decimal(price), self.clock.now(), "binance", "trade")
        self.hub.push_ticks([tick])
        return self.hub.snapshot()


def fired(
    watch: RuleWatch, snapshot: HubSnapshot, result: AnalyticsResult | None = None
) -> list[str]:
    return [a.message for a in watch_observe(watch, snapshot, result, snapshot.taken_at)]


def test_a_move_within_a_window_fires_once_on_its_edge() -> None:
    feed = Minutes()
    watch = RuleWatch((WITHIN_1H,))
    # Less than an hour of bars: no move can be measured, so nothing is judged.
    for _ in range(59):
        assert fired(watch, feed.tick("100")) == []
    assert watch.statuses()[0].state == "waiting"
    assert fired(watch, feed.tick("100", minutes=2)) == []  # 0 % over the hour: armed
    assert watch.statuses()[0].state == "armed"
    assert fired(watch, feed.tick("104")) == []
    [message] = fired(watch, feed.tick("105.5"))
    assert message == "BTC-USD change above +5% within 1h: +5.50% at 105.50 (binance, 16:03:00 UTC)"
    assert fired(watch, feed.tick("106")) == []  # still beyond: not again
    # A restart (a new watch on the same data, still beyond): nothing rings.
    again = RuleWatch((WITHIN_1H,))
    assert fired(again, feed.tick("106.2")) == []
    assert again.statuses()[0].state == "beyond"
    # Back under 5 - 0.5 over the hour, then past 5 again: the second edge.
    assert fired(watch, feed.tick("104")) == []
    assert len(fired(watch, feed.tick("106"))) == 1


def season(index: float | None) -> AnalyticsResult:
    entry = ContextEntry("altcoin_season", index, "index 0-100", "coingecko", T0, None)
    return AnalyticsResult((), Gauge(None, None, 0.0, ()), (), (entry,), ())


def test_altcoin_season_crossing_75_fires_once_and_25_the_other_way() -> None:
    snapshot = Minutes().tick("100")
    watch = RuleWatch(
        (AlertRule(ALTSEASON, "above", level=75.0), AlertRule(ALTSEASON, "below", level=25.0))
    )
    assert fired(watch, snapshot, season(None)) == []
    assert fired(watch, snapshot, season(60.0)) == []
    assert fired(watch, snapshot, season(76.0)) == ["altseason above 75: index 76"]
    assert fired(watch, snapshot, season(80.0)) == []
    assert fired(watch, snapshot, season(74.0)) == []  # within the re-arm band (2 points)
    assert fired(watch, snapshot, season(76.0)) == []
    assert fired(watch, snapshot, season(20.0)) == ["altseason below 25: index 20"]
    assert fired(watch, snapshot, season(76.0)) == ["altseason above 75: index 76"]
    # a restart while in altcoin season: where the rule starts, no alert
    assert fired(RuleWatch(watch.rules), snapshot, season(78.0)) == []


def test_the_config_reads_the_new_kinds_and_names_mistakes(tmp_path: Path) -> None:
    rules = load(
        tmp_path,
        """
[[alerts]]
symbol = "BTC-USD"
change_above = 5
within = "1h"

[[alerts]]
symbol = "AltSeason"
above = 75
""",
    )
    assert rules == (WITHIN_1H, AlertRule(ALTSEASON, "above", level=75.0))
    assert rules[0].describe() == "BTC-USD change above +5% within 1h"
    assert "alerts.1.within" in problem(
        tmp_path, '[[alerts]]\nsymbol = "BTC-USD"\nchange_above = 5\nwithin = "soon"\n'
    )
    assert "goes with change_above or change_below" in problem(
        tmp_path, '[[alerts]]\nsymbol = "BTC-USD"\nabove = 5\nwithin = "1h"\n'
    )
    assert "the altseason has no breakout state" in problem(
        tmp_path, '[[alerts]]\nsymbol = "altseason"\nstate = "breakout"\n'
    )


DOWN_5 = AlertRule("yahoo", "down_for", level=5.0)


class Outages:
    """A hub on a frozen clock whose ``yahoo`` source reports a status, minutes apart."""

    def __init__(self, watch: RuleWatch) -> None:
        self.clock = FrozenClock(T0)
        self.hub = Hub(self.clock, simulated=False, symbols=("BTC-USD",))
        self.watch = watch

    def report(self, status: HealthStatus, minutes: float = 1.0) -> list[str]:
        """What the rules say ``minutes`` later, ``yahoo`` reporting ``status`` (the same
        report again changes nothing in the hub: the rules are asked anyway, as the
        analysis asks them every round, with the time now)."""
        self.clock.advance(60.0 * minutes)
        error = "connection refused by 127.0.0.1:9" if status == "down" else None
        self.hub.push_health(SourceHealth("yahoo", "source", status, last_error=error))
        alerts = watch_observe(self.watch, self.hub.snapshot(), None, self.clock.now())
        return [a.message for a in alerts]


def test_a_source_down_for_n_minutes_fires_once_per_outage() -> None:
    feed = Outages(RuleWatch((DOWN_5,)))
    assert feed.report("ok") == []
    assert feed.report("down") == []  # the outage begins
    assert feed.report("connecting", 2) == []  # a retry: the same outage
    assert feed.report("down", 2) == []  # 4 minutes
    [message] = feed.report("down", 1.5)
    assert message == "yahoo down for 5 min: connection refused by 127.0.0.1:9"
    assert feed.report("down", 10) == []  # the same outage: once
    assert feed.report("ok") == []  # works again: re-armed
    assert feed.report("down") == []
    assert len(feed.report("down", 6)) == 1  # a new outage, a new alert


def test_an_outage_going_on_at_the_first_look_rings_nothing() -> None:
    """A restart during an outage: where the rule starts, as a level that already holds."""
    feed = Outages(watch := RuleWatch((DOWN_5,)))
    assert feed.report("down") == []
    assert feed.report("down", 30) == []
    assert watch.statuses()[0].state == "beyond"


def test_the_config_reads_a_source_rule(tmp_path: Path) -> None:
    rules = load(tmp_path, '[[alerts]]\nsource = "yahoo"\ndown_for = 5\nnote = "check VPN"\n')
    assert rules == (AlertRule("yahoo", "down_for", level=5.0, note="check VPN"),)
    assert rules[0].describe() == "yahoo down for 5 min"
    said = problem(tmp_path, '[[alerts]]\nsource = "yahooo"\ndown_for = 5\n')
    assert "alerts.1.source" in said
    assert "yahoo" in said  # the nearest name suggested
    assert "alerts.1.down_for" in problem(tmp_path, '[[alerts]]\nsource = "fred"\ndown_for = 0\n')
    assert "does not go with source" in problem(
        tmp_path, '[[alerts]]\nsource = "fred"\ndown_for = 5\nabove = 3\n'
    )


def ratio(pct_vs_slow: float | None, as_of: float = T0) -> AnalyticsResult:
    detail = {"sma_fast": None, "sma_slow": 0.5, "pct_vs_fast": None, "pct_vs_slow": pct_vs_slow}
    entry = ContextEntry("rs:IWM/SPY", 0.5, "ratio", "yahoo", as_of, None, MappingProxyType(detail))
    return AnalyticsResult((), Gauge(None, None, 0.0, ()), (), (entry,), ())


def test_a_ratio_crossing_its_200_day_average_fires_once() -> None:
    snapshot = Minutes().tick("100")
    watch = RuleWatch((AlertRule("IWM/SPY", "above", level=0.0),))
    assert fired(watch, snapshot, ratio(None)) == []  # too little history: waiting
    assert fired(watch, snapshot, ratio(-1.2)) == []
    [message] = fired(watch, snapshot, ratio(0.3, T0 + 60))
    assert message == "IWM/SPY vs its 200-day average above +0%: +0.30% (ratio 0.5)"
    assert fired(watch, snapshot, ratio(1.0, T0 + 120)) == []
    assert fired(watch, snapshot, ratio(-0.2, T0 + 180)) == []  # within the band (0.5)
    assert fired(watch, snapshot, ratio(0.2, T0 + 240)) == []
    assert fired(watch, snapshot, ratio(-0.6, T0 + 300)) == []  # re-armed
    assert len(fired(watch, snapshot, ratio(0.1, T0 + 360))) == 1
    # a restart above the average: nothing
    assert fired(RuleWatch(watch.rules), snapshot, ratio(0.4)) == []


def test_the_config_reads_a_ratio_rule(tmp_path: Path) -> None:
    rules = load(tmp_path, '[[alerts]]\nsymbol = "iwm/spy"\nabove = 0\n')
    assert rules == (AlertRule("IWM/SPY", "above", level=0.0),)
    assert "a ratio takes above or below" in problem(
        tmp_path, '[[alerts]]\nsymbol = "IWM/SPY"\nchange_above = 1\n'
    )
