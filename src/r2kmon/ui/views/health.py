"""View 7, health and alerts: every source's state, age, message rate, bad frames,
reconnect countdown (from ``retry_at``), silent symbols and last error; where each of the
user's ``[[alerts]]`` rules stands (when there are any); then the alert log, newest first.
The countdowns move once a second; only their cells repaint.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from r2kmon.model import Alert, HubSnapshot, RuleStatus
from r2kmon.model.state import AppState
from r2kmon.ui import format as fmt
from r2kmon.ui.palette import ALERT_STYLE, DIM, HEALTH_STYLE, health_word
from r2kmon.ui.views.base import DrawContext, View
from r2kmon.ui.views.details import source_detail
from r2kmon.ui.widgets.table import Column, ColumnTable, TableRow

SOURCE_COLUMNS = (
    Column("SOURCE", 15),  # binance-breadth, the longest source name
    Column("KIND", 6, drop=3),
    Column("STATE", 13),
    Column("AGE", 5, "right"),
    Column("MSG/S", 6, "right", drop=2),
    Column("BAD", 4, "right", drop=2),
    Column("RETRY", 7, "right"),
    Column("SILENT", 10, drop=1),
    Column("LAST ERROR", 16, flex=True),
)

ALERT_COLUMNS = (
    Column("TIME (UTC)", 16),
    Column("LEVEL", 7),
    Column("SOURCE", 14, drop=1),
    Column("MESSAGE", 20, flex=True),
)


RULE_COLUMNS = (
    Column("RULE", 24, flex=True, most=60),
    Column("NOW", 12, "right"),
    Column("STATE", 8),
    Column("RE-ARMS", 13, drop=2),
    Column("FIRED (UTC)", 16, drop=1),
)

_RULE_STATE_STYLE: dict[str, str | Style] = {
    "fired": ALERT_STYLE["alert"],
    "armed": "",
    "beyond": DIM,
    "waiting": DIM,
}


def rule_rows(rules: Sequence[RuleStatus], ctx: DrawContext) -> list[TableRow]:
    """One row per ``[[alerts]]`` rule, in config order."""
    rows = []
    for n, status in enumerate(rules):
        rule = status.rule
        if not ctx.matches(rule.symbol, rule.note):
            continue
        note = f"  ({rule.note})" if rule.note else ""
        rows.append(
            TableRow(
                f"rule:{n}",
                (
                    Text(rule.describe() + note),
                    status.value or "—",
                    Text(status.state, _RULE_STATE_STYLE[status.state]),
                    status.rearm_at or "—",
                    fmt.when(status.fired_at, with_time=True),
                ),
            )
        )
    return rows


def source_rows(hub: HubSnapshot, ctx: DrawContext) -> list[TableRow]:
    """One row per source the hub has heard from, in the order they reported."""
    rows = []
    for record in hub.health.values():
        if not ctx.matches(record.name):
            continue
        age = "—" if record.last_ok is None else fmt.age(max(0.0, ctx.now - record.last_ok))
        retry = "—" if record.retry_at is None else fmt.countdown(record.retry_at - ctx.now)
        error = Text(record.last_error or "—", DIM if not record.last_error else "")
        rows.append(
            TableRow(
                f"src:{record.name}",
                (
                    Text(record.name),
                    record.kind,
                    Text(
                        health_word(record.status, ascii_only=ctx.ascii_only),
                        HEALTH_STYLE[record.status],
                    ),
                    age,
                    f"{record.msgs_per_s:.1f}",
                    str(record.bad_frames),
                    retry,
                    Text(", ".join(record.silent_symbols) or "—"),
                    error,
                ),
            )
        )
    return rows


def alert_rows(alerts: Sequence[Alert], ctx: DrawContext) -> list[TableRow]:
    """The alert log, newest first."""
    rows = []
    for n, alert in enumerate(reversed(alerts)):
        if not ctx.matches(alert.source, alert.message):
            continue
        rows.append(
            TableRow(
                f"alert:{len(alerts) - 1 - n}",
                (
                    fmt.when(alert.ts, with_time=True),
                    Text(alert.level, ALERT_STYLE.get(alert.level, DIM)),
                    Text(alert.source),
                    Text(alert.message),
                ),
            )
        )
    return rows


class HealthView(View):
    """Sources, the alert rules and the alert log."""

    TITLE = "Health"
    DIGIT = "7"

    def compose(self) -> ComposeResult:
        self.add_class("-no-rules")  # until a state with rules arrives
        yield Static("Sources", classes="pane-title")
        yield ColumnTable(SOURCE_COLUMNS, id="sources")
        yield Static(
            "Alert rules ([[alerts]] in the config)", classes="pane-title", id="rules-title"
        )
        yield ColumnTable(RULE_COLUMNS, id="rules")
        yield Static("Alert log (newest first)", classes="pane-title")
        yield ColumnTable(ALERT_COLUMNS, id="alerts")

    def show(self, state: AppState, ctx: DrawContext) -> None:
        sources = self.query_one("#sources", ColumnTable)
        sources.set_rows(source_rows(state.hub, ctx), ctx.empty("no source has reported yet"))
        sources.styles.height = max(len(sources.rows), 1) + 1
        rules = self.query_one("#rules", ColumnTable)
        self.set_class(not state.rules, "-no-rules")
        if state.rules:
            rules.set_rows(rule_rows(state.rules, ctx), ctx.empty("no rule"))
            rules.styles.height = max(len(rules.rows), 1) + 1
        self.query_one("#alerts", ColumnTable).set_rows(
            alert_rows(state.alerts, ctx), ctx.empty("no alerts so far")
        )

    def detail(self, key: str, state: AppState, ctx: DrawContext) -> Text | None:
        if key.startswith("src:"):
            record = state.hub.health.get(key[4:])
            return source_detail(record, ctx) if record else None
        if key.startswith("rule:"):
            index = int(key[5:])
            if not 0 <= index < len(state.rules):
                return None
            status = state.rules[index]
            text = Text(status.rule.describe() + "\n", "bold")
            if status.rule.note:
                text.append(status.rule.note + "\n")
            text.append(f"\nnow: {status.value or '— (no data yet)'}\n")
            text.append(f"state: {status.state}")
            if status.rearm_at:
                text.append(f" (can fire again once {status.rearm_at})")
            fired = fmt.when(status.fired_at, with_time=True)
            text.append(
                f"\nlast fired: {fired}{' UTC' if status.fired_at else ' (not in this run)'}"
            )
            return text
        if key.startswith("alert:"):
            index = int(key[6:])
            if not 0 <= index < len(state.alerts):
                return None  # the bounded log moved on since the row was drawn
            alert = state.alerts[index]
            text = Text(fmt.when(alert.ts, with_time=True) + " UTC  ", DIM)
            text.append(alert.level, ALERT_STYLE.get(alert.level, DIM))
            text.append("\n" + alert.source + "\n\n")
            text.append(alert.message)
            return text
        return None
