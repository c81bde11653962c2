"""The pure parts of the UI, without a terminal: formatting, column layout, chart data
(thinning, ranges, levels and breakout marks), board and event-study rows (losses shown
with a sign and a mark, not only a colour)."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from rich.text import Text

from r2kmon.model import Bar
from r2kmon.model.analytics import BoardLevel, BoardRow
from r2kmon.ui import format as fmt
from r2kmon.ui.palette import DIM
from r2kmon.ui.rows import CRYPTO_SPAN_S, MARKET_SPAN_S, Spark
from r2kmon.ui.views.base import RANGES, DrawContext
from r2kmon.ui.views.board_rows import board_rows, event_rows, level_rows, summary_rows
from r2kmon.ui.views.charts import ChartInputs, cut, price_chart, ratio_chart
from r2kmon.ui.views.macro import macro_rows
from r2kmon.ui.widgets.chart import thin, y_ticks
from r2kmon.ui.widgets.table import Column, join_cells, layout
from tests.ui.data import NOW, loading_state, ready_state

CTX = DrawContext(now=NOW)


@given(st.floats(0, 100), st.integers(1, 40), st.booleans())
def test_bar_is_always_exactly_as_wide_as_asked(score: float, width: int, ascii_only: bool) -> None:
    assert len(fmt.bar(score, width, ascii_only=ascii_only)) == width


def test_bar_and_progress_say_missing_and_progress_in_text() -> None:
    assert fmt.bar(None, 4) == "····"
    assert fmt.bar(None, 4, ascii_only=True) == "...."
    assert fmt.progress(2, 5, 10, ascii_only=True) == "[####------] 2/5"
    assert fmt.countdown(12.2) == "in 12s"
    assert fmt.countdown(0) == "now"
    assert fmt.big(-3.4e9) == "-3.40B"
    assert fmt.signed(None) == "—"


@given(st.integers(20, 200))
def test_layout_fits_the_width_dropping_the_least_important_first(width: int) -> None:
    columns = [
        Column("A", 10),
        Column("B", 10, drop=2),
        Column("C", 10, flex=True),
        Column("D", 10, drop=1),
    ]
    widths = layout(columns, width)
    shown = [w for w in widths if w > 0]
    assert sum(shown) + len(shown) - 1 <= max(width, 21)
    if widths[1] > 0:
        assert widths[3] > 0  # D (drop=1) goes only after B (drop=2)
    line = join_cells(columns, widths, ["a", "b", "c", "d"])
    assert line.cell_len == sum(shown) + len(shown) - 1


@given(st.integers(20, 400))
def test_a_flexible_column_grows_only_to_its_limit_and_the_rest_takes_the_spare(
    width: int,
) -> None:
    columns = [Column("RULE", 10, flex=True, most=30), Column("NOW", 8, "right")]
    assert layout(columns, width)[0] == min(30, max(10, width - 9))
    two = [*columns, Column("NOTE", 5, flex=True)]
    rule, _, note = layout(two, width)
    assert rule <= 30
    assert rule + 8 + note + 2 == max(width, 10 + 8 + 5 + 2)


def test_remote_text_in_a_cell_is_literal() -> None:
    line = join_cells([Column("X", 20)], [20], ["[bold red]evil"])
    assert line.plain.startswith("[bold red]evil")
    assert not line.spans


@given(st.integers(0, 3000), st.integers(2, 500))
def test_thin_keeps_the_last_point_and_the_limit(n: int, points: int) -> None:
    xs = [float(i) for i in range(n)]
    tx, _ = thin(xs, xs, points)
    assert len(tx) <= max(points, n if n <= points else points)
    if n:
        assert tx[-1] == xs[-1]
        assert tx[0] == xs[0]


def test_cut_keeps_the_last_calendar_days() -> None:
    bars = [Bar(i * 86_400.0, 1, 1, 1, float(i)) for i in range(100)]
    assert [b.close for b in cut(bars, 10)] == [float(i) for i in range(89, 100)]
    assert cut(bars, None) == bars


@pytest.mark.history
def test_charts_draw_the_resistance_and_the_breakouts_from_the_analytics() -> None:
    state = ready_state()
    assert state.analytics is not None
    inputs = ChartInputs(
        bars=state.hub.bars_1d,
        board=state.analytics.board,
        studies=state.analytics.event_studies,
        waiting="",
        range_index=[r for r, _ in RANGES].index("max"),
        ratio=next(
            r
            for r in state.analytics.ratio_series
            if (r.numerator, r.denominator) == ("IWM", "SPY")
        ),
    )
    chart = price_chart("^RUT", inputs)
    rut = next(r for r in state.analytics.board if r.symbol == "^RUT")
    assert [y for _, y in chart.levels] == [rut.resistance]
    # BTC's chart shows its resistance level too (it has a board row, no event study).
    btc_chart = price_chart("BTC-USD", inputs)
    btc = next(r for r in state.analytics.board if r.symbol == "BTC-USD")
    assert btc.resistance is not None
    assert [y for _, y in btc_chart.levels] == [btc.resistance]
    assert f"{btc.resistance:,.2f}" in btc_chart.levels[0][0]
    study = next(s for s in state.analytics.event_studies if s.symbol == "^RUT")
    marked = next(m for m in chart.marks if m[0].startswith("breakouts"))
    assert len(marked[1]) == len(study.outcomes)
    ratio = ratio_chart(inputs)
    assert ratio.lines
    assert 0.2 < ratio.lines[0].ys[-1] < 0.6  # IWM/SPY from the history files
    empty = price_chart("SOL-USD", inputs)
    assert "no daily history" in empty.empty


@pytest.mark.history
def test_event_rows_show_losses_with_a_sign_and_a_mark() -> None:
    state = ready_state()
    assert state.analytics is not None
    rows = event_rows(state.analytics.event_studies, CTX)
    texts = [c.plain if isinstance(c, Text) else c for r in rows for c in r.cells]
    losses = [t for t in texts if t.startswith("▼-")]
    gains = [t for t in texts if t.startswith("▲+")]
    assert losses
    assert gains
    ascii_rows = event_rows(state.analytics.event_studies, DrawContext(now=NOW, ascii_only=True))
    ascii_texts = [c.plain for r in ascii_rows for c in r.cells if isinstance(c, Text)]
    assert any(t.startswith("v-") for t in ascii_texts)
    summary = summary_rows(state.analytics.event_studies, CTX)
    assert len(summary) == sum(len(s.summaries) for s in state.analytics.event_studies)


@pytest.mark.history
def test_board_rows_follow_the_filter() -> None:
    state = ready_state()
    assert state.analytics is not None
    rows = board_rows(state.analytics.board, DrawContext(now=NOW, filter="usd"))
    assert [r.key for r in rows] == [r.symbol for r in state.analytics.board if "USD" in r.symbol]


@pytest.mark.history
def test_level_rows_mark_one_level_per_symbol_in_words_or_ascii() -> None:
    state = ready_state()
    assert state.analytics is not None
    board = state.analytics.board
    for ctx, mark in ((CTX, "►"), (DrawContext(now=NOW, ascii_only=True), ">")):
        rows = level_rows(board, ctx)
        assert len(rows) == sum(len(r.levels) for r in board)
        for symbol in {r.symbol for r in board}:
            kinds = [r.cells[3] for r in rows if r.key == symbol]
            marked = [k for k in kinds if isinstance(k, str) and k.startswith(mark)]
            assert len(marked) == 1, (symbol, kinds)
    usd = level_rows(board, DrawContext(now=NOW, filter="usd"))
    assert {r.key for r in usd} == {"BTC-USD", "ETH-USD"}
    # A symbol without any level (too little history) still has its line, saying so.
    bare = BoardRow("NEW-USD", 1.5, None, None, None, None, None, None, None)
    (row,) = level_rows([bare], CTX)
    assert [c.plain if isinstance(c, Text) else c for c in row.cells][:4] == [
        "NEW-USD",
        "1.500",
        "—",
        "  no level",
    ]


def test_a_state_that_began_before_its_level_was_set_is_marked_not_silent() -> None:
    """The board showed ``since`` dates before ``set on`` without saying why: the state's
    episode began under an older level and the level rose during it. The date stays (it
    is when the state began) with a mark the board's title explains; in order, no mark."""
    day = 86_400.0
    later = BoardLevel("52_week_high", 100.0, 20 * day, 2.0, "breakout", 10 * day, True)
    in_order = BoardLevel("all_time_high", 120.0, 5 * day, -15.0, "below", 12 * day, False)
    row = BoardRow(
        "IWM",
        102.0,
        100.0,
        "52_week_high",
        20 * day,
        2.0,
        "breakout",
        10 * day,
        30 * day,
        (later, in_order),
    )
    first, second = level_rows([row], CTX)
    assert first.cells[-2] == fmt.when(10 * day) + "*"
    assert second.cells[-2] == fmt.when(12 * day)


