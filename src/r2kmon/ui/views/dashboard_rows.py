"""What the wide dashboard draws: the headline, the gauge's components as rows, the
"Reaching crypto?" panel and a component's drill-down.

Pure functions from the app state to :class:`~rich.text.Text` and table rows, tested
without a terminal. The numbers come from the runtime (:mod:`r2kmon.runtime.reaching`,
:mod:`r2kmon.runtime.explain`); this module only words and lays them out.
"""

from __future__ import annotations

from rich.text import Text

from r2kmon.model.analytics import Component, Gauge
from r2kmon.model.reaching import CORRELATION_WINDOWS, SPANS, Reaching, Reading
from r2kmon.model.state import AppState
from r2kmon.runtime.explain import explain, full_name, is_partial
from r2kmon.ui import format as fmt
from r2kmon.ui.palette import DIM, GAUGE_STYLE, TITLE, WARN, breakout_word, direction_style
from r2kmon.ui.track_record import reading
from r2kmon.ui.views.base import DrawContext
from r2kmon.ui.views.board_rows import KIND_WORDS
from r2kmon.ui.widgets.table import Column, TableRow

COMPONENT_KEY = "gauge:"
"""Prefix of a component row's key (``enter`` opens ``gauge:<name>``)."""

COMPONENT_COLUMNS = (
    Column("COMPONENT", 27),
    Column("BAR", 8),
    Column("SCORE", 5, "right"),
    Column("WEIGHT", 6, "right"),
    Column("POINTS", 6, "right"),
    Column("VALUE", 10, "right"),
    Column("AGE", 5, "right", drop=1),
)


def _arrow(value: float, ctx: DrawContext) -> str:
    if ctx.ascii_only:
        return "^" if value > 0 else "v"
    return "▲" if value > 0 else "▼"


def _age(as_of: float | None, ctx: DrawContext) -> str:
    return "—" if as_of is None else fmt.age(max(0.0, ctx.now - as_of))


def _dash(ctx: DrawContext) -> str:
    return "-" if ctx.ascii_only else "—"


def gauge_reading(state: AppState) -> Text | None:
    """A short reading of the gauge appended to the headline's first line: how the live
    band did in the past (the track record), or nothing while there is no record."""
    analytics = state.analytics
    text = reading(state.track_record, analytics.gauge.label if analytics else None)
    return Text(text, "dim") if text else None


def score_text(gauge: Gauge, ctx: DrawContext) -> Text:
    """``66.2/100 RISK-ON ▲+2.4 vs yesterday coverage 83%``; a score on too little of the
    weight is a ``partial`` read with no label, so the first second never shows a verdict
    that the next one takes back."""
    text = Text(no_wrap=True)
    if gauge.score is None:
        text.append(f"{_dash(ctx)} no component has data yet", DIM)
        text.append(f"  coverage {gauge.coverage * 100:.0f}%", DIM)
        return text
    if is_partial(gauge.coverage):
        text.append(f"{gauge.score:.1f}/100", DIM)
        text.append(" PARTIAL", WARN)
        text.append(f"  coverage {gauge.coverage * 100:.0f}%", WARN)
        text.append(" (no verdict until half of the weight has data)", DIM)
        return text
    label = gauge.label or _dash(ctx)
    style = GAUGE_STYLE.get(label, TITLE)
    text.append(f"{gauge.score:.1f}", style)
    text.append("/100 ")
    text.append(label.upper(), style)
    if gauge.change is not None:
        change = round(gauge.change, 1)  # the arrow agrees with the number shown
        if change == 0:
            text.append("  =0.0 vs yesterday")
        else:
            text.append(
                f"  {_arrow(change, ctx)}{change:+.1f} vs yesterday", direction_style(change)
            )
    text.append(f"  coverage {gauge.coverage * 100:.0f}%", DIM)
    return text


