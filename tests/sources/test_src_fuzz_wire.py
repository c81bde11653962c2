"""Fuzzing every provider parser and the exchanges' REST candles on their *real* answers.

``test_src_fuzz.py`` feeds the parsers JSON made from scratch. This file starts from what
the servers really send (the recorded bodies in ``tests/fixtures/http``) and breaks it the
ways a hostile or broken server would: a number token respelled (``inf``, ``9e999``,
``1_0000``, ``NaN``, ``-1``, ``1e308``), any value of the decoded body replaced, the body
cut short, arbitrary bytes, and an outage page (HTML with a 503). Whatever comes, a parser
returns data or raises a :class:`~r2kmon.sources.base.SourceError`; and every number in
what it returns is finite (an ``inf`` price or value must never reach the hub).

Example counts come from the Hypothesis profile (``tests/conftest.py``).
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from r2kmon.config import DEFAULT_EXCHANGES
from r2kmon.sources import alternative_me, coingecko, coinpaprika, fred, ishares, yahoo
from r2kmon.sources.base import SourceError, as_float
from r2kmon.sources.exchange_candles import EXCHANGES, Window
from tests.sources.src_helpers import LOCAL_FIXTURES, default_url, shared

Parse = Callable[[httpx.Response], object]


def _candles(exchange: str, interval: str) -> Parse:
    window = Window("BTC-USD", interval, 1_700_000_000.0, 1_700_086_400.0)  # type: ignore[arg-type]
    return EXCHANGES[exchange](window, DEFAULT_EXCHANGES[exchange].rest_url, True).parse


def _all(provider: str, suffix: str = ".json") -> list[Path]:
    folder = shared(provider, "")
    return sorted(p for p in folder.iterdir() if p.name.endswith(suffix) and "http" not in p.name)


# parser name → (parser, the recorded answers it is fed)
CASES: dict[str, tuple[Parse, list[Path]]] = {
    "yahoo": (yahoo.ChartEndpoint("^RUT", default_url("yahoo")).parse, _all("yahoo_chart")),
    "coingecko_global": (
        coingecko.GlobalEndpoint(default_url("coingecko")).parse,
        [shared("coingecko", "global_docs_example_2024-04-07.json")],
    ),
    "coingecko_markets": (
        coingecko.MarketsEndpoint(default_url("coingecko")).parse,
        [
            shared("coingecko", "coins_markets_docs_example_2024-04-07.json"),
            shared("coingecko", "coins_markets_with_price_change_percentage_sample_2021.json"),
        ],
    ),
    "coingecko_chart": (
        coingecko.MarketChartEndpoint("bitcoin", "btc", default_url("coingecko")).parse,
        [shared("coingecko", "coins_id_market_chart_docs_example.json")],
    ),
    "coinpaprika_global": (
        coinpaprika.GlobalEndpoint(default_url("coinpaprika")).parse,
        [shared("coinpaprika", "global_docs_example.json")],
    ),
    "coinpaprika_tickers": (
        coinpaprika.TickersEndpoint(default_url("coinpaprika")).parse,
        [shared("coinpaprika", "tickers_btc-bitcoin_docs_example.json")],
    ),
    "coinpaprika_historical": (
        coinpaprika.HistoricalEndpoint(
            "btc-bitcoin", "btc", default_url("coinpaprika"), date(2024, 1, 1)
        ).parse,
        [shared("coinpaprika", "tickers_historical_docs_example.json")],
    ),
    "fear_greed": (
        alternative_me.FearGreedEndpoint(default_url("alternative_me")).parse,
        [LOCAL_FIXTURES / "alternative_me" / "fng_limit2_2026-04-27.json"],
    ),
    "fred": (
        fred.FredGraphEndpoint("WALCL", default_url("fred")).parse,
        _all("fred", ".csv"),
    ),
    "ishares": (
        ishares.HoldingsEndpoint(default_url("ishares")).parse,
        [shared("ishares", "IWM_holdings_2026-05-05_TRIMMED.csv")],
    ),
    "binance_klines_1m": (_candles("binance", "1m"), _all("binance")),
    "binance_klines_1d": (_candles("binance", "1d"), _all("binance")),
    "coinbase_candles": (_candles("coinbase", "1d"), _all("coinbase_exchange")),
    "kraken_ohlc": (_candles("kraken", "1m"), _all("kraken")),
}

ADVERSARIAL_NUMBERS = [
    "inf", "-inf", "Infinity", "NaN", "nan", "9e999", "-9e999", "1e308", "1e-300", "1_0000",
    "-1", "0", "-0.0", "1E5", "0x10", "١٢", '"inf"', '"9e999"', '"1_0000"', '"NaN"', "null",
    '""', "true", "[]", "{}",
]  # fmt: skip
"""Spellings of a number a parser must refuse or read as the number rule says."""

NUMBER = re.compile(rb"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")

OUTAGE_PAGE = (
    b"<!DOCTYPE html><html><head><title>503 Service Unavailable</title></head><body>"
    b"<h1>Service Unavailable</h1><p>The server is temporarily unable to service your "
    b"request due to maintenance downtime or capacity problems.</p></body></html>"
)


def numbers_in(value: Any) -> list[float | Decimal]:
    """Every number in a parser's result (dataclasses, named tuples, containers)."""
    if isinstance(value, bool):
        return []
    if isinstance(value, (int, float, Decimal)):
        return [value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [n for f in dataclasses.fields(value) for n in numbers_in(getattr(value, f.name))]
    if isinstance(value, dict):
        return [n for v in value.values() for n in numbers_in(v)]
    if isinstance(value, (list, tuple, set, frozenset)):
        return [n for v in value for n in numbers_in(v)]
    return []


def check(parse: Parse, body: bytes, status: int = 200, content_type: str = "") -> None:
    """``parse`` returns finite numbers or raises a SourceError; nothing else escapes."""
    headers = {"content-type": content_type} if content_type else {}
    try:
        result = parse(httpx.Response(status, content=body, headers=headers))
    except SourceError:
        return
    for number in numbers_in(result):
        assert math.isfinite(number), (number, result)


names = st.sampled_from(sorted(CASES))


@given(name=names, data=st.data())
@example(name="coingecko_markets", data=None).via("a string price spelled inf")
def test_a_number_respelled_in_a_real_answer(name: str, data: st.DataObject | None) -> None:
    """One number token of a recorded body respelled adversarially."""
    parse, paths = CASES[name]
    if data is None:  # the explicit example: CoinGecko's first current_price as "inf"
        body = paths[0].read_bytes().replace(b'"current_price": 70187', b'"current_price": "inf"')
        check(parse, body)
        return
    body = data.draw(st.sampled_from(paths)).read_bytes()
    spans = [m.span() for m in NUMBER.finditer(body)]
    if spans:
        start, end = data.draw(st.sampled_from(spans))
        spelled = data.draw(st.sampled_from(ADVERSARIAL_NUMBERS)).encode()
        body = body[:start] + spelled + body[end:]
    check(parse, body)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
    | st.sampled_from(["inf", "9e999", "1_0000", "NaN", "-1", "1e308", "2026-13-45"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=10,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a decoded JSON body (its keys and indexes), depth first."""
    found = [prefix]
    if isinstance(value, dict):
        for key, inner in value.items():
            found += _paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value[:5]):
            found += _paths(inner, (*prefix, index))
    return found


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replace(value[head], rest, new)}
    copy = list(value)
    copy[head] = _replace(copy[head], rest, new)
    return copy


JSON_CASES = sorted(n for n, (_, paths) in CASES.items() if paths[0].suffix == ".json")


@given(name=st.sampled_from(JSON_CASES), data=st.data())
def test_any_value_of_a_real_answer_replaced(name: str, data: st.DataObject) -> None:
    parse, paths = CASES[name]
    decoded = orjson.loads(data.draw(st.sampled_from(paths)).read_bytes())
    where = data.draw(st.sampled_from(_paths(decoded)))
    body = orjson.dumps(_replace(decoded, where, data.draw(json_values)))
    check(parse, body)


@given(name=names, data=st.data())
def test_a_real_answer_cut_short(name: str, data: st.DataObject) -> None:
    parse, paths = CASES[name]
    body = data.draw(st.sampled_from(paths)).read_bytes()
    check(parse, body[: data.draw(st.integers(0, len(body)))])


@given(
    name=names,
    body=st.binary(max_size=300) | st.just(OUTAGE_PAGE),
    status=st.sampled_from([200, 404, 429, 500, 502, 503]),
)
def test_arbitrary_bytes_or_an_outage_page(name: str, body: bytes, status: int) -> None:
    check(CASES[name][0], body, status, "text/html; charset=utf-8")


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_recorded_answer_is_still_read(name: str) -> None:
    """The positive control: unbroken, at least one recorded body of each parser parses
    (else the fuzzing above would only ever meet refusals)."""
    parse, paths = CASES[name]
    parsed = []
    for path in paths:
        try:
            parsed.append(parse(httpx.Response(200, content=path.read_bytes())))
        except SourceError:
            continue
    assert parsed, name


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7681024", 7681024.0),
        ("1,000.50", 1000.5),
        (" 0.25 ", 0.25),
        (42, 42.0),
        ("inf", None),
        ("-Infinity", None),
        ("9e999", None),
        ("NaN", None),
        ("1_0000", None),
        ("\u0661\u0662", None),
        (float("inf"), None),
    ],
)
def test_a_provider_number_is_finite_and_plainly_written(
    value: object, expected: float | None
) -> None:
    """What the fuzzing above found: CoinGecko's ``"current_price": "inf"`` became an
    infinite coin price, and ``"1_0000"`` ten thousand."""
    assert as_float(value) == expected
