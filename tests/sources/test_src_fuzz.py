"""Property tests: whatever JSON or text a provider sends, a parser either returns data or
raises a :class:`~r2kmon.sources.base.SourceError`; nothing else escapes."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import httpx
import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from r2kmon.config import DEFAULT_EXCHANGES
from r2kmon.sources import alternative_me, coingecko, coinpaprika, fred, ishares, yahoo
from r2kmon.sources.base import SourceError
from r2kmon.sources.exchange_candles import EXCHANGES, Window
from tests.sources.src_helpers import default_url

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


def _keys(*names: str) -> st.SearchStrategy[object]:
    """JSON objects that use the provider's own key names, so parsing gets deep."""
    return st.recursive(
        st.none()
        | st.integers(-(2**63), 2**63 - 1)
        | st.floats(allow_nan=False)
        | st.text(max_size=6),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(st.sampled_from(names), inner, max_size=len(names))
        ),
        max_leaves=25,
    )


YAHOO_KEYS = _keys(
    "chart",
    "result",
    "error",
    "meta",
    "timestamp",
    "indicators",
    "quote",
    "close",
    "open",
    "high",
    "low",
    "volume",
    "regularMarketPrice",
    "regularMarketTime",
    "dataGranularity",
    "adjclose",
    "code",
)
CRYPTO_KEYS = _keys(
    "data",
    "total_market_cap",
    "usd",
    "market_cap_percentage",
    "btc",
    "updated_at",
    "status",
    "error_code",
    "error",
    "prices",
    "id",
    "symbol",
    "quotes",
    "USD",
    "price",
    "rank",
    "timestamp",
    "market_cap_usd",
    "bitcoin_dominance_percentage",
    "last_updated",
    "metadata",
    "value",
)

PARSERS: dict[str, Callable[[httpx.Response], object]] = {
    "yahoo": yahoo.ChartEndpoint("^RUT", default_url("yahoo")).parse,
    "cg_global": coingecko.GlobalEndpoint(default_url("coingecko")).parse,
    "cg_markets": coingecko.MarketsEndpoint(default_url("coingecko")).parse,
    "cg_chart": coingecko.MarketChartEndpoint("bitcoin", "btc", default_url("coingecko")).parse,
    "cp_global": coinpaprika.GlobalEndpoint(default_url("coinpaprika")).parse,
    "cp_tickers": coinpaprika.TickersEndpoint(default_url("coinpaprika")).parse,
    "fng": alternative_me.FearGreedEndpoint(default_url("alternative_me")).parse,
    **{
        f"{name}_candles": make(
            Window("BTC-USD", "1m", 1_700_000_000.0, 1_700_086_400.0),
            DEFAULT_EXCHANGES[name].rest_url,
            True,
        ).parse
        for name, make in EXCHANGES.items()
    },
}
CANDLE_ROWS = st.lists(
    st.lists(
        st.integers(-(2**63), 2**63 - 1)
        | st.floats(allow_nan=False)
        | st.text(max_size=6)
        | st.none(),
        max_size=12,
    ),
    max_size=4,
)
"""Arrays of rows, the exchanges' candle shape, so the row parsing itself is reached."""


def _only_source_errors(
    parse: Callable[[httpx.Response], object], body: bytes, status: int
) -> None:
    # A SourceError is a classified failure the poller handles; anything else escaping
    # (TypeError, KeyError, ...) fails the test.
    with contextlib.suppress(SourceError):
        parse(httpx.Response(status, content=body))


@settings(max_examples=150, deadline=None)
@given(
    payload=JSON
    | YAHOO_KEYS
    | CRYPTO_KEYS
    | CANDLE_ROWS
    | st.fixed_dictionaries(
        {
            "error": st.just([]),
            "result": st.dictionaries(st.text(max_size=4), CANDLE_ROWS, max_size=2),
        }
    ),
    status=st.sampled_from([200, 400, 404, 418, 429, 451, 500]),
    name=st.sampled_from(sorted(PARSERS)),
)
def test_json_parsers_raise_only_source_errors(payload: object, status: int, name: str) -> None:
    _only_source_errors(PARSERS[name], orjson.dumps(payload), status)


@settings(max_examples=150, deadline=None)
@given(
    text=st.text(max_size=300)
    | st.lists(
        st.lists(
            st.sampled_from(
                [
                    "observation_date",
                    "DATE",
                    "WALCL",
                    "2024-01-03",
                    ".",
                    "",
                    "7681024",
                    "x",
                    "Shares Outstanding",
                    "1,000.00",
                    "Ticker",
                    "Fund Holdings as of",
                    "May 05, 2026",
                ]
            ),
            max_size=4,
        ),
        max_size=8,
    ).map(lambda rows: "\n".join(",".join(r) for r in rows))
)
def test_csv_parsers_raise_only_source_errors(text: str) -> None:
    body = text.encode()
    _only_source_errors(fred.FredGraphEndpoint("WALCL", default_url("fred")).parse, body, 200)
    _only_source_errors(ishares.HoldingsEndpoint(default_url("ishares")).parse, body, 200)
