"""Fuzzing every exchange adapter's ``parse`` on its *real* frames, broken.

``test_feed_adapters.py`` fuzzes the adapters with JSON made from scratch and replaces one
field of a recorded frame by an arbitrary JSON value; ``test_wire_rules_numbers.py``
holds Binance's fast path to the number rule on frames built for it. What neither does:
respell one number *token* of every recorded frame of every exchange (a price written
``inf``, ``9e999``, ``1_0000``, a time written ``9e18``), and hold whatever an adapter
returns to the rule (DESIGN.md, issue 12 item 4): every price finite, between 1e-12 and
1e15, every size and reference price finite, every time finite — else a ``FeedError``. On
the same broken frames, Binance's fast path and its general path give the same ticks or
both refuse.

Example counts come from the Hypothesis profile (``tests/conftest.py``).
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from r2kmon.feeds import ADAPTERS, Adapter, FeedError, Parsed
from r2kmon.feeds.binance import BinanceAdapter
from r2kmon.model import Tick
from tests.paths import EXCHANGE_FIXTURES

SYMBOLS = ["BTC-USD", "ETH-USD", "SOL-USD", "ATOM-USD", "LTC-USD", "BNB-USD", "XRP-USD"]
FOLDERS = {"coinbase": "coinbase_exchange"}
LOW, HIGH = Decimal("1e-12"), Decimal("1e15")  # the rule, written here on its own


def recorded_frames(name: str) -> list[str]:
    """Every recorded frame of the exchange: one per file, one per line of ``.jsonl``."""
    folder = EXCHANGE_FIXTURES / FOLDERS.get(name, name)
    frames: list[str] = []
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        text = path.read_text()
        if path.suffix == ".jsonl":
            frames += [line for line in text.splitlines() if line][:20]
        elif path.suffix == ".json":
            frames.append(text)
    return frames


FRAMES: dict[str, list[str]] = {name: recorded_frames(name) for name in sorted(ADAPTERS)}

# A number token: quoted ("102492.27") or bare (a JSON number, Kraken's prices, every ts).
NUMBER = re.compile(r'"(-?\d+(?:\.\d+)?)"|[:\[,]\s*(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)')


def number_spans(frame: str) -> list[tuple[int, int]]:
    return [m.span(1) if m.group(1) is not None else m.span(2) for m in NUMBER.finditer(frame)]


SPELLINGS = [
    "inf", "-inf", "Infinity", "NaN", "9e999", "1e308", "1e-300", "1_0000", "-1", "0",
    "0.0", "1E5", "0x10", "\u0661\u0662", " 7", "+3", "1" + "0" * 20, "9e18", "-9e18",
    "99999999999999999999999", "1.5", "",
]  # fmt: skip


def check(ticks: Parsed) -> None:
    for tick in ticks.ticks:
        assert isinstance(tick.price, Decimal)
        assert tick.price.is_finite()
        assert LOW <= tick.price <= HIGH, tick
        for other in (tick.size, tick.ref_price):
            assert other is None or (other.is_finite() and other <= HIGH), tick
        assert math.isfinite(tick.ts), tick


def parse_or_refuse(adapter: Adapter, frame: str) -> Parsed | type[FeedError]:
    try:
        return adapter.parse(frame)
    except FeedError:
        return FeedError


@st.composite
def respelled(draw: st.DrawFn, name: str) -> str:
    frame = draw(st.sampled_from(FRAMES[name]))
    spans = number_spans(frame)
    for _ in range(draw(st.integers(1, 2))):
        if not spans:
            break
        start, end = draw(st.sampled_from(spans))
        spelled = draw(st.sampled_from(SPELLINGS) | st.text("0123456789.eE+-_", max_size=8))
        frame = frame[:start] + spelled + frame[end:]
        spans = number_spans(frame)
    return frame


@pytest.mark.parametrize("name", sorted(ADAPTERS))
@given(data=st.data())
def test_a_number_respelled_in_a_real_frame_is_refused_or_obeys_the_rule(
    name: str, data: st.DataObject
) -> None:
    frame = data.draw(respelled(name))
    result = parse_or_refuse(ADAPTERS[name](SYMBOLS), frame)
    if isinstance(result, Parsed):
        check(result)


TICKER = (
    '{"stream":"btcusdt@miniTicker","data":{"e":"24hrMiniTicker","E":%s,"s":"BTCUSDT",'
    '"c":"102492.27000000","o":"105121.06000000","h":"105909.71000000",'
    '"l":"100372.26000000","v":"24032.63625000","q":"2493193041.75950680"}}'
)


@given(frame=respelled("binance"))
# Found by this test in CI: a time past 64 bits, which msgspec reads and orjson refuses.
@example(frame=TICKER % "99999999999999999999999")
@example(frame=TICKER % "1000000000000000000")
def test_binance_fast_and_general_paths_agree_on_broken_real_frames(frame: str) -> None:
    adapter = BinanceAdapter(tuple(SYMBOLS))
    fast = parse_or_refuse(adapter, frame)
    try:
        general: Parsed | type[FeedError] = Adapter.parse(adapter, frame)
    except FeedError:
        general = FeedError
    if isinstance(fast, Parsed) and isinstance(general, Parsed):
        assert list(fast.ticks) == list(general.ticks)
        check(fast)
    else:
        assert fast == general == FeedError


def test_a_time_past_the_bound_is_refused_by_both_binance_paths() -> None:
    adapter = BinanceAdapter(tuple(SYMBOLS))
    for spelled in ("99999999999999999999999", "1000000000000000000"):
        with pytest.raises(FeedError):
            adapter.parse(TICKER % spelled)
        with pytest.raises(FeedError):
            Adapter.parse(adapter, TICKER % spelled)
    assert isinstance(adapter.parse(TICKER % "1749183266025"), Parsed)


@pytest.mark.parametrize("name", sorted(ADAPTERS))
def test_the_real_frames_give_ticks(name: str) -> None:
    """The positive control: unbroken, each exchange's recorded frames give ticks (else
    the fuzzing above would only ever meet refusals)."""
    adapter = ADAPTERS[name](SYMBOLS)
    ticks: list[Tick] = []
    for frame in FRAMES[name]:
        result = parse_or_refuse(adapter, frame)
        if isinstance(result, Parsed):
            check(result)
            ticks += result.ticks
    assert ticks, name


def test_every_exchange_has_recorded_frames_with_numbers_to_respell() -> None:
    for name, frames in FRAMES.items():
        assert len(frames) >= 5, (name, Path(EXCHANGE_FIXTURES))
        assert sum(len(number_spans(f)) for f in frames) >= 20, name
    # Both spellings are found: a quoted price, and a bare number after a pretty colon.
    assert number_spans('{"p": "1.5", "T": 17}') == [(7, 10), (18, 20)]
