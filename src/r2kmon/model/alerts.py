"""The alert types every layer shares: the user's ``[[alerts]]`` rules and the alert log.

The config loader builds :class:`AlertRule` s, the runtime (:mod:`r2kmon.runtime.rules`)
watches them and writes :class:`Alert` s to the alert log, the store keeps the log, and the
UI and the status line show both. Plain frozen types, no behaviour beyond describing
themselves, so none of those layers has to import another to name them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from r2kmon.model.core import price_text

AlertLevel = Literal["info", "warning", "error", "alert"]
"""``alert``: one of the user's ``[[alerts]]`` rules fired (:mod:`r2kmon.runtime.rules`)."""


@dataclass(frozen=True, slots=True)
class Alert:
    """One line of the alert log: a breakout state change, a source going down or back, a
    rule of the user's firing."""

    ts: float
    level: AlertLevel
    source: str
    message: str


GAUGE: Final = "gauge"
"""The rule symbol that means the risk-on gauge's score (0-100)."""

ALTSEASON: Final = "altseason"
"""The rule symbol that means the altcoin-season index (0-100; 75 and above: altcoin
season, 25 and below: bitcoin season)."""


def is_ratio(symbol: str) -> bool:
    """Whether a rule's symbol names a ratio (``IWM/SPY``): its ``above``/``below`` compare
    the ratio's distance from its 200-day average, in percent."""
    return "/" in symbol


COMMAND_SOURCE: Final = "alert_command"
"""The alert log's source for an ``alert_command`` that could not be run or failed."""

CONDITIONS: Final = ("above", "below", "change_above", "change_below", "state")
"""The condition keys of an ``[[alerts]]`` table with a ``symbol``; a rule has exactly one.
(A table with a ``source`` has ``down_for`` instead.)"""

Condition = Literal["above", "below", "change_above", "change_below", "state", "down_for"]
"""``down_for``: the source named by ``symbol`` has been down for ``level`` minutes."""


@dataclass(frozen=True, slots=True)
class AlertRule:
    """One ``[[alerts]]`` entry, validated by the config loader."""

    symbol: str
    """A configured symbol in canonical form, or ``gauge``."""
    condition: Condition
    level: float | None = None
    """The price, percent or score of ``above``/``below``/``change_*`` rules."""
    state: str | None = None
    """The breakout state of a ``state`` rule."""
    rearm: float | None = None
    """How far back past the level the value must go before the rule fires again, in the
    rule's own unit; ``None``: 0.25 % of the level for prices, 0.5 points for changes,
    2 points for the gauge."""
    note: str = ""
    """The user's words, appended to the alert (``"take profit"``)."""
    window_s: float | None = None
    """``within`` of a ``change_*`` rule: the change is measured over this many seconds
    (against the 1-minute bar that far back) instead of the quote's own 24 h or day."""

    @property
    def band(self) -> float:
        """The re-arm distance in force (``rearm``, or the default for the rule's unit)."""
        if self.rearm is not None:
            return self.rearm
        if self.symbol in (GAUGE, ALTSEASON):
            return 2.0
        if self.condition == "down_for":
            return self.level or 0.0  # re-armed once the source works again (0 minutes)
        if is_ratio(self.symbol):
            return 0.5
        if self.condition in ("change_above", "change_below"):
            return 0.5
        return abs(self.level or 0.0) * 0.0025

    def describe(self) -> str:
        """``BTC-USD above 100,000.00`` · ``ETH-USD change below -5%`` · ``^RUT → breakout``."""
        if self.condition == "state":
            return f"{self.symbol} → {self.state}"
        assert self.level is not None
        if self.condition == "down_for":
            return f"{self.symbol} down for {self.level:g} min"
        if is_ratio(self.symbol):
            return f"{self.symbol} vs its 200-day average {self.condition} {self.level:+g}%"
        if self.condition in ("change_above", "change_below"):
            side = self.condition.removeprefix("change_")
            within = f" within {duration_text(self.window_s)}" if self.window_s else ""
            return f"{self.symbol} change {side} {self.level:+g}%{within}"
        level = f"{self.level:g}" if self.symbol in (GAUGE, ALTSEASON) else price_text(self.level)
        return f"{self.symbol} {self.condition} {level}"


RuleState = Literal["waiting", "armed", "fired", "beyond"]
"""``waiting``: no data yet; ``armed``: the next crossing fires; ``fired``: it fired and
re-arms once the value is back past ``rearm_at``; ``beyond``: the value was already past the
level when first seen (it re-arms the same way)."""


@dataclass(frozen=True, slots=True)
class RuleStatus:
    """Where one rule stands, for the health view."""

    rule: AlertRule
    state: RuleState
    value: str | None = None
    """The value last looked at, as shown (``99,876.50``, ``+3.20%``, ``61``, ``testing``)."""
    fired_at: float | None = None
    """When it last fired in this run."""

    @property
    def rearm_at(self) -> str | None:
        """``< 99,750.00``: where the value must go before the rule can fire again."""
        rule = self.rule
        if self.state not in ("fired", "beyond"):
            return None
        if rule.condition == "state":
            return f"≠ {rule.state}"
        if rule.condition == "down_for":
            return "working again"
        assert rule.level is not None
        if is_ratio(rule.symbol):
            side = "< " if rule.condition == "above" else "> "
            sign = -1 if rule.condition == "above" else 1
            return f"{side}{rule.level + sign * rule.band:+.2f}%"
        if rule.condition.endswith("above"):
            return "< " + _level_text(rule, rule.level - rule.band)
        return "> " + _level_text(rule, rule.level + rule.band)


def duration_text(seconds: float) -> str:
    """``1h`` · ``30m`` · ``90s`` · ``2h30m``: a rule's window as the config writes it."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [
        f"{hours}h" if hours else "",
        f"{minutes}m" if minutes else "",
        f"{secs}s" if secs else "",
    ]
    return "".join(parts) or "0s"


def _level_text(rule: AlertRule, value: float) -> str:
    if rule.symbol in (GAUGE, ALTSEASON):
        return f"{value:g}"
    if rule.condition in ("change_above", "change_below"):
        return f"{value:+.2f}%"
    return price_text(value)
