"""Binance's typed fast path (msgspec structs) must agree with the general path.

``BinanceAdapter.parse`` decodes combined price frames straight into structs and builds
ticks with ``tuple.__new__``; everything it does not take goes to ``Adapter.parse``
(orjson → ``classify``). These tests build price frames with every field varied — odd
number spellings, wrong types, missing fields, unknown symbols — and check that the result
is the general path's, tick for tick, or the same kind of error.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from r2kmon.feeds import Adapter, FeedError, Parsed
from r2kmon.feeds.binance import BinanceAdapter
from r2kmon.model import Tick

# Mostly the numbers Binance sends (so most frames are prices), and every odd case.
plain = st.decimals(min_value=0, max_value=10**9, places=8).map(str)
numbers = st.one_of(
    plain,
    plain,
    plain,
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["0.00000000", "0", "-1", "1e5", " 7", "+3", "NaN", "", "1_0", "٣"]),
    st.text(max_size=12),
    st.integers(min_value=-5, max_value=10**20),
    st.floats(allow_nan=False),
    st.none(),
    st.booleans(),
)
plain_time = st.integers(min_value=0, max_value=2**42)
times = st.one_of(
    plain_time,
    plain_time,
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.text(max_size=5),
    st.booleans(),
)
symbols = st.sampled_from(["BTCUSDT", "BTCUSDT", "ETHUSDT", "DOGEUSDT", "btcusdt", "", "BTC"])


def general(adapter: BinanceAdapter, frame: bytes) -> Parsed | type[FeedError]:
    try:
        return Adapter.parse(adapter, frame)
    except FeedError:
        return FeedError


def fast(adapter: BinanceAdapter, frame: bytes) -> Parsed | type[FeedError]:
    try:
        return adapter.parse(frame)
    except FeedError:
        return FeedError


def same(a: Parsed | type[FeedError], b: Parsed | type[FeedError]) -> None:
    if isinstance(a, Parsed) and isinstance(b, Parsed):
        assert (a.kind, list(a.ticks), a.message) == (b.kind, list(b.ticks), b.message)
        for tick in a.ticks:
            assert type(tick) is Tick
            assert len(tick) == len(Tick._fields)
    else:
        assert a == b


@settings(max_examples=400, deadline=None)
@given(
    event=st.sampled_from(["trade", "aggTrade", "24hrMiniTicker", "24hrTicker", "kline"]),
    symbol=symbols,
    values=st.fixed_dictionaries({k: numbers for k in "pqco"}),
    stamps=st.fixed_dictionaries({k: times for k in "TE"}),
    missing=st.sets(st.sampled_from("pqcoTEs"), max_size=1) | st.just(set()),
    wrapped=st.booleans(),
    usdt_as_usd=st.booleans(),
)
def test_fast_path_agrees_with_the_general_path(
    event: str,
    symbol: str,
    values: dict[str, Any],
    stamps: dict[str, Any],
    missing: set[str],
    wrapped: bool,
    usdt_as_usd: bool,
) -> None:
    adapter = BinanceAdapter(
        ("BTC-USD", "ETH-USD"), channel="trade", usdt_as_usd=usdt_as_usd, source="binance"
    )
    data = {"e": event, "s": symbol, **values, **stamps}
    for key in missing:
        del data[key]
    message: Any = {"stream": f"{symbol.lower()}@trade", "data": data} if wrapped else data
    try:
        frame = orjson.dumps(message)
    except (TypeError, orjson.JSONEncodeError):
        return  # an integer beyond 64 bits: not a JSON document orjson can write
    same(fast(adapter, frame), general(adapter, frame))


def test_a_recorded_trade_frame_takes_the_fast_path_to_the_same_tick() -> None:
    frame = (
        b'{"stream":"btcusdt@trade","data":{"e":"trade","E":1749183266025,"s":"BTCUSDT",'
        b'"t":4981234567,"p":"102492.27000000","q":"0.00123000","T":1749183266024,'
        b'"m":true,"M":true}}'
    )
    adapter = BinanceAdapter(("BTC-USD",), channel="trade", usdt_as_usd=True)
    parsed = adapter.parse(frame)
    assert parsed.ticks == (
        Tick(
            "BTC-USD",
            Decimal("102492.27000000"),
            1749183266.024,
            "binance",
            "trade",
            Decimal("0.00123000"),
        ),
    )
    same(parsed, general(adapter, frame))


@pytest.mark.parametrize(
    "frame",
    [
        b'{"result":null,"id":1}',
        b'{"error":{"code":2,"msg":"Invalid request"},"id":3}',
        b'{"stream":"btcusdt@trade","data":{"e":"serverShutdown","E":1}}',
        b'{"e":"trade","E":1,"s":"BTCUSDT","p":"1","q":"1","T":1}',
        b"not json",
    ],
)
def test_frames_that_are_not_combined_prices_take_the_general_path(frame: bytes) -> None:
    adapter = BinanceAdapter(("BTC-USD",), channel="trade")
    same(fast(adapter, frame), general(adapter, frame))


VALID = {
    "trade": {"p": "102492.27", "q": "0.5", "T": 1749183266024},
    "aggTrade": {"p": "102492.27", "q": "0.5", "T": 1749183266024},
    "24hrMiniTicker": {"c": "102492.27", "o": "105121.06", "E": 1749183266025},
    "24hrTicker": {"c": "102492.27", "o": "105121.06", "E": 1749183266025},
}
ODD: list[Any] = [
    "0",
    "0.00000000",
    "-1",
    "NaN",
    "sNaN",
    "Infinity",
    "1e5",
    " 7",
    "+3",
    "",
    "1_0",
    "x",
    7,
    7.5,
    None,
    True,
    -1,
]


@pytest.mark.parametrize(
    ("event", "field", "value"),
    [(e, f, v) for e, fields in VALID.items() for f in fields for v in ODD],
)
def test_every_odd_value_in_every_field_gets_the_general_paths_answer(
    event: str, field: str, value: Any
) -> None:
    adapter = BinanceAdapter(("BTC-USD",), channel="trade", usdt_as_usd=True)
    data = {"e": event, "s": "BTCUSDT", **VALID[event], field: value}
    frame = orjson.dumps({"stream": "btcusdt@trade", "data": data})
    same(fast(adapter, frame), general(adapter, frame))