def sentence(state: AppState, reaching: Reaching, ctx: DrawContext) -> str:
    """One plain sentence: the regime, what changed since yesterday, and whether crypto is
    following (numbers from the state only; a clause is left out when its data is)."""
    analytics = state.analytics
    if analytics is None:
        return "Waiting for the analytics: the regime is not known yet."
    gauge = analytics.gauge
    parts: list[str] = []
    if gauge.score is None or gauge.label is None:
        parts.append("No regime yet: no component of the gauge has data")
    elif is_partial(gauge.coverage):
        parts.append(f"Partial read: only {gauge.coverage * 100:.0f}% of the gauge has data")
    else:
        regime = f"{gauge.label.capitalize()} regime"
        if gauge.change is None:
            parts.append(f"{regime} (no reading from yesterday to compare)")
        elif round(gauge.change, 1) == 0:
            parts.append(f"{regime}, unchanged since yesterday")
        else:
            way = "firmer" if gauge.change > 0 else "weaker"
            parts.append(f"{regime}, {abs(gauge.change):.1f} points {way} than yesterday")
    lead = next((r for r in analytics.board if r.symbol == "^RUT"), None)
    if lead is not None and lead.state is not None and lead.distance_pct is not None:
        kind = KIND_WORDS.get(lead.resistance_kind or "", "")
        parts.append(
            f"^RUT {lead.state} its {kind} high ({lead.distance_pct:+.1f}%)".replace("  ", " ")
        )
    btc, rut = reaching.move("BTC-USD"), reaching.move("^RUT")
    if btc is not None and rut is not None:
        week_btc, week_rut = btc.changes[0], rut.changes[0]
        if week_btc is not None and week_rut is not None:
            verb = "outpacing" if week_btc > week_rut else "lagging"
            parts.append(f"BTC {verb} ^RUT this week ({week_btc:+.1f}% vs {week_rut:+.1f}%)")
    return "; ".join(parts) + "."