@given(
    st.floats(-1e9, 1e9, allow_nan=False),
    st.floats(1e-6, 1e9, allow_nan=False),
    st.integers(2, 6),
)
def test_value_ticks_are_round_inside_the_range_and_read_with_separators(
    lo: float, span: float, count: int
) -> None:
    assume(span >= abs(lo) * 1e-7)  # a chart's range, not a float's last digits
    hi = lo + span
    values, labels = y_ticks(lo, hi, count)
    assert 1 <= len(values) <= 2 * count + 1
    assert list(values) == sorted(values)
    tolerance = span * 1e-6
    assert all(lo - tolerance <= v <= hi + tolerance for v in values)
    for value, label in zip(values, labels, strict=True):
        assert float(label.replace(",", "")) == pytest.approx(value, abs=tolerance + 1e-9)
        assert ("," in label) == (abs(float(label.replace(",", ""))) >= 1000)


MINUTE, DAY = 60.0, 86_400.0


def minute_bars(count: int, end: float = 40 * DAY) -> tuple[Bar, ...]:
    """``count`` 1-minute bars up to ``end``, each closing at its own index."""
    return tuple(Bar(end - (count - 1 - n) * MINUTE, n, n, n, float(n)) for n in range(count))


@pytest.mark.parametrize("width", [19, 40, 111])
def test_a_crypto_sparkline_spans_24_hours_whatever_the_width(width: int) -> None:
    """The trend cell showed the last ``width`` minutes, so a wider terminal showed a
    longer span. Now every width spans the last 24 hours: ten hours of bars fill the right
    ten twenty-fourths and the rest is blank, not stretched; a full day fills it all."""
    cells = Spark(minute_bars(600), CRYPTO_SPAN_S).cells(width)
    assert len(cells) == width
    assert cells[-1] == 599.0
    filled = [c for c in cells if c is not None]
    assert abs(len(filled) - width * 10 / 24) <= 1
    assert cells[: width - len(filled)] == (None,) * (width - len(filled))
    day = Spark(minute_bars(1440), CRYPTO_SPAN_S).cells(width)
    assert None not in day
    # The first cell closes one cell's span (1440 / width minutes) after the day began.
    assert day[0] == pytest.approx(1440 / width - 1, abs=1)


