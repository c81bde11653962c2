"""CoinGecko and CoinPaprika parsing against every file in their shared fixture folders."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime, timezone
from typing import cast

import pytest

from r2kmon.model import Bar, ContextValue
from r2kmon.sources import coingecko, coinpaprika
from r2kmon.sources.base import Endpoint, ErrorPayload, RateLimited, UnknownSymbol
from r2kmon.sources.crypto_common import Coin, is_excluded, top_coins
from tests.sources.src_helpers import canned, default_url, shared

CG = default_url("coingecko")
CP = default_url("coinpaprika")


def utc(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp()


def test_coingecko_requests_carry_the_demo_key_only_when_set() -> None:
    keyed = coingecko.GlobalEndpoint("http://127.0.0.1:9/api/v3", api_key="k").request()
    assert str(keyed.url) == "http://127.0.0.1:9/api/v3/global"
    assert keyed.headers["x-cg-demo-api-key"] == "k"
    assert "x-cg-demo-api-key" not in coingecko.GlobalEndpoint(CG).request().headers
    chart = coingecko.MarketChartEndpoint("solana", "sol", CG).request()
    assert chart.url.path == "/api/v3/coins/solana/market_chart"
    assert chart.url.params["days"] == "90"
    assert chart.url.params["interval"] == "daily"


def test_coingecko_global() -> None:
    market = coingecko.GlobalEndpoint(CG).parse(
        canned(shared("coingecko", "global_docs_example_2024-04-07.json"))
    )
    assert market.total_market_cap_usd == pytest.approx(2721226850772.63)
    assert market.btc_dominance_pct == pytest.approx(50.4465263233584)
    assert market.as_of == 1712512855.0
    assert market.source == "coingecko"
    values = {v.name: v for v in market.context()}
    # cast: pytest.approx is typed ApproxBase but stands for the float it compares equal to.
    assert values["btc_dominance"] == ContextValue(
        "btc_dominance",
        cast("float", pytest.approx(50.4465263233584)),
        "%",
        "coingecko",
        1712512855.0,
    )
    # alt cap = total x (1 - btc share): 2721226850772.63 x 0.495534736766416
    assert values["alt_basket_mcap"].value == pytest.approx(1348462431179.3, rel=1e-12)
    assert values["crypto_market_cap"].unit == "USD"


def test_coingecko_markets_docs_example() -> None:
    coins = coingecko.MarketsEndpoint(CG).parse(
        canned(shared("coingecko", "coins_markets_docs_example_2024-04-07.json"))
    )
    assert [asdict(coin) for coin in coins] == [
        {
            "id": "bitcoin",
            "symbol": "BTC",
            "name": "Bitcoin",
            "rank": 1,
            "price": 70187.0,
            "market_cap": 1381651251183.0,
            "change_30d_pct": None,
        }
    ]
    assert [coin.id for coin in top_coins(coins, 50)] == ["bitcoin"]


def test_coingecko_markets_30d_change_and_stablecoin_exclusion() -> None:
    coins = coingecko.MarketsEndpoint(CG).parse(
        canned(shared("coingecko", "coins_markets_with_price_change_percentage_sample_2021.json"))
    )
    row = coins[0]
    assert row.symbol == "USDT"
    assert row.rank == 5
    assert row.change_30d_pct == pytest.approx(-0.30922846345094457)
    # Tether is a stablecoin: not part of the top-N list.
    assert top_coins(coins, 50) == []


def test_top_coins_keeps_rank_order_after_exclusions() -> None:
    listed = [("a", "BTC", 1), ("b", "USDC", 2), ("c", "WBTC", 3), ("d", "SOL", 4)]
    coins = [Coin(coin_id, symbol, "", rank, 1.0, 1.0, 0.0) for coin_id, symbol, rank in listed]
    assert [coin.symbol for coin in top_coins(coins, 2)] == ["BTC", "SOL"]
    assert is_excluded("stETH")
    assert not is_excluded("ETH")


def test_coingecko_market_chart_ms_timestamps() -> None:
    history = coingecko.MarketChartEndpoint("bitcoin", "btc", CG).parse(
        canned(shared("coingecko", "coins_id_market_chart_docs_example.json"))
    )
    assert history.symbol == "BTC"
    assert [point.ts for point in history.points] == [
        utc("2024-03-31 00:00"),
        utc("2024-04-01 00:00"),
        utc("2024-04-01 15:01:22"),  # the last point is "now"
    ]
    assert history.points[0].price == pytest.approx(69702.3087473573)
    # One bar per UTC day, the day's last price: the "now" point wins for 2024-04-01.
    assert history.bars() == [
        Bar(1711843200.0, 69702.3087473573, 69702.3087473573, 69702.3087473573, 69702.3087473573),
        Bar(1711929600.0, 68887.7495158568, 68887.7495158568, 68887.7495158568, 68887.7495158568),
    ]


def test_coingecko_429_body_and_retry_after() -> None:
    response = canned(
        shared("coingecko", "error_429_rate_limited.json"), 429, headers={"retry-after": "7"}
    )
    with pytest.raises(RateLimited) as info:
        coingecko.GlobalEndpoint(CG).parse(response)
    assert info.value.retry_after == 7.0


def test_coingecko_error_status_inside_200() -> None:
    response = canned(shared("coingecko", "error_429_rate_limited.json"), 200)
    with pytest.raises(RateLimited, match="exceeded the Rate Limit"):
        coingecko.GlobalEndpoint(CG).parse(response)


@pytest.mark.parametrize("status", [404, 400])
def test_coingecko_coin_not_found(status: int) -> None:
    response = canned(shared("coingecko", "error_coin_not_found_status_uncertain.json"), status)
    with pytest.raises(UnknownSymbol, match="coin not found"):
        coingecko.MarketChartEndpoint("nope", "nope", CG).parse(response)


def test_coinpaprika_global() -> None:
    market = coinpaprika.GlobalEndpoint(CP).parse(
        canned(shared("coinpaprika", "global_docs_example.json"))
    )
    assert market.total_market_cap_usd == 430252937008.0
    assert market.btc_dominance_pct == 36.67
    assert market.as_of == 1525089441.0
    assert market.source == "coinpaprika"
    assert [v.source for v in market.context()] == ["coinpaprika"] * 3


def test_coinpaprika_ticker_object_and_array() -> None:
    body = canned(shared("coinpaprika", "tickers_btc-bitcoin_docs_example.json"))
    coins = coinpaprika.TickersEndpoint(CP).parse(body)
    assert [asdict(coin) for coin in coins] == [
        {
            "id": "btc-bitcoin",
            "symbol": "BTC",
            "name": "Bitcoin",
            "rank": 1,
            "price": pytest.approx(5162.15941296),
            "market_cap": 91094433242.0,
            "change_30d_pct": 27.39,
        }
    ]
    array = coinpaprika.parse_tickers([body.json(), {**body.json(), "id": "x", "rank": 0}])
    assert [coin.rank for coin in array] == [1, 1_000_002]


def test_coinpaprika_historical_iso_timestamps() -> None:
    history = coinpaprika.HistoricalEndpoint("eth-ethereum", "eth", CP, date(2018, 3, 1)).parse(
        canned(shared("coinpaprika", "tickers_historical_docs_example.json"))
    )
    assert history.symbol == "ETH"
    assert history.points[0].ts == utc("2018-03-01")
    assert history.bars() == [Bar(1519862400.0, 855.53, 855.53, 855.53, 855.53)]


def test_coinpaprika_errors() -> None:
    with pytest.raises(UnknownSymbol, match="id not found"):
        coinpaprika.HistoricalEndpoint("nope", "nope", CP, date(2024, 1, 1)).parse(
            canned(shared("coinpaprika", "error_404_id_not_found_docs_example.json"), 404)
        )
    with pytest.raises(RateLimited):
        coinpaprika.GlobalEndpoint(CP).parse(
            canned(shared("coinpaprika", "error_429_docs_example.json"), 429)
        )
    with pytest.raises(ErrorPayload, match="402"):
        coinpaprika.GlobalEndpoint(CP).parse(
            canned(shared("coinpaprika", "error_429_docs_example.json"), 402)
        )


def test_the_demo_key_never_shows_in_a_repr() -> None:
    endpoints: list[Endpoint[object]] = [
        coingecko.GlobalEndpoint(CG, api_key="sekrit"),
        coingecko.MarketsEndpoint(CG, api_key="sekrit"),
        coingecko.MarketChartEndpoint("bitcoin", "btc", CG, api_key="sekrit"),
    ]
    for endpoint in endpoints:
        assert "sekrit" not in repr(endpoint)
        assert "sekrit" not in str(endpoint.request().url)  # it travels in a header
