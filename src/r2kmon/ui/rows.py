"""What each quote row shows, computed from the app state. Pure: no Textual, so the table's
content is tested without a terminal, and the widget only compares rows and draws.

A quote's freshness is the state's (:attr:`~r2kmon.model.state.AppState.freshness`):
rows carry it and its words, they never judge it."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from decimal import Decimal

from r2kmon.model import FRESHNESS_MARK, Bar, Freshness, is_crypto_pair, stamp_text
from r2kmon.model.state import AppState
from r2kmon.ui import format as fmt

DAY_S = 86_400.0
CRYPTO_SPAN_S = DAY_S
"""A crypto row's sparkline spans the last 24 hours of 1-minute bars."""
MARKET_SPAN_S = 183 * DAY_S
"""A market row's sparkline spans the last six months of daily closes."""
SPAN_WORDS = "24h/6M"
"""The spans as the trend column's header says them: crypto's, then the markets'."""


def _start(bar: Bar) -> float:
    return bar.start


@dataclass(frozen=True, slots=True)
class Spark:
    """What a sparkline draws: the bars of one fixed span (whatever the terminal's width),
    ending at the newest bar. Compared by its bars, which the hub hands out as the same
    tuple until one changes."""

    bars: tuple[Bar, ...]
    span_s: float

    def cells(self, width: int) -> tuple[float | None, ...]:
        """The span cut into ``width`` equal slices, each the last close at its end
        (carried over a gap such as a weekend); ``None`` before the first bar, so a span
        the data does not cover yet is drawn blank, not stretched."""
        bars = self.bars
        if width <= 0 or not bars:
            return (None,) * max(width, 0)
        end = bars[-1].start
        step = self.span_s / width
        out: list[float | None] = []
        for k in range(width):
            at = bisect_right(bars, end - (width - 1 - k) * step, key=_start) - 1
            out.append(bars[at].close if at >= 0 else None)
        return tuple(out)

    def cells_after(
        self, before: Spark, cells: tuple[float | None, ...]
    ) -> tuple[float | None, ...] | None:
        """:meth:`cells` of this spark from ``cells``, those of ``before`` at the same width,
        when only the newest bar's close moved (a tick inside the current minute or day):
        only the last cell ends at the newest bar, so only it changes. ``None`` otherwise."""
        new, old = self.bars, before.bars
        if (
            not cells
            or self.span_s != before.span_s
            or len(new) != len(old)
            or not new
            or new[-1].start != old[-1].start
            or new[:-1] != old[:-1]  # the closed bars: the same objects, compared by identity
        ):
            return None
        return (*cells[:-1], new[-1].close)


@dataclass(frozen=True, slots=True)
class QuoteRow:
    """One row of the quote table. Rows compare equal when they would draw the same, so
    the table redraws only the rows that changed."""

    symbol: str
    price: Decimal | None
    change_pct: float | None
    spark: Spark
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
    """Each symbol's :class:`Spark`, kept while its bars are the same tuple, so a redraw
    for the clock (ages) builds nothing."""

    def __init__(self) -> None:
        self._kept: dict[str, Spark] = {}

    def spark(self, symbol: str, bars: tuple[Bar, ...], span_s: float) -> Spark:
        kept = self._kept.get(symbol)
        if kept is not None and kept.bars is bars and kept.span_s == span_s:
            return kept
        spark = self._kept[symbol] = Spark(bars, span_s)
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
        if is_crypto_pair(symbol):
            spark = sparks.spark(symbol, snapshot.bars_1m.get(symbol, ()), CRYPTO_SPAN_S)
        else:
            spark = sparks.spark(symbol, snapshot.bars_1d.get(symbol, ()), MARKET_SPAN_S)
        if quote is None:
            rows.append(QuoteRow(symbol, None, None, spark, "", None))
            continue
        freshness = state.freshness_of(symbol)
        rows.append(
            QuoteRow(
                symbol,
                quote.price,
                quote.change_pct,
                spark,
                quote.source,
                int(quote.age(now)) if freshness == "live" else None,
                freshness,
                stamp_text(quote.ts, now) if freshness == "delayed" else "",
            )
        )
    return rows