@given(
    st.lists(st.integers(1, 5), min_size=1, max_size=300),
    st.integers(1, 120),
    st.floats(1, 1e6, allow_nan=False),
)
def test_a_tick_inside_the_newest_bar_moves_only_the_last_cell(
    gaps: list[int], width: int, close: float
) -> None:
    """The shortcut the quote table takes on a tick equals a full resample; a new bar
    (another start) or another span is refused, so the table resamples."""
    starts = [float(sum(gaps[: n + 1]) * 60) for n in range(len(gaps))]
    bars = tuple(Bar(t, 1, 1, 1, t / 60) for t in starts)
    before = Spark(bars, CRYPTO_SPAN_S)
    cells = before.cells(width)
    moved = Spark((*bars[:-1], bars[-1]._replace(close=close)), CRYPTO_SPAN_S)
    assert moved.cells_after(before, cells) == moved.cells(width)
    newer = Spark((*bars, Bar(starts[-1] + 60, 1, 1, 1, close)), CRYPTO_SPAN_S)
    assert newer.cells_after(before, cells) is None
    assert Spark(moved.bars, MARKET_SPAN_S).cells_after(before, cells) is None


def test_a_market_sparkline_spans_six_months_of_daily_closes() -> None:
    """Two years of daily closes (weekdays only): the first cell is about six months back
    and weekends carry Friday's close, so no cell is blank."""
    days = [n * DAY for n in range(730) if n % 7 < 5]
    bars = tuple(Bar(t, 1, 1, 1, t / DAY) for t in days)
    width = 30
    cells = Spark(bars, MARKET_SPAN_S).cells(width)
    assert None not in cells
    assert cells[-1] == days[-1] / DAY
    first = days[-1] / DAY - 183 + 183 / width
    assert first - 3 <= (cells[0] or 0) <= first  # a weekend can hold it back two days
    assert fmt.sparkline(cells, width)[0] == "▁"  # the closes rise: the oldest is lowest


