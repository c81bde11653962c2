"""Rows of the breakout board, shared by the dashboard (compact) and the board view.

Pure functions from analytics results to :class:`~r2kmon.ui.widgets.table.TableRow`, so
the content is tested without a terminal.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from r2kmon.analytics.breakout import BoardRow
from r2kmon.analytics.event_study import EventStudy
from r2kmon.ui import format as fmt
from r2kmon.ui.palette import BREAKOUT_STYLE, DIM, breakout_word, direction_style
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
    Column("STATE", 12, flex=True),
    Column("SINCE", 10, drop=1),
)

BOARD_DETAIL_COLUMNS = (
    Column("SYMBOL", 9),
    Column("PRICE", 11, "right"),
    Column("LEVEL", 11, "right"),
    Column("KIND", 8),
    Column("SET ON", 10, drop=2),
    Column("DIST", 8, "right"),
    Column("STATE", 12),
    Column("SINCE", 10),
    Column("AS OF", 16, flex=True, drop=1),
)


def _price(value: float | None) -> str:
    return "—" if value is None else fmt.price(value)


def board_rows(
    rows: Sequence[BoardRow], ctx: DrawContext, *, detail: bool = False
) -> list[TableRow]:
    """One row per board symbol, coloured by state and spelled out in words."""
    out = []
    for row in rows:
        if not ctx.matches(row.symbol):
            continue
        state = Text(
            breakout_word(row.state, ascii_only=ctx.ascii_only),
            BREAKOUT_STYLE.get(row.state or "", DIM),
        )
        dist = Text(fmt.signed(row.distance_pct, 1, "%"), direction_style(row.distance_pct))
        kind = KIND_WORDS.get(row.resistance_kind or "", "—")
        cells: tuple[str | Text, ...]
        if detail:
            cells = (
                Text(row.symbol),
                _price(row.price),
                _price(row.resistance),
                kind,
                fmt.when(row.resistance_date),
                dist,
                state,
                fmt.when(row.since),
                fmt.when(row.as_of, with_time=True),
            )
        else:
            cells = (
                Text(row.symbol),
                _price(row.price),
                _price(row.resistance),
                kind,
                dist,
                state,
                fmt.when(row.since),
            )
        out.append(TableRow(row.symbol, cells))
    return out


EVENT_COLUMNS = (
    Column("INDEX", 6),
    Column("BREAKOUT", 10),
    Column("ASSET", 14, flex=True),
    Column("+30d", 9, "right"),
    Column("+90d", 9, "right"),
    Column("+180d", 9, "right"),
    Column("PRIOR HIGH", 10, drop=1),
)

ASSET_NAMES = {"alt_basket_mcap": "alt basket"}


def _ret(value: float | None, ctx: DrawContext) -> Text:
    if value is None:
        return Text("n/a", DIM)
    # A loss shows its minus sign and a down mark, not only red.
    mark = ("v" if ctx.ascii_only else "▼") if value < 0 else ("^" if ctx.ascii_only else "▲")
    return Text(f"{mark}{value:+.0f}%", direction_style(value))


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
            day = fmt.when(event.day.timestamp())
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
            prior = fmt.when(event.prior_high_on.timestamp())
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
    Column("ASSET", 12, flex=True),
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
