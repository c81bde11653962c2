"""The alert log: the one place that decides what a change is.

Kept by :class:`r2kmon.runtime.analysis.Analysis`, which shows it every observation;
drawn by the health view, saved by the store, and read by the UI's notifications
(:mod:`r2kmon.ui.notices`), which turn its new lines into the few worth a toast instead of
telling changes apart again. Pandas-free, so the UI can read its vocabulary.

A source's line says where its health went: ``down: <reason>`` (also when a source's
first report is a failure: one that never worked is worth a line), ``stale: no fresh
data``, ``back to ok``. ``connecting`` between two attempts is no change (a feed retrying
would otherwise add a line per retry). Besides those: a breakout state changing, one of the
user's rules firing, and what the runtime notes itself (an alert command that failed, a
store event).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from typing import Final, Literal

from r2kmon.model import Alert, AlertRule, Freshness, HubSnapshot
from r2kmon.model.analytics import AnalyticsResult
from r2kmon.runtime.rules import RuleWatch

ALERTS_KEPT = 200

DOWN: Final = "down: "
"""How the line of a source going down begins (the reason follows)."""
STALE: Final = "stale: no fresh data"
BACK: Final = "back to ok"

HealthStep = Literal["down", "stale", "ok"]


def health_step(alert: Alert) -> HealthStep | None:
    """Where a source's health line says the source went; ``None`` for any other line."""
    if alert.level == "error" and alert.message.startswith(DOWN):
        return "down"
    if alert.level == "warning" and alert.message == STALE:
        return "stale"
    if alert.level == "info" and alert.message == BACK:
        return "ok"
    return None


class AlertLog:
    """Turns changes between two observations into alerts: a source going down or coming
    back, a breakout state changing, one of the user's rules firing (``on_rule`` hears
    each of those too)."""

    def __init__(
        self,
        rules: tuple[AlertRule, ...] = (),
        on_rule: Callable[[Alert], None] | None = None,
    ) -> None:
        self.alerts: deque[Alert] = deque(maxlen=ALERTS_KEPT)
        self._status: dict[str, str] = {}
        self._states: dict[str, str | None] = {}
        self.rules = RuleWatch(rules)
        self._on_rule = on_rule

    def note(self, alert: Alert) -> None:
        """Add a line that did not come from observing the data (an alert command that
        failed, a store event). One that says its source failed (level ``error``) counts
        as having seen the source down, so the next observation does not say it again."""
        self.alerts.append(alert)
        if alert.level == "error":
            self._status[alert.source] = "down"

    def observe(
        self,
        snapshot: HubSnapshot,
        result: AnalyticsResult | None,
        now: float,
        freshness: Mapping[str, Freshness],
    ) -> bool:
        """Record what changed; return whether any alert was added. ``freshness`` is each
        quote's, as the state carries it: no rule fires on a stale price."""
        before = len(self.alerts), (self.alerts[-1] if self.alerts else None)
        for name, health in snapshot.health.items():
            if health.status == "connecting":
                # Between two failed attempts a source is "connecting" again: not a
                # change worth a line (down → connecting → down would add one per retry).
                continue
            old = self._status.get(name)
            self._status[name] = health.status
            if old == health.status or (old is None and health.status != "down"):
                continue  # first sight of a working source: where it starts, not a change
            if health.status == "down":
                reason = health.last_error or "no reason given"
                self.alerts.append(Alert(now, "error", name, DOWN + reason))
            elif health.status == "stale":
                self.alerts.append(Alert(now, "warning", name, STALE))
            elif health.status == "ok" and old in ("down", "stale"):
                self.alerts.append(Alert(now, "info", name, BACK))
        for row in result.board if result is not None else ():
            old_state = self._states.get(row.symbol)
            self._states[row.symbol] = row.state
            if old_state is not None and old_state != row.state:
                level = f" {row.resistance_kind} {row.resistance:,.2f}" if row.resistance else ""
                self.alerts.append(
                    Alert(now, "info", row.symbol, f"{old_state} → {row.state}{level}")
                )
        for alert in self.rules.observe(snapshot, result, now, freshness):
            self.alerts.append(alert)
            if self._on_rule is not None:
                self._on_rule(alert)
        return (len(self.alerts), self.alerts[-1] if self.alerts else None) != before