def test_other_exchanges_show_their_price_and_spread_in_basis_points() -> None:
    from decimal import Decimal

    from r2kmon.model import Quote, SourceHealth
    from r2kmon.ui.views.crypto import others_text

    live = Quote("BTC-USD", Decimal("100000"), 0.0, "binance")
    standby = {"kraken": Quote("BTC-USD", Decimal("100050"), 0.0, "kraken")}
    feeds = [
        SourceHealth("binance", "feed", "ok"),
        SourceHealth("kraken", "feed", "ok"),
        SourceHealth("coinbase", "feed", "down"),
        SourceHealth("binance-breadth", "feed", "ok"),
        SourceHealth("crypto-feeds", "feed", "ok", summary=True),  # no exchange of its own
    ]
    assert others_text(live, standby, feeds).plain == "kraken 100,050.00 (+5.0bp), coinbase down"
    assert others_text(live, {}, feeds[:1]).plain == "single feed"


@pytest.mark.parametrize(
    ("pct", "shown"),
    [(0.0, "=0.00%"), (0.004, "=0.00%"), (-0.004, "=0.00%"), (0.006, "▲+0.01%"), (-1.5, "▼-1.50%")],
)
def test_a_change_never_shows_an_arrow_against_its_number(pct: float, shown: str) -> None:
    assert fmt.change(pct) == shown


@pytest.mark.history
def test_macro_signals_say_why_they_are_missing_while_loading_and_when_ready() -> None:
    """Each context signal is one row shape: while the analytics load, the rows say what
    is loading; once ready, a signal the history cannot give says what it needs."""
    loading = loading_state()
    rows = {row.key: row for row in macro_rows(loading, CTX)}
    for key in ("altcoin_season", "btc_dominance", "net_liquidity", "flows"):
        assert rows[key].cells[1] == Text("—", DIM)
        assert rows[key].cells[5] == Text(loading.analytics_status.detail, DIM)
    ready = ready_state()  # the history has no coin market data, no FRED series
    assert ready.analytics is not None
    rows = {row.key: row for row in macro_rows(ready, CTX)}
    assert rows["altcoin_season"].cells[5] == Text("needs 90 days of the alt coins and BTC", DIM)
    assert rows["btc_dominance"].cells[5] == Text(
        "no dominance from CoinGecko/CoinPaprika yet", DIM
    )
    assert rows["net_liquidity"].cells[5] == Text("needs FRED WALCL, WTREGEN and RRPONTSYD", DIM)
    flows = next(c for c in ready.analytics.context if c.name == "flows")
    assert flows.value is not None
    assert rows["flows"].cells[:2] == ("IWM flow proxy", fmt.big(flows.value, ""))
    assert rows["flows"].cells[5] == Text("money-flow proxy — not fund flows")


def test_no_stretching_column_pushes_numbers_away_from_their_labels() -> None:
    """A flexible text column in the middle of a table (ASSET, RULE, STATE) took all the
    spare width of a wide terminal and pushed the numbers after it 100 columns away from
    the names they belong to. Flexible columns come last, after every number, or grow only
    to a stated width."""
    import importlib
    import pkgutil

    import r2kmon.ui.views as views

    tables = {}
    for info in pkgutil.iter_modules(views.__path__):
        module = importlib.import_module(f"{views.__name__}.{info.name}")
        for name, value in vars(module).items():
            if isinstance(value, tuple) and value and all(isinstance(c, Column) for c in value):
                tables[f"{info.name}.{name}"] = value
    assert len(tables) >= 10
    for name, columns in tables.items():
        flex = [n for n, c in enumerate(columns) if c.flex and not c.most]
        if flex:
            after = [c.name for c in columns[flex[0] + 1 :] if c.align == "right"]
            assert after == [], f"{name}: {after} after the flexible {columns[flex[0]].name}"