def headline(
    state: AppState, reaching: Reaching | None, ctx: DrawContext, waiting: Text | None = None
) -> Text:
    """The dashboard's two first lines: the score and the sentence; or, before the
    analytics, what the gauge is waiting for (``waiting``)."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append("RISK-ON GAUGE ", TITLE)
    analytics = state.analytics
    if analytics is None or reaching is None:
        text.append_text(waiting or Text(f"{_dash(ctx)} loading", DIM))
        return text
    text.append_text(score_text(analytics.gauge, ctx))
    reading = gauge_reading(state)
    if reading is not None:
        text.append("  ")
        text.append_text(reading)
    text.append("\n")
    text.append(sentence(state, reaching, ctx))
    return text


def component_rows(gauge: Gauge, ctx: DrawContext) -> list[TableRow]:
    """One row per component, full name first; a missing one says ``no data``."""
    rows = []
    for c in gauge.components:
        missing = c.score is None
        score_style = DIM if missing else direction_style(None if c.score is None else c.score - 50)
        cells = (
            Text(full_name(c.name), DIM if missing else ""),
            Text(fmt.bar(c.score, 8, ascii_only=ctx.ascii_only), score_style),
            _dash(ctx) if c.score is None else f"{c.score:.0f}",
            f"{c.weight:g}",
            _dash(ctx) if c.contribution is None else f"{c.contribution:.1f}",
            Text("no data", DIM) if c.value is None else _value(c),
            _age(c.as_of, ctx),
        )
        rows.append(TableRow(COMPONENT_KEY + c.name, cells))
    return rows


def _value(c: Component) -> str:
    value = c.value
    assert value is not None
    if abs(value) >= 1e6:
        return fmt.big(value)
    return f"{value:,.2f}"


def component_detail(name: str, state: AppState, ctx: DrawContext) -> Text | None:
    """Everything about one component: what its value is, how the value becomes its score,
    its share of the gauge, where it comes from and how old it is; or why it is missing."""
    if state.analytics is None:
        return None
    component = next((c for c in state.analytics.gauge.components if c.name == name), None)
    if component is None:
        return None
    e = explain(component, state)
    text = Text()
    text.append(e.full_name, TITLE)
    text.append(f"  ({e.name})", DIM)

    def line(label: str, value: str | Text) -> None:
        text.append(f"\n{label:<14}", DIM)
        if isinstance(value, Text):
            text.append_text(value)
        else:
            text.append(value)

    line("raw value", _dash(ctx) if e.value is None else _value(component))
    line("what it is", e.note or _dash(ctx))
    line("to a score", e.mapping)
    line("score", _dash(ctx) if e.score is None else f"{e.score:.1f} / 100")
    line("weight", f"{e.weight:g}")
    line(
        "contribution",
        _dash(ctx) if e.contribution is None else f"{e.contribution:.1f} points of the score",
    )
    line("source", e.source)
    line("as of", fmt.when(e.as_of, with_time=True) + f"  ({_age(e.as_of, ctx)} old)")
    if e.missing:
        line("why missing", Text(e.missing, WARN))
    return text


def _pct(value: float | None, ctx: DrawContext) -> Text:
    if value is None:
        return Text(_dash(ctx).rjust(8), DIM)
    return Text(f"{value:+.1f}%".rjust(8), direction_style(value))


def _reading(label: str, reading: Reading, shown: str, ctx: DrawContext) -> Text:
    text = Text(f"{label:<16}", DIM)
    if reading.value is None:
        text.append(f"{_dash(ctx)} {reading.missing}", DIM)
        return text
    text.append("  ".join(part for part in (shown, reading.words) if part))
    text.append(f"  {_age(reading.as_of, ctx)}", DIM)
    return text


def reaching_text(reaching: Reaching | None, state: AppState, ctx: DrawContext) -> Text:
    """The "Reaching crypto?" panel: moves over a week and a month, correlation with BTC,
    breadth, altcoin season and dominance, each with its age, ``—`` and why when missing."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append("REACHING CRYPTO?", TITLE)
    if reaching is None:
        text.append(f" {_dash(ctx)} loading", DIM)
        return text
    text.append("\n" + " " * 12, DIM)
    for label, _ in SPANS:
        text.append(label.rjust(8), DIM)
    text.append("   AGE", DIM)
    for move in reaching.moves:
        if not ctx.matches(move.name):
            continue  # the / filter applies to the panel's symbols as to every table
        text.append("\n")
        text.append(f"{move.name:<12}")
        if move.missing and all(c is None for c in move.changes):
            text.append(f"{_dash(ctx)} {move.missing}", DIM)
            continue
        for change in move.changes:
            text.append_text(_pct(change, ctx))
        text.append(f"  {_age(move.as_of, ctx):>4}", DIM)
    text.append("\n" + "corr. w/ BTC".ljust(12), DIM)
    for window in CORRELATION_WINDOWS:
        text.append(f"{window}d".rjust(8), DIM)
    for corr in reaching.correlations:
        text.append("\n")
        text.append(f"{corr.equity + '~BTC':<12}")
        if corr.missing:
            text.append(f"{_dash(ctx)} {corr.missing}", DIM)
            continue
        for value in corr.values:
            shown = _dash(ctx) if value is None else f"{value:+.2f}"
            text.append(shown.rjust(8))
        text.append(f"  {_age(corr.as_of, ctx):>4}", DIM)
    breadth = reaching.breadth
    season = reaching.season
    dominance = reaching.dominance
    text.append("\n")
    text.append_text(_reading("24h breadth", breadth, "", ctx))
    text.append("\n")
    text.append_text(_reading("altcoin season", season, f"{season.value or 0:.0f}/100", ctx))
    text.append("\n")
    text.append_text(_reading("BTC dominance", dominance, f"{dominance.value or 0:.1f}%", ctx))
    return text


def board_state_words(state: AppState, ctx: DrawContext) -> list[str]:
    """``^RUT  ↑ breakout  +1.2% vs 52-week`` per board symbol (for headless text too)."""
    analytics = state.analytics
    if analytics is None:
        return []
    out = []
    for row in analytics.board:
        word = breakout_word(row.state, ascii_only=ctx.ascii_only)
        dist = fmt.signed(row.distance_pct, 1, "%")
        kind = KIND_WORDS.get(row.resistance_kind or "", _dash(ctx))
        out.append(f"{row.symbol:<9} {word:<12} {dist:>8} vs {kind}")
    return out
