"""iShares holdings and Fear & Greed parsing against their fixtures."""

from __future__ import annotations

from datetime import datetime, timezone

import httpx
import pytest

from r2kmon.model import ContextValue
from r2kmon.sources.alternative_me import FearGreedEndpoint
from r2kmon.sources.base import BadBody, ErrorPayload
from r2kmon.sources.ishares import HoldingsEndpoint, parse_holdings
from tests.sources.src_helpers import LOCAL_FIXTURES, canned, default_url, shared

ISHARES = default_url("ishares")
FNG_URL = default_url("alternative_me")

HOLDINGS = shared("ishares", "IWM_holdings_2026-05-05_TRIMMED.csv")
FNG = LOCAL_FIXTURES / "alternative_me"


def test_holdings_preamble_and_rows() -> None:
    fund = HoldingsEndpoint(ISHARES).parse(canned(HOLDINGS, content_type="text/csv"))
    assert fund.fund == "iShares Russell 2000 ETF"
    assert fund.shares_outstanding == 278_750_000.0
    assert fund.as_of == 1777939200.0  # 2026-05-05 00:00 UTC
    assert fund.context() == ContextValue(
        "iwm_shares_outstanding", 278_750_000.0, "shares", "ishares", 1777939200.0
    )
    rows = fund.holdings
    assert len(rows) == 14
    first = rows[0]
    assert first.ticker == "BE"
    assert first.market_value == 1_532_594_919.50
    assert first.weight_pct == 1.93
    assert first.quantity == 5_190_838.0
    assert first.price == 295.25
    dash = next(row for row in rows if row.name == "OMNIAB INC $15.00 VESTING Prvt")
    assert dash.ticker == "-"
    futures = rows[-1]
    assert futures.ticker == "RTYM6"
    assert futures.asset_class == "Futures"
    assert futures.market_value == 0.0
    # The disclaimer footer is not a holding.
    assert not any("content" in row.ticker.lower() for row in rows)


def test_holdings_with_bom_and_request() -> None:
    body = b"\xef\xbb\xbf" + HOLDINGS.read_bytes()
    fund = HoldingsEndpoint(ISHARES).parse(httpx.Response(200, content=body))
    assert fund.shares_outstanding == 278_750_000.0
    request = HoldingsEndpoint("http://127.0.0.1:9").request()
    assert request.url.path.endswith("/1467271812596.ajax")
    assert request.url.params["fileType"] == "csv"


def test_holdings_html_and_garbage() -> None:
    with pytest.raises(BadBody, match="HTML"):
        HoldingsEndpoint(ISHARES).parse(httpx.Response(200, content=b"<html>Access denied</html>"))
    with pytest.raises(BadBody, match="Shares Outstanding"):
        parse_holdings("Ticker,Name\n")


def test_fear_greed_two_readings() -> None:
    reading = FearGreedEndpoint(FNG_URL).parse(canned(FNG / "fng_limit2_2026-04-27.json"))
    readings = reading.readings
    assert [r.as_of for r in readings] == [
        datetime(2026, 4, 26, tzinfo=timezone.utc).timestamp(),
        datetime(2026, 4, 27, tzinfo=timezone.utc).timestamp(),
    ]
    assert [r.value for r in readings] == [33.0, 47.0]
    assert [r.classification for r in readings] == ["Fear", "Neutral"]
    assert reading.next_update_s is None
    assert reading.context() == ContextValue(
        "fear_greed", 47.0, "index 0-100", "alternative_me", 1777248000.0
    )


def test_fear_greed_with_time_until_update() -> None:
    reading = FearGreedEndpoint(FNG_URL).parse(
        canned(FNG / "fng_limit1_with_time_until_update_2024-04-20.json")
    )
    assert reading.next_update_s == 3600.0
    context = reading.context()
    assert context is not None
    assert context.value == 54.0
    assert context.as_of == 1713628800.0


def test_fear_greed_error_in_metadata() -> None:
    with pytest.raises(ErrorPayload, match="Invalid limit"):
        FearGreedEndpoint(FNG_URL).parse(canned(FNG / "DERIVED_fng_error_in_metadata.json"))


def test_fear_greed_request() -> None:
    request = FearGreedEndpoint("http://127.0.0.1:9/", limit=7).request()
    assert str(request.url) == "http://127.0.0.1:9/fng/?limit=7&format=json"
