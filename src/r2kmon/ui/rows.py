"""What each quote row shows, computed from a hub snapshot. Pure: no Textual, so the table's
content is tested without a terminal, and the widget only compares rows and draws."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from r2kmon.hub import quote_is_stale
from r2kmon.model import Bar, HubSnapshot

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
    stale: bool


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


def quote_rows(
    snapshot: HubSnapshot, now: float, stale_after_s: float, sparks: SparkCache | None = None
) -> list[QuoteRow]:
    """A row for every configured symbol, in the configured order, data or not."""
    sparks = sparks or SparkCache()
    rows = []
    for symbol in snapshot.symbols:
        quote = snapshot.quotes.get(symbol)
        minutes = snapshot.bars_1m.get(symbol, ())
        daily = len(minutes) < MIN_MINUTE_POINTS
        bars = snapshot.bars_1d.get(symbol, ()) if daily else minutes
        spark = sparks.closes(symbol, bars)
        if quote is None:
            rows.append(QuoteRow(symbol, None, None, spark, daily, "", None, False))
            continue
        stale = quote_is_stale(quote, snapshot.health.get(quote.source), now, stale_after_s)
        rows.append(
            QuoteRow(
                symbol,
                quote.price,
                quote.change_pct,
                spark,
                daily,
                quote.source,
                int(quote.age(now)),
                stale,
            )
        )
    return rows
