"""Alert rules: the user's own thresholds, watched as the data moves.

A rule names a symbol (or ``gauge``, the risk-on score) and one condition::

    above / below            the price (or the gauge's score) crosses the level
    change_above / _below    the change in percent (24 h for crypto, the day for markets;
                             with ``within = "1h"`` over that window, against the
                             1-minute bar that far back) crosses the level
    state                    the symbol's breakout board state becomes this one

``source = "yahoo"`` with ``down_for = N`` fires when that source has been down for N minutes
of one outage; it re-arms when the source works again. An outage already going on at the
first look (at start) is where the rule starts, like a level that already holds: it rings
nothing until the source has worked again.

``symbol = "IWM/SPY"`` (a ratio) with ``above``/``below`` watches the ratio's distance from
its 200-day average, in percent (``above = 0``: the ratio crosses above its average).

``symbol = "altseason"`` watches the altcoin-season index (``above = 75``: altcoin season
begins; ``below = 25``: bitcoin season), as ``gauge`` watches the risk-on score.

Configured as ``[[alerts]]`` tables (:mod:`r2kmon.config`), watched by
:class:`RuleWatch` from :mod:`r2kmon.runtime.analysis` on every analytics round; what fires
becomes an :class:`~r2kmon.model.Alert` of level ``alert`` in the alert log, a
notification (and the terminal bell) in the UI, and the configured ``alert_command``.

A rule fires on a *crossing*, never on a level that already holds: the first value seen
only tells which side the rule starts on, so a restart does not repeat an alert. After
firing, the value must come back past the level by ``rearm`` before the rule can fire
again, so a price hovering at the level does not ring every few seconds. Only new data
counts: a quote is looked at again only when its time moved, and never while its
freshness (:mod:`r2kmon.runtime.freshness`) is ``stale`` — older than its source's cadence
allows, stamped in the future, or from a source that is stale or down — so stale data
never fires. A ``delayed`` or ``closed`` price is real and may.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from r2kmon.model import (
    ALTSEASON,
    COMMAND_SOURCE,
    GAUGE,
    Alert,
    AlertRule,
    Freshness,
    HubSnapshot,
    RuleState,
    RuleStatus,
    age_text,
    clean_text,
    is_ratio,
    price_text,
)
from r2kmon.model.analytics import AnalyticsResult
from r2kmon.redact import redact

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Watch:
    """What one rule has seen: the side it is on, and the observation last looked at."""

    state: RuleState = "waiting"
    seen: object = None
    """The observation last evaluated (a quote's time, a score, a state)."""
    value: str | None = None
    fired_at: float | None = None
    down_since: float | None = None
    """``down_for`` rules: when the current outage was first seen."""


class RuleWatch:
    """Evaluates the rules against each new observation; returns the alerts that fire."""

    def __init__(self, rules: tuple[AlertRule, ...]) -> None:
        self.rules = rules
        self._watch = [_Watch() for _ in rules]

    def statuses(self) -> tuple[RuleStatus, ...]:
        return tuple(
            RuleStatus(rule, watch.state, watch.value, watch.fired_at)
            for rule, watch in zip(self.rules, self._watch, strict=True)
        )

    def observe(
        self,
        snapshot: HubSnapshot,
        result: AnalyticsResult | None,
        now: float,
        freshness: Mapping[str, Freshness],
    ) -> list[Alert]:
        """The alerts that fire on this observation. ``freshness`` is each quote's, as the
        state carries it; a quote it does not judge is not looked at."""
        fired: list[Alert] = []
        states = {row.symbol: row.state for row in result.board} if result is not None else {}
        for rule, watch in zip(self.rules, self._watch, strict=True):
            message = (
                self._down_for(rule, watch, snapshot, now)
                if rule.condition == "down_for"
                else self._check(rule, watch, snapshot, result, states, freshness)
            )
            if message is not None:
                watch.fired_at = now
                prefix = "SIMULATED: " if snapshot.simulated else ""
                note = f" — {rule.note}" if rule.note else ""
                fired.append(Alert(now, "alert", rule.symbol, f"{prefix}{message}{note}"))
        return fired

    def _check(
        self,
        rule: AlertRule,
        watch: _Watch,
        snapshot: HubSnapshot,
        result: AnalyticsResult | None,
        states: Mapping[str, str | None],
        freshness: Mapping[str, Freshness],
    ) -> str | None:
        if rule.condition == "state":
            state = states.get(rule.symbol)
            if state is None or state == watch.seen:
                return None
            first, watch.seen, watch.value = watch.seen is None, state, state
            if state != rule.state:
                watch.state = "armed"
                return None
            if first:
                watch.state = "beyond"
                return None
            watch.state = "fired"
            return f"{rule.describe()} (breakout board)"
        derived = rule.symbol in (GAUGE, ALTSEASON) or is_ratio(rule.symbol)
        if not derived and freshness.get(rule.symbol, "stale") == "stale":
            return None  # a price that came while stale is looked at once it is fresh
        value, seen, text, where = self._value(rule, snapshot, result)
        if value is None or seen == watch.seen:
            return None
        watch.seen, watch.value = seen, text
        assert rule.level is not None
        above = rule.condition.endswith("above")
        beyond = value >= rule.level if above else value <= rule.level
        if watch.state == "waiting":
            # The first value only says where the rule starts: no alert for a level that
            # already holds (a restart must not repeat one).
            watch.state = "beyond" if beyond else "armed"
            return None
        if watch.state == "armed":
            if beyond:
                watch.state = "fired"
                return f"{rule.describe()}: {where}"
            return None
        back = value < rule.level - rule.band if above else value > rule.level + rule.band
        if back:
            watch.state = "armed"
        return None

    @staticmethod
    def _down_for(rule: AlertRule, watch: _Watch, snapshot: HubSnapshot, now: float) -> str | None:
        """A ``down_for`` rule: minutes of the current outage against the rule's level.
        ``connecting`` and ``stale`` between two failures neither start nor end one."""
        health = snapshot.health.get(rule.symbol)
        if health is None:
            return None
        if health.status == "ok":
            watch.down_since, watch.value, watch.state = None, "ok", "armed"
            return None
        if health.status != "down":
            return None
        if watch.state == "waiting":
            watch.state, watch.value = "beyond", "down"  # down before we ever saw it work
            return None
        if watch.down_since is None:
            watch.down_since = now
        down_s = now - watch.down_since
        watch.value = f"down {age_text(down_s)}"
        assert rule.level is not None
        if watch.state == "armed" and down_s >= rule.level * 60.0:
            watch.state = "fired"
            return f"{rule.describe()}: {health.last_error or 'no reason given'}"
        return None

    @staticmethod
    def _value(
        rule: AlertRule, snapshot: HubSnapshot, result: AnalyticsResult | None
    ) -> tuple[float | None, object, str, str]:
        """The rule's value now, what identifies this observation, the value as shown, and
        how the alert says it."""
        if rule.symbol == GAUGE:
            score = result.gauge.score if result is not None else None
            if score is None:
                return None, None, "", ""
            return score, score, f"{score:.0f}", f"score {score:.0f}"
        if is_ratio(rule.symbol):
            return _ratio_value(rule.symbol, result)
        if rule.symbol == ALTSEASON:
            entry = (
                next((c for c in result.context if c.name == "altcoin_season"), None)
                if result is not None
                else None
            )
            if entry is None or entry.value is None:
                return None, None, "", ""
            index = entry.value
            return index, (index, entry.as_of), f"{index:.0f}", f"index {index:.0f}"
        quote = snapshot.quotes.get(rule.symbol)
        if quote is None:
            return None, None, "", ""
        at = datetime.fromtimestamp(quote.ts, UTC).strftime("%H:%M:%S UTC")
        price = price_text(quote.price)
        said = f"{price} ({quote.source}, {at})"
        if rule.condition in ("change_above", "change_below") and rule.window_s:
            moved = _move(snapshot, rule.symbol, float(quote.price), quote.ts, rule.window_s)
            if moved is None:
                return None, None, "", ""
            return moved, quote.ts, f"{moved:+.2f}%", f"{moved:+.2f}% at {said}"
        if rule.condition in ("change_above", "change_below"):
            change = quote.change_pct
            if change is None:
                return None, None, "", ""
            return change, quote.ts, f"{change:+.2f}%", f"{change:+.2f}% at {said}"
        return float(quote.price), quote.ts, price, said


def _ratio_value(
    symbol: str, result: AnalyticsResult | None
) -> tuple[float | None, object, str, str]:
    """A ratio's distance from its 200-day average in percent, from the analytics'
    ``rs:`` context entry (none until there are 200 observations, or for another ratio)."""
    entry = None
    if result is not None:
        entry = next((c for c in result.context if c.name == f"rs:{symbol}"), None)
    distance = entry.detail.get("pct_vs_slow") if entry is not None else None
    if entry is None or isinstance(distance, bool) or not isinstance(distance, (int, float)):
        return None, None, "", ""
    ratio = f" (ratio {entry.value:.4g})" if entry.value is not None else ""
    return distance, (distance, entry.as_of), f"{distance:+.2f}%", f"{distance:+.2f}%{ratio}"


def _move(
    snapshot: HubSnapshot, symbol: str, price: float, ts: float, window_s: float
) -> float | None:
    """The change in percent from the close of the last 1-minute bar that began at least
    ``window_s`` before ``ts`` to ``price``; None while the bars do not reach that far
    back (a rule never fires on a guess)."""
    bars = snapshot.bars_1m.get(symbol, ())
    since = ts - window_s
    reference = None
    for bar in reversed(bars):
        if bar.start <= since:
            reference = bar.close
            break
    if reference is None or reference <= 0:
        return None
    return (price / float(reference) - 1.0) * 100.0


class AlertCommand:
    """Runs the configured ``alert_command`` once per alert that fires.

    No shell: each argument is passed as written, with ``{message}`` and ``{symbol}``
    replaced (without ``{message}`` anywhere, the message is added as the last argument).
    The command's output never reaches the terminal the UI draws on; at most
    :data:`MAX_RUNNING` run at once, each for at most ``timeout_s``. A command that cannot
    start, fails or hangs is logged and ``report``\\ ed as a warning for the alert log.
    """

    MAX_RUNNING: Final = 4

    def __init__(
        self,
        argv: tuple[str, ...],
        report: Callable[[Alert], None],
        *,
        timeout_s: float = 30.0,
    ) -> None:
        self.argv = argv
        self._report = report
        self._timeout_s = timeout_s
        self._running: set[asyncio.Task[None]] = set()

    def __call__(self, alert: Alert) -> None:
        """Start the command for ``alert`` (called on the event loop); returns at once."""
        if len(self._running) >= self.MAX_RUNNING:
            self._fail(alert, f"{self.MAX_RUNNING} alert commands still running; skipped")
            return
        task = asyncio.create_task(self._run(alert), name="r2kmon:alert-command")
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def wait(self) -> None:
        """Until every command started so far has ended (or been killed)."""
        while self._running:
            await asyncio.wait(set(self._running))

    def command_for(self, alert: Alert) -> list[str]:
        """The argument list run for ``alert``."""
        fields = {"{message}": redact(alert.message), "{symbol}": alert.source}
        argv = []
        for arg in self.argv:
            for name, value in fields.items():
                arg = arg.replace(name, value)
            argv.append(arg)
        if not any("{message}" in arg for arg in self.argv):
            argv.append(redact(alert.message))
        return argv

    async def _run(self, alert: Alert) -> None:
        argv = self.command_for(alert)
        try:
            process = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )
        except OSError as exc:
            self._fail(alert, f"cannot run {argv[0]!r}: {exc.strerror or exc}")
            return
        try:
            async with asyncio.timeout(self._timeout_s):
                _, stderr = await process.communicate()
        except TimeoutError:
            process.kill()
            await process.wait()
            self._fail(alert, f"{argv[0]!r} still running after {self._timeout_s:g} s; killed")
            return
        if process.returncode != 0:
            said = stderr.decode(errors="replace").strip().splitlines()
            detail = f": {said[-1]}" if said else ""
            self._fail(alert, f"{argv[0]!r} exited with {process.returncode}{detail}")

    def _fail(self, alert: Alert, reason: str) -> None:
        message = clean_text(reason)
        log.warning("%s: %s (for: %s)", COMMAND_SOURCE, message, alert.message)
        self._report(Alert(alert.ts, "warning", COMMAND_SOURCE, message))
