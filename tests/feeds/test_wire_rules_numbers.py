"""One number rule for every exchange path: prices and sizes as the exchanges write them.

Issue 12, item 4: ``inf``, ``9e999``, ``1e308``, ``1e-300`` and ``1_0000`` went through the
Binance fast path (the screen showed ``BTC-USD inf``, the store kept a bar of ``1.0e+308``,
``1_0000`` became 10,000). The rule, as written here independently of the code: a price or
size is ASCII digits with at most one point (a JSON number where the exchange sends
numbers, without an exponent); a price is at least 1e-12 and at most 1e15, a size at most
1e15. Anything else is a bad frame: counted, logged, the connection kept.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import orjson
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from r2kmon.clock import SystemClock
from r2kmon.feeds import Adapter, FeedError, Parsed
from r2kmon.feeds.base import price, quantity
from r2kmon.feeds.binance import BinanceAdapter
from r2kmon.feeds.breadth import BreadthAdapter, BreadthState
from r2kmon.feeds.connection import FeedConnection, FeedSettings
from r2kmon.feeds.kraken import KrakenAdapter
from r2kmon.hub import Hub
from r2kmon.net import NetworkPolicy
from r2kmon.sources.base import BadBody
from r2kmon.sources.exchange_candles import BinanceKlines, CoinbaseCandles, Window
from tests.fakes.exchanges import FakeExchange
from tests.fakes.sinks import wait_until
from tests.fakes.tls import PrivateCA

# The rule, spelled out for the tests (not imported from the code under test).
PLAIN = re.compile(r"[0-9]+\.?[0-9]*|\.[0-9]+", re.ASCII)
LOW, HIGH = Decimal("1e-12"), Decimal("1e15")

REFUSED = [
    "inf",
    "Infinity",
    "-inf",
    "nan",
    "NaN",
    "sNaN",
    "9e999",
    "1e308",
    "1e-300",
    "1E5",
    "1.5e3",
    "1_0000",
    "1_000.5",
    "+3",
    "-1",
    "-0.5",
    " 7",
    "7 ",
    "7\n",
    "\t7",
    "\u0661\u0662",  # Arabic-Indic digits: Decimal reads them as 12
    "\uff11\uff12",  # full-width digits
    "1\u0662",
    "0",
    "0.00000000",
    "",
    ".",
    "1.2.3",
    "0x10",
    "1" + "0" * 20,  # 1e20: plain, but beyond any real price
    "0." + "0" * 20 + "1",  # 1e-21: plain, but below any real price step
    "0.0000000000001",  # 1e-13
    "1000000000000001",  # 1e15 + 1
]
TAKEN = {
    "102492.27000000": Decimal("102492.27000000"),
    "0.00001234": Decimal("0.00001234"),
    "7": Decimal(7),
    "64312.": Decimal("64312"),
    ".5": Decimal("0.5"),
    "0007.50": Decimal("7.50"),
    "0.000000000001": Decimal("1e-12"),
    "1000000000000000": Decimal("1e15"),
}


@pytest.mark.parametrize("text", REFUSED)
def test_the_general_path_refuses_what_no_exchange_writes(text: str) -> None:
    with pytest.raises(FeedError):
        price(text)


@pytest.mark.parametrize(("text", "value"), TAKEN.items())
def test_plain_prices_are_read_exactly(text: str, value: Decimal) -> None:
    got = price(text)
    assert got == value
    assert str(got) == str(Decimal(text))  # the exchange's digits, trailing zeros kept


def test_a_size_may_be_zero_but_follows_the_rule_otherwise() -> None:
    assert quantity("0.00000000") == 0
    assert quantity("0.000000000000001") == Decimal("1e-15")  # adds nothing, harms nothing
    assert quantity(None) is None
    with pytest.raises(FeedError):
        quantity("1" + "0" * 16)
    for text in ("inf", "9e999", "1_0", "-1", "\u0661", "1e-300"):
        with pytest.raises(FeedError):
            quantity(text)


# --- the Binance fast path and the general path agree on adversarial strings ---------------

DIGITS_ASCII = "0123456789"
# Arabic-Indic, full-width, Extended Arabic-Indic, NKo and Devanagari digits.
DIGITS_OTHER = "\u0660\u0661\u0662\u0669\uff10\uff11\uff19\u06f3\u07c3\u0966"
digits = st.text(alphabet=DIGITS_ASCII, min_size=1, max_size=20)
odd_digits = st.text(alphabet=DIGITS_ASCII + DIGITS_OTHER, min_size=1, max_size=6)


@st.composite
def spelled(draw: st.DrawFn) -> str:
    """A number spelled in any of the ways Decimal and float accept, and some they do not."""
    sign = draw(st.sampled_from(["", "", "", "+", "-"]))
    whole = draw(st.one_of(digits, odd_digits, st.just(""), st.just("0" * 30)))
    point = draw(st.sampled_from(["", ".", ".", ".."]))
    fraction = draw(st.one_of(digits, odd_digits, st.just("")))
    exponent = draw(
        st.one_of(
            st.just(""),
            st.just(""),
            st.builds(
                lambda e, s, n: f"{e}{s}{n}",
                st.sampled_from("eE"),
                st.sampled_from(["", "+", "-"]),
                st.integers(0, 1200),
            ),
        )
    )
    text = sign + whole + point + fraction + exponent
    if draw(st.booleans()) and len(text) > 1:
        cut = draw(st.integers(1, len(text) - 1))
        text = text[:cut] + "_" + text[cut:]
    pad = draw(st.sampled_from(["", "", "", " ", "\t", "\n", "\u00a0", "\u2003"]))
    return draw(st.sampled_from([text, pad + text, text + pad]))


adversarial = st.one_of(
    spelled(),
    st.sampled_from(REFUSED + list(TAKEN)),
    st.sampled_from(["Infinity", "-Infinity", "inf", "NaN", "-nan", "sNaN", "1e999999999"]),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.floats().map(str),  # repr of floats: 1e-05, 1e+16, inf, nan
    st.text(alphabet=DIGITS_ASCII + ".eE+-_ " + DIGITS_OTHER, max_size=12),
)


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


def expected(text: str) -> Decimal | None:
    """What the rule says a price text is (``None``: refused)."""
    if not PLAIN.fullmatch(text):
        return None
    value = Decimal(text)
    return value if LOW <= value <= HIGH else None


FIELDS = {
    # event: (field under test, the frame's other fields)
    "trade": ("p", {"q": "0.5", "T": 1749183266024}),
    "aggTrade": ("p", {"q": "0.5", "T": 1749183266024}),
    "trade-size": ("q", {"p": "102492.27", "T": 1749183266024}),
    "24hrMiniTicker": ("c", {"o": "105121.06", "E": 1749183266025}),
    "24hrTicker": ("c", {"o": "105121.06", "E": 1749183266025}),
    "24hrMiniTicker-open": ("o", {"c": "102492.27", "E": 1749183266025}),
}


@settings(max_examples=1500, deadline=None)
@given(text=adversarial, case=st.sampled_from(sorted(FIELDS)))
@example(text="9e999", case="trade")
@example(text="1e308", case="24hrMiniTicker")
@example(text="1e-300", case="trade")
@example(text="1_0000", case="trade")
@example(text="inf", case="24hrMiniTicker")
@example(text="\u0661\u0662", case="trade")
@example(text="0012.5", case="trade")
@example(text="7 ", case="trade-size")
def test_fast_and_general_path_agree_on_adversarial_numbers(text: str, case: str) -> None:
    field, others = FIELDS[case]
    event = case.split("-")[0]
    adapter = BinanceAdapter(("BTC-USD",), channel="trade", usdt_as_usd=True)
    data = {"e": event, "s": "BTCUSDT", **others, field: text}
    frame = orjson.dumps({"stream": "btcusdt@trade", "data": data})
    a, b = fast(adapter, frame), general(adapter, frame)
    # Both refuse, or both give the very same Decimal (digits and exponent alike).
    if isinstance(a, Parsed) and isinstance(b, Parsed):
        assert list(a.ticks) == list(b.ticks)
        (ta,), (tb,) = a.ticks, b.ticks
        for x, y in zip(ta, tb, strict=True):
            assert type(x) is type(y)
            if isinstance(x, Decimal) and isinstance(y, Decimal):
                assert x.as_tuple() == y.as_tuple()
    else:
        assert a == b == FeedError
    # And what they agree on is the rule (a size needs no lower bound: zero is a size).
    value = expected(text)
    if field == "q":
        value = Decimal(text) if PLAIN.fullmatch(text) and Decimal(text) <= HIGH else None
    if value is None:
        assert a == FeedError
    else:
        assert isinstance(a, Parsed)
        (tick,) = a.ticks
        got = {"p": tick.price, "c": tick.price, "q": tick.size, "o": tick.ref_price}[field]
        assert got == value
        assert str(got) == str(value)


# --- Kraken: JSON numbers, the same rule on their text --------------------------------------


def kraken_frame(last: str, change: str = "1.00") -> str:
    return (
        '{"channel":"ticker","type":"update","data":[{"symbol":"BTC/USD","last":'
        + last
        + ',"change":'
        + change
        + ',"timestamp":"2026-01-01T00:00:00.000001Z"}]}'
    )


@pytest.mark.parametrize(
    "last", ["9e999", "1e308", "1e-300", "1E5", "1.5e3", "-5.0", "0", "0.0", "1" + "0" * 20]
)
def test_kraken_numbers_out_of_the_rule_make_a_bad_frame(last: str) -> None:
    with pytest.raises(FeedError):
        KrakenAdapter(("BTC-USD",)).parse(kraken_frame(last))


def test_kraken_plain_numbers_keep_their_digits_and_a_huge_change_gives_no_reference() -> None:
    parsed = KrakenAdapter(("BTC-USD",)).parse(kraken_frame("64312.50", "-312.50"))
    (tick,) = parsed.ticks
    assert str(tick.price) == "64312.50"
    assert tick.ref_price == Decimal("64625.00")
    # last - change beyond the range: no reference rather than an absurd one.
    parsed = KrakenAdapter(("BTC-USD",)).parse(kraken_frame("64312.50", "-1" + "0" * 20))
    assert parsed.ticks[0].ref_price is None


def test_kraken_exponent_anywhere_in_a_frame_is_not_kraken() -> None:
    frame = kraken_frame("64312.50").replace('"change":1.00', '"change":1e2')
    with pytest.raises(FeedError):
        KrakenAdapter(("BTC-USD",)).parse(frame)


# --- the breadth stream ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "close", ["inf", "9e999", "1e308", "1_0000", "\u0661\u0662", "NaN", "1e-300"]
)
def test_breadth_entries_out_of_the_rule_are_a_bad_frame(close: str) -> None:
    state = BreadthState()
    entry = {"e": "24hrMiniTicker", "E": 1, "s": "ETHUSDT", "c": close, "o": "1.5", "q": "9"}
    with pytest.raises(FeedError):
        BreadthAdapter(state).parse(json.dumps({"stream": "!miniTicker@arr", "data": [entry]}))
    assert "ETH" not in state.latest


# --- over the wire: the frames of the report, from a fake Binance over TLS ----------------


def binance_frame(close: str, open_: str = "99.00") -> str:
    data = {"e": "24hrMiniTicker", "E": 1_767_225_599_000, "s": "BTCUSDT", "c": close, "o": open_}
    return json.dumps({"stream": "btcusdt@miniTicker", "data": data})


def binance_trade(price_text: str, size: str = "0.5") -> str:
    data = {
        "e": "trade",
        "E": 1,
        "s": "BTCUSDT",
        "p": price_text,
        "q": size,
        "T": 1_767_225_599_000,
    }
    return json.dumps({"stream": "btcusdt@trade", "data": data})


HOSTILE = [
    binance_frame("inf"),
    binance_frame("9e999"),
    binance_frame("1e308"),
    binance_frame("1e-300"),
    binance_frame("1_0000"),
    binance_frame("100.00", "inf"),
    binance_trade("1e308"),
    binance_trade("100.00", "9e999"),
]


@pytest.fixture
async def binance(private_ca: PrivateCA) -> AsyncIterator[FakeExchange]:
    fake = FakeExchange("binance", {"BTCUSDT"}, script=HOSTILE)
    await fake.start(ssl=private_ca.server_context())
    yield fake
    await fake.stop()


async def test_hostile_numbers_from_binance_are_bad_frames_and_never_reach_the_hub(
    binance: FakeExchange, private_ca: PrivateCA
) -> None:
    settings = FeedSettings(
        "binance",
        "binance",
        ("BTC-USD",),
        url=binance.url,
        network=NetworkPolicy(ca_file=str(private_ca.ca_file)),
    )
    feed = FeedConnection(settings)
    hub = Hub(SystemClock(), simulated=False, symbols=["BTC-USD"])
    task = asyncio.create_task(feed.run(hub))
    try:
        async with asyncio.timeout(10):
            await wait_until(
                lambda: "BTC-USD" in hub.snapshot().quotes and feed.state.bad_frames > 0
            )
            await wait_until(lambda: hub.snapshot().quotes["BTC-USD"].price > 100)
    finally:
        task.cancel()
        await asyncio.wait({task})
    snap = hub.snapshot()
    quote = snap.quotes["BTC-USD"]
    # The fake's regular frames: 100.01, 100.02, ... against an open of 99.00.
    assert Decimal(100) < quote.price < Decimal(101)
    assert quote.ref_price == Decimal("99.00")
    assert feed.state.bad_frames == len(HOSTILE)
    assert binance.connections == 1  # bad frames never cost the connection
    for bar in snap.bars_1m["BTC-USD"]:
        assert 100 < bar.low <= bar.high < 101
    assert feed.health().bad_frames == len(HOSTILE)


# --- REST candles (the crypto history's pages) ---------------------------------------------


def kline(start_ms: int, close: str, volume: str = "1.5") -> list[Any]:
    return [start_ms, "100.0", "101.0", "99.0", close, volume, start_ms + 59_999, "0", 1]


NOW_MS = 1_767_225_600_000
WINDOW = Window("BTC-USD", "1m", NOW_MS / 1000 - 180, NOW_MS / 1000)


def answer(endpoint: BinanceKlines | CoinbaseCandles, body: bytes) -> httpx.Response:
    return httpx.Response(200, content=body, request=endpoint.request())


def test_binance_candles_out_of_the_rule_are_a_bad_body() -> None:
    klines = BinanceKlines(WINDOW, "https://api.binance.com")
    start = NOW_MS - 3 * 60_000
    good = orjson.dumps([kline(start, "100.5")])
    assert [b.close for b in klines.parse(answer(klines, good)).bars] == [100.5]
    for close in ("9e999", "inf", "1_0000", "1e-300"):
        body = orjson.dumps([kline(start, "100.5"), kline(start + 60_000, close)])
        with pytest.raises(BadBody, match="binance: malformed candle row"):
            klines.parse(answer(klines, body))


def test_coinbase_candles_out_of_the_rule_are_a_bad_body() -> None:
    # Coinbase sends JSON numbers; an infinite one cannot even be written as JSON, 1e308 can.
    candles = CoinbaseCandles(WINDOW, "https://api.exchange.coinbase.com")
    good = b"[[1767225480, 99.0, 101.0, 100.0, 100.5, 2.0]]"
    assert [b.close for b in candles.parse(answer(candles, good)).bars] == [100.5]
    with pytest.raises(BadBody, match="coinbase: malformed candle row"):
        candles.parse(answer(candles, b"[[1767225480, 99.0, 101.0, 100.0, 1e308, 2.0]]"))
