"""Yahoo chart parsing against every recorded file in ``shared/fixtures/http/yahoo_chart``."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import httpx
import pytest

from r2kmon.model import Bar
from r2kmon.sources.base import BadBody, ErrorPayload, RateLimited, UnknownSymbol
from r2kmon.sources.yahoo import Chart, ChartEndpoint, chart_from_result, parse_chart
from tests.sources.src_helpers import canned, shared


def utc(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp()


def chart(name: str, symbol: str = "X", status: int = 200) -> Chart:
    return parse_chart(canned(shared("yahoo_chart", name), status), symbol)


def test_request_encodes_caret_and_uses_configured_base() -> None:
    endpoint = ChartEndpoint("^RUT", "http://127.0.0.1:9/y/", range="max", interval="1d")
    request = endpoint.request()
    assert str(request.url).startswith("http://127.0.0.1:9/y/v8/finance/chart/%5ERUT?")
    assert request.url.params["range"] == "max"
    assert request.url.params["interval"] == "1d"
    assert "Chrome" in request.headers["user-agent"]


def test_qqq_one_daily_bar() -> None:
    result = chart("qqq_1d_period_2020-01-02.json", "QQQ")
    assert result.interval == "1d"
    assert result.currency == "USD"
    # Daily bar start: midnight UTC of the New York session date 2020-01-02.
    assert result.bars == [
        Bar(
            1577923200.0,
            214.39999389648438,
            216.16000366210938,
            213.97999572753906,
            216.16000366210938,
            30969400.0,
        )
    ]
    # The quote is from 2025 while the bar is from 2020, so no reference can be inferred,
    # and chartPreviousClose (212.61, the close before the *range*) must not be used.
    assert result.tick is not None
    assert result.tick.price == Decimal("539.52")
    assert result.tick.ts == 1739998800.0
    assert result.tick.ref_price is None
    assert result.tick.source == "yahoo"


def test_aapl_daily_with_events() -> None:
    result = chart("aapl_1d_period_with_events.json", "AAPL")
    assert len(result.bars) == 49
    # First bar 2020-08-31 (EDT: the session opens 13:30 UTC, the bar is that New York date).
    assert result.bars[0].start == utc("2020-08-31") == 1598832000.0
    assert result.bars[0].open == pytest.approx(127.58)
    assert result.bars[0].high == 131.0
    assert result.bars[0].low == 126.0
    # Last bar 2020-11-06, after the switch to EST (opens 14:30 UTC).
    assert result.bars[-1].start == utc("2020-11-06") == 1604620800.0
    assert result.bars[-1].close == pytest.approx(118.69)
    assert result.bars[-1].volume == 114457900.0
    assert result.bars[-2].close == pytest.approx(119.03)
    assert result.tick is not None
    assert result.tick.ref_price is None


def test_weekend_1m_request_has_no_bars_but_a_quote() -> None:
    result = chart("aapl_1m_weekend_no_bars.json", "AAPL")
    assert result.interval == "1m"
    assert result.bars == []
    assert result.tick is not None
    assert result.tick.price == Decimal("244.87")
    # previousClose is present here and wins over chartPreviousClose (236).
    assert result.tick.ref_price == Decimal("244.47")


def test_tnx_index_5m_bars() -> None:
    result = chart("tnx_5m_range1d_index.json", "^TNX")
    assert result.interval == "5m"
    assert result.timezone == "America/Chicago"
    assert len(result.bars) == 15
    assert result.bars[0].start == 1770057900.0
    assert result.bars[0].close == pytest.approx(4.271)
    assert result.bars[14].start == 1770062100.0
    assert result.bars[14].low == pytest.approx(4.269)
    assert all(bar.volume == 0.0 for bar in result.bars)
    assert result.tick is not None
    assert result.tick.price == Decimal("4.275")
    assert result.tick.ref_price == Decimal("4.227")


def test_null_bar_is_dropped() -> None:
    result = chart("DERIVED_tnx_5m_with_null_bar.json", "^TNX")
    assert len(result.bars) == 14
    starts = [bar.start for bar in result.bars]
    assert 1770060000.0 not in starts  # bar index 7 was nulled
    assert 1770059700.0 in starts
    assert 1770060300.0 in starts
    assert all(value == value for bar in result.bars for value in bar)  # no NaN anywhere


def test_unknown_symbol_404() -> None:
    with pytest.raises(UnknownSymbol, match="symbol may be delisted"):
        chart("error_404_unknown_symbol.json", "INVALID.BO", status=404)


def test_intraday_range_too_long_422() -> None:
    with pytest.raises(ErrorPayload, match="Only 7 days"):
        chart("error_422_intraday_range_too_long.json", status=422)


@pytest.mark.parametrize("name", ["error_429_body_variant_a.txt", "error_429_body_variant_b.txt"])
def test_429_plain_text(name: str) -> None:
    response = canned(shared("yahoo_chart", name), 429, "text/plain")
    with pytest.raises(RateLimited, match="Too Many Requests") as info:
        parse_chart(response, "^RUT")
    assert info.value.retry_after is None


def test_plain_text_rate_limit_with_200_is_still_rate_limited() -> None:
    response = canned(shared("yahoo_chart", "error_429_body_variant_b.txt"), 200, "text/plain")
    with pytest.raises(RateLimited):
        parse_chart(response, "^RUT")


def test_outage_page_with_200() -> None:
    page = b"<html><body><h1>Will be right back...</h1></body></html>"
    response = httpx.Response(200, content=page, headers={"content-type": "text/html"})
    with pytest.raises(RateLimited, match="Will be right back"):
        parse_chart(response, "^RUT")


def test_truncated_json() -> None:
    body = shared("yahoo_chart", "tnx_5m_range1d_index.json").read_bytes()[:700]
    response = httpx.Response(200, content=body, headers={"content-type": "application/json"})
    with pytest.raises(BadBody, match="truncated"):
        parse_chart(response, "^TNX")


def test_daily_reference_is_yesterdays_close_when_the_last_bar_is_today() -> None:
    # Hand-made: two daily bars (2025-02-18 and 2025-02-19 sessions, 14:30 UTC opens) and
    # a quote at 2025-02-19 21:00 UTC, the same New York date as the last bar.
    meta: dict[str, object] = {
        "regularMarketPrice": 101.5,
        "regularMarketTime": 1739998800,
        "chartPreviousClose": 90.0,
        "dataGranularity": "1d",
        "range": "5d",
        "exchangeTimezoneName": "America/New_York",
    }
    result: dict[str, object] = {
        "timestamp": [1739889000, 1739975400],
        "indicators": {
            "quote": [
                {
                    "open": [99.0, 100.0],
                    "high": [100.5, 102.0],
                    "low": [98.5, 99.5],
                    "close": [100.0, 101.5],
                    "volume": [10, None],
                }
            ]
        },
    }
    chart = chart_from_result("IWM", meta, result)
    assert chart.tick is not None
    assert chart.tick.ref_price == Decimal("100.0")  # not chartPreviousClose (90)
    assert [bar.start for bar in chart.bars] == [1739836800.0, 1739923200.0]
    assert chart.bars[1].volume == 0.0  # a null volume is no volume, the bar is kept
