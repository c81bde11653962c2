"""Rows of the breakout board, shared by the dashboard (compact) and the board view.

Pure functions from analytics results to :class:`~r2kmon.ui.widgets.table.TableRow`, so
the content is tested without a terminal. The analytics' results are plain values of
:mod:`r2kmon.model.analytics`: reading them loads no pandas.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.style import Style
from rich.text import Text

from r2kmon.model import clean_text
from r2kmon.model.analytics import BoardLevel, BoardRow, EventStudy
from r2kmon.model.journal import JournalEntry, RecentJournal
from r2kmon.model.track_record import TrackRecord
from r2kmon.ui import format as fmt
from r2kmon.ui.palette import BOLD, BREAKOUT_STYLE, DIM, breakout_word, direction_style
from r2kmon.ui.track_record import table_rows
from r2kmon.ui.views.base import DrawContext
from r2kmon.ui.widgets.table import Column, TableRow

KIND_WORDS = {
    "all_time_high": "all-time",
    "multi_year_high": "multi-yr",
    "52_week_high": "52-week",
}

BOARD_COLUMNS = (
    Column("SYMBOL", 9),
    Column("PRICE", 11, "right"),
    Column("LEVEL", 11, "right"),
    Column("KIND", 8, drop=2),
    Column("DIST", 8, "right"),
    Column("STATE", 12),
    Column("SINCE", 10, flex=True, drop=1),
)

# One line per level. At 80 columns the symbol's price and the time it was seen go (the
# dashboard shows both); what describes each level stays, SET ON included.
LEVEL_COLUMNS = (
    Column("SYMBOL", 8),
    Column("PRICE", 10, "right", drop=2),
    Column("LEVEL", 10, "right"),
    Column("KIND", 10),
    Column("SET ON", 10),
    Column("DIST", 7, "right"),
    Column("STATE", 11),
    Column("SINCE", 11),
    Column("AS OF", 16, flex=True, drop=1),
)

EARLIER_MARK = "*"
"""After a level's ``since`` that is earlier than its ``set on``: the state's episode began
below an older level, and the level was raised during it (the board's title says so)."""

MATTERS_MARK = ("►", ">")
"""Marks the level that matters (the one on the dashboard and in the gauge)."""


def _price(value: float | None) -> str:
    return "—" if value is None else fmt.price(value)


def _state(state: str | None, ctx: DrawContext) -> Text:
    return Text(
        breakout_word(state, ascii_only=ctx.ascii_only), BREAKOUT_STYLE.get(state or "", DIM)
    )


def _dist(value: float | None) -> Text:
    return Text(fmt.signed(value, 1, "%"), direction_style(value))


def board_rows(rows: Sequence[BoardRow], ctx: DrawContext) -> list[TableRow]:
    """One row per board symbol, its level that matters, coloured by state and spelled out
    in words (the dashboard's board)."""
    out = []
    for row in rows:
        if not ctx.matches(row.symbol):
            continue
        cells = (
            Text(row.symbol),
            _price(row.price),
            _price(row.resistance),
            KIND_WORDS.get(row.resistance_kind or "", "—"),
            _dist(row.distance_pct),
            _state(row.state, ctx),
            fmt.when(row.since),
        )
        out.append(TableRow(row.symbol, cells))
    return out


def began_before_level(level: BoardLevel) -> bool:
    """Whether the level's state began on a day before the level was set."""
    if level.since is None or level.set_on is None:
        return False
    return fmt.when(level.since) < fmt.when(level.set_on)


def _since(level: BoardLevel) -> str:
    """When the level's state began, marked when that is before the level was set."""
    return fmt.when(level.since) + (EARLIER_MARK if began_before_level(level) else "")


def _kind(level: BoardLevel, ctx: DrawContext) -> str:
    mark = MATTERS_MARK[1 if ctx.ascii_only else 0] if level.matters else " "
    return f"{mark} {KIND_WORDS.get(level.kind, level.kind)}"


def level_rows(rows: Sequence[BoardRow], ctx: DrawContext) -> list[TableRow]:
    """Every level of every board symbol, one line each in :data:`LEVEL_COLUMNS` (the board
    view). The symbol, its price and when it was seen head its first line; the level that
    matters is marked with :data:`MATTERS_MARK` and bold. ``enter`` on any line opens the
    symbol."""
    out = []
    for row in rows:
        if not ctx.matches(row.symbol):
            continue
        head: tuple[str | Text, str] = (Text(row.symbol), _price(row.price))
        as_of = fmt.when(row.as_of, with_time=True)
        if not row.levels:
            out.append(
                TableRow(
                    row.symbol,
                    (*head, "—", Text("  no level", DIM), "—", "—", _state(None, ctx), "—", as_of),
                )
            )
            continue
        for n, level in enumerate(row.levels):
            cells: tuple[str | Text, ...] = (
                *(head if n == 0 else ("", "")),
                fmt.price(level.price),
                _kind(level, ctx),
                fmt.when(level.set_on),
                _dist(level.distance_pct),
                _state(level.state, ctx),
                _since(level),
                as_of if n == 0 else "",
            )
            style: Style | None = BOLD if level.matters else None
            out.append(TableRow(row.symbol, cells, style))
    return out


EVENT_COLUMNS = (
    Column("INDEX", 6),
    Column("BREAKOUT", 10),
    Column("ASSET", 20),
    Column("+30d", 9, "right"),
    Column("+90d", 9, "right"),
    Column("+180d", 9, "right"),
    Column("PRIOR HIGH", 10, flex=True, drop=1),
)

ASSET_NAMES = {"alt_basket_mcap": "alt basket"}


def _ret(value: float | None, ctx: DrawContext) -> Text:
    if value is None:
        return Text("n/a", DIM)
    # A loss shows its minus sign and a down mark, not only red; the mark agrees with the
    # rounded number (a -0.3 % return is "=0%", not a down mark beside "-0%").
    shown = round(value) + 0
    if shown == 0:
        return Text("=0%", direction_style(0.0))
    mark = ("v" if ctx.ascii_only else "▼") if shown < 0 else ("^" if ctx.ascii_only else "▲")
    return Text(f"{mark}{shown:+d}%", direction_style(shown))


def event_rows(studies: Sequence[EventStudy], ctx: DrawContext) -> list[TableRow]:
    """Each past breakout and asset, newest first: the returns after 30/90/180 days, losses
    included. Assets that had no prices yet at the time are left out (one line says so)."""
    out = []
    for study in studies:
        if not ctx.matches(study.symbol):
            continue
        horizons = sorted({r.horizon_days for o in study.outcomes for r in o.returns})[:3]
        for outcome in reversed(study.outcomes):
            event = outcome.event
            day = fmt.when(event.at)
            assets = list(dict.fromkeys(r.asset for r in outcome.returns))
            returns = {
                asset: {r.horizon_days: r.return_pct for r in outcome.returns if r.asset == asset}
                for asset in assets
            }
            shown = [a for a in assets if any(v is not None for v in returns[a].values())]
            head: list[str | Text] = [
                Text(study.symbol),
                day,
            ]
            prior = fmt.when(event.prior_high_at)
            if not shown:
                out.append(
                    TableRow(
                        f"event:{study.symbol}:{day}",
                        (*head, Text("no crypto prices yet", DIM), "", "", "", prior),
                    )
                )
                continue
            for n, asset in enumerate(shown):
                cells: list[str | Text] = [*head] if n == 0 else ["", ""]
                cells.append(ASSET_NAMES.get(asset, asset))
                cells += [_ret(returns[asset].get(h), ctx) for h in horizons]
                cells += [""] * (3 - len(horizons))
                cells.append(prior if n == 0 else "")
                out.append(TableRow(f"event:{study.symbol}:{day}:{asset}", tuple(cells)))
    return out


SUMMARY_COLUMNS = (
    Column("INDEX", 6),
    Column("ASSET", 12),
    Column("DAYS", 5, "right"),
    Column("N", 3, "right"),
    Column("UP", 3, "right"),
    Column("DOWN", 4, "right"),
    Column("MEDIAN", 8, "right"),
    Column("ALL WINDOWS", 11, "right", drop=1),
    Column("ALL >0", 7, "right", drop=2),
)


def summary_rows(studies: Sequence[EventStudy], ctx: DrawContext) -> list[TableRow]:
    """After breakouts versus any window of the same length, per asset and horizon."""
    out = []
    for study in studies:
        if not ctx.matches(study.symbol):
            continue
        for s in study.summaries:
            share = "—" if s.all_positive_share is None else f"{s.all_positive_share * 100:.0f}%"
            out.append(
                TableRow(
                    f"summary:{study.symbol}:{s.asset}:{s.horizon_days}",
                    (
                        Text(study.symbol),
                        ASSET_NAMES.get(s.asset, s.asset),
                        f"{s.horizon_days}d",
                        str(s.events),
                        str(s.gains),
                        Text(str(s.losses), direction_style(-s.losses if s.losses else None)),
                        Text(
                            fmt.signed(s.event_median_pct, 1, "%"),
                            direction_style(s.event_median_pct),
                        ),
                        Text(
                            fmt.signed(s.all_median_pct, 1, "%"), direction_style(s.all_median_pct)
                        ),
                        share,
                    ),
                )
            )
    return out


TRACK_ASSET = "BTC-USD"
TRACK_HORIZONS = (30, 90, 180)
TRACK_COLUMNS = (
    Column("WHEN THE GAUGE WAS", 22),
    Column("DAYS", 5, "right"),
    *(Column(f"BTC +{h}d: MEDIAN, UP, N", 27, drop=0 if h == 90 else 1) for h in TRACK_HORIZONS),
)
"""The gauge's track record on the board: what BTC did after each band and each change of
band, beside every replayed day (the first row); 90 days (the dashboard's reading) stays
when the table is narrow."""


def track_record_rows(record: TrackRecord, ctx: DrawContext) -> list[TableRow]:
    """One row per line of :func:`r2kmon.ui.track_record.table_rows`, with a cell per
    horizon of :data:`TRACK_HORIZONS` (``—`` for a horizon the record does not have)."""
    per_horizon = [
        table_rows(record, TRACK_ASSET, h, ascii_only=ctx.ascii_only) for h in TRACK_HORIZONS
    ]
    out = []
    for n, (what, days, _) in enumerate(per_horizon[0]):
        cells = tuple(rows[n][2] for rows in per_horizon)
        out.append(TableRow(f"track:{what}", (what, days, *cells)))
    return out


JOURNAL_COLUMNS = (
    Column("WHEN", 16),
    Column("LEVEL", 8),
    Column("CHANGE", 22),
    Column("PRICE", 10, "right"),
    Column("AT LEVEL", 10, "right", drop=1),
    Column("NOTE", 12, flex=True),
)
"""The journal of the symbol under the level table's cursor: each change of one of its
levels' states (the price, the level then, what the gauge said) and each of its alerts."""


def _change(entry: JournalEntry, ctx: DrawContext) -> Text:
    if entry.kind == "alert":
        return Text("alert fired", BOLD)
    new = _state(entry.new, ctx)
    if entry.old is None:
        return new
    text = Text(f"{entry.old} {'->' if ctx.ascii_only else '→'} ")
    text.append_text(new)
    return text


def journal_rows(entries: Sequence[JournalEntry], ctx: DrawContext) -> list[TableRow]:
    """One row per entry, newest first (the journal's other kinds, the gauge's and the
    sources', have no symbol: they are not a symbol's)."""
    out = []
    for entry in reversed(entries):
        if entry.kind not in ("breakout", "alert"):
            continue
        cells: tuple[str | Text, ...] = (
            fmt.when(entry.ts, with_time=True),
            KIND_WORDS.get(entry.level, entry.level) if entry.kind == "breakout" else "",
            _change(entry, ctx),
            _price(entry.value) if entry.kind == "breakout" else "",
            _price(entry.reference) if entry.kind == "breakout" else "",
            Text(clean_text(entry.message)),  # remote and config text: plain, cleaned
        )
        key = f"journal:{entry.ts}:{entry.kind}:{entry.level}:{entry.new}"
        out.append(TableRow(key, cells))
    return out


def journal_title(symbol: str | None) -> str:
    """The journal pane's title: whose journal it is."""
    if symbol is None:
        return "Journal of the symbol under the cursor"
    return f"Journal of {symbol}: each change of its levels' states, and its alerts; newest first"


def journal_placeholder(journal: RecentJournal | None, symbol: str | None) -> Text:
    """Why the journal pane has no row: no symbol, no journal kept (and why), not read
    yet, or nothing recorded for this symbol yet."""
    if symbol is None:
        return Text("no symbol under the cursor", DIM)
    if journal is None:
        return Text("the journal is read once the engine has started", DIM)
    if journal.status != "kept":
        return Text(journal.detail, DIM)
    if journal.detail:  # kept, but the older entries could not be read
        return Text(journal.detail, DIM)
    return Text(
        f"no change recorded yet for {symbol}: a line appears when one of its levels "
        "changes state or one of its alerts fires",
        DIM,
    )
