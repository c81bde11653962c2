"""What each quote row shows, computed from the app state. Pure: no Textual, so the table's
content is tested without a terminal, and the widget only compares rows and draws.

A quote's freshness is the state's (:attr:`~r2kmon.model.state.AppState.freshness`):
rows carry it and its words, they never judge it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from r2kmon.model import FRESHNESS_MARK, Bar, Freshness, stamp_text
from r2kmon.model.state import AppState
from r2kmon.ui import format as fmt

SPARK_POINTS = 120
"""The most closes a row keeps for its sparkline: two hours of 1-minute bars."""

MIN_MINUTE_POINTS = 10
"""Fewer 1-minute bars than this (an index just after the open, or on a weekend) draw the
daily closes instead, dimmed, so the trend cell is never a meaningless two-point line."""


@dataclass(frozen=True, slots=True)
class QuoteRow:
    """One row of the quote table. Rows compare equal when they would draw the same, so
    the table redraws only the rows that changed."""

    symbol: str
    price: Decimal | None
    change_pct: float | None
    spark: tuple[float, ...]
    spark_daily: bool
    source: str
    age_s: int | None
    """Whole seconds since the price, shown only while it is live (``None`` otherwise, so
    a row that is not live does not change every second)."""
    freshness: Freshness | None = None
    """``None`` without a quote."""
    stamp: str = ""
    """When a delayed price was observed (``Feb 20``, ``14:45Z``); empty otherwise."""

    @property
    def stale(self) -> bool:
        return self.freshness == "stale"

    @property
    def age_cell(self) -> str:
        """The age of a live price, else its freshness in a word (``STALE``, ``closed``,
        ``delayed``)."""
        return age_cell(self.freshness, self.age_s)


class SparkCache:
    """The sparkline closes of each symbol, kept while its bars are the same tuple: the hub
    hands out the very same tuple until a bar changes, so a redraw for the clock (ages)
    copies and compares no closes."""

    def __init__(self) -> None:
        self._kept: dict[str, tuple[tuple[Bar, ...], tuple[float, ...]]] = {}

    def closes(self, symbol: str, bars: tuple[Bar, ...]) -> tuple[float, ...]:
        kept = self._kept.get(symbol)
        if kept is not None and kept[0] is bars:
            return kept[1]
        spark = tuple(bar.close for bar in bars[-SPARK_POINTS:])
        self._kept[symbol] = (bars, spark)
        return spark


def age_cell(freshness: Freshness | None, age_s: float | None) -> str:
    """What an age column shows: the age of a live price (``45s``), else the word of its
    freshness (``STALE``, ``closed``, ``delayed``), so no state is told by colour alone."""
    mark = FRESHNESS_MARK[freshness] if freshness is not None else ""
    return mark or (fmt.age(age_s) if age_s is not None else "")


def quote_rows(state: AppState, now: float, sparks: SparkCache | None = None) -> list[QuoteRow]:
    """A row for every configured symbol, in the configured order, data or not."""
    sparks = sparks or SparkCache()
    snapshot = state.hub
    rows = []
    for symbol in snapshot.symbols:
        quote = snapshot.quotes.get(symbol)
        minutes = snapshot.bars_1m.get(symbol, ())
        daily = len(minutes) < MIN_MINUTE_POINTS
        bars = snapshot.bars_1d.get(symbol, ()) if daily else minutes
        spark = sparks.closes(symbol, bars)
        if quote is None:
            rows.append(QuoteRow(symbol, None, None, spark, daily, "", None))
            continue
        freshness = state.freshness_of(symbol)
        rows.append(
            QuoteRow(
                symbol,
                quote.price,
                quote.change_pct,
                spark,
                daily,
                quote.source,
                int(quote.age(now)) if freshness == "live" else None,
                freshness,
                stamp_text(quote.ts, now) if freshness == "delayed" else "",
            )
        )
    return rows
