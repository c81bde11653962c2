"""Twelve Data, the keyed fallback for the equity side: parsed from its documented formats,
and in the per-series chain behind a Yahoo that answers 429, over TLS to the private CA."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from decimal import Decimal
from urllib.parse import quote

import httpx
import pytest

from r2kmon.model import Bar
from r2kmon.sources.base import RateLimited, UnknownSymbol
from r2kmon.sources.poller import Poller, PollerSettings, ProviderSettings, new_client
from r2kmon.sources.twelvedata import TimeSeriesEndpoint, parse_time_series
from tests.fakes.http import FakeHTTP, Reply
from tests.fakes.sinks import RecordingSink
from tests.fakes.tls import PrivateCA
from tests.sources.src_helpers import canned, shared

DAILY = shared("twelvedata", "time_series_TSLA_1day_2rows_2025-09-23.json")
MINUTE = shared("twelvedata", "time_series_AAPL_1min_docs_example_as_quoted.json")
NO_CREDITS = shared("twelvedata", "ILLUSTRATIVE_error_429_out_of_credits.json")
NOT_FOUND = shared("twelvedata", "ILLUSTRATIVE_error_400_symbol_not_found.json")
YAHOO_429 = shared("yahoo_chart", "error_429_body_variant_b.txt")
KEY = "td-test-key-0123456789abcdef"


def utc(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp()


# --- parsing ------------------------------------------------------------------------------


def test_daily_values_newest_first_become_bars_oldest_first() -> None:
    series = parse_time_series(canned(DAILY), "TSLA", "1d")
    assert series.bars == [
        Bar(utc("2025-09-22"), 431.10999, 444.98001, 429.13, 434.20999, 97108800.0),
        Bar(utc("2025-09-23"), 439.88, 440.97, 423.72, 425.85001, 83211500.0),
    ]
    assert series.tick is not None
    assert series.tick.source == "twelvedata"
    assert series.tick.price == Decimal("425.85001")
    assert series.tick.ref_price == Decimal("434.20999")  # the session before
    assert series.tick.ts == utc("2025-09-23")  # never fresher than the close


def test_intraday_datetime_is_exchange_local() -> None:
    # The docs' short example has no exchange_timezone: New York, where AAPL trades.
    series = parse_time_series(canned(MINUTE), "AAPL", "1m")
    (bar,) = series.bars
    assert bar.start == utc("2021-08-26T19:59:00")  # 15:59 EDT
    assert bar.close == 148.39
    assert series.tick is not None
    assert series.tick.ref_price is None


@pytest.mark.parametrize("status", [200, 429])
def test_spent_credits_are_a_rate_limit(status: int) -> None:
    with pytest.raises(RateLimited):
        parse_time_series(canned(NO_CREDITS, status), "IWM", "1d")


def test_unknown_symbol() -> None:
    with pytest.raises(UnknownSymbol, match="NOSUCH"):
        parse_time_series(canned(NOT_FOUND), "NOSUCH", "1d")


def test_the_key_travels_in_the_header_never_in_the_url() -> None:
    endpoint = TimeSeriesEndpoint("IWM", "https://api.twelvedata.com", KEY, "1m", 60)
    request = endpoint.request()
    assert request.headers["authorization"] == f"apikey {KEY}"
    assert KEY not in str(request.url)
    assert dict(request.url.params) == {"symbol": "IWM", "interval": "1min", "outputsize": "60"}
    assert KEY not in repr(endpoint)


# --- in the chain -------------------------------------------------------------------------


@pytest.fixture
async def server(trusted: PrivateCA) -> AsyncIterator[FakeHTTP]:
    fake = FakeHTTP()
    await fake.start(ssl=trusted.server_context())
    yield fake
    await fake.stop()


@pytest.fixture
async def client(trusted: PrivateCA) -> AsyncIterator[httpx.AsyncClient]:
    async with new_client() as http:
        yield http


def settings(base: str, symbols: tuple[str, ...]) -> PollerSettings:
    """Yahoo then Twelve Data (then FRED), each on its real path under ``base``."""
    fast = {"min_interval_s": 0.0, "backoff_base_s": 0.2, "backoff_cap_s": 0.4}
    providers = {
        "yahoo": ProviderSettings(base, **fast),  # type: ignore[arg-type]
        "twelvedata": ProviderSettings(
            base,
            api_key_env="R2KMON_TEST_TWELVEDATA_KEY",
            **fast,  # type: ignore[arg-type]
        ),
    }
    return PollerSettings(
        providers=providers,
        market_symbols=symbols,
        fred_series=(),
        market_hours=False,
        intraday=False,
        timeout_s=1.0,
        deadline_s=2.0,
        jitter=0.0,
    )


def script_blocked_yahoo(server: FakeHTTP, symbols: tuple[str, ...]) -> None:
    for symbol in symbols:
        server.script(f"/v8/finance/chart/{quote(symbol, safe='')}", Reply.file(YAHOO_429, 429))


async def test_yahoo_429_then_twelvedata_serves_iwm_and_stands_in_for_rut(
    server: FakeHTTP,
    client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("R2KMON_TEST_TWELVEDATA_KEY", KEY)
    caplog.set_level(logging.DEBUG)
    symbols = ("^RUT", "IWM")
    script_blocked_yahoo(server, symbols)
    server.script("/time_series?symbol=IWM&interval=1day", Reply.file(DAILY))
    sink = RecordingSink()
    async with asyncio.timeout(10):
        await Poller(client, settings(server.base, symbols)).run_once(sink)

    # IWM's own row: served by Twelve Data, and the row's source says so.
    iwm = sink.ticks_of("IWM")
    assert iwm
    assert {tick.source for tick in iwm} == {"twelvedata"}
    assert iwm[-1].price == Decimal("425.85001")
    assert [b[3] for b in sink.bars if b[0] == "IWM"] == ["twelvedata", "twelvedata"]
    # ^RUT: nothing pushed into the index's series (IWM is a tenth of its level)...
    assert not sink.ticks_of("^RUT")
    assert not [b for b in sink.bars if b[0] == "^RUT"]
    # ...and its stale line says who stands in for it.
    yahoo = sink.last_health("yahoo")
    assert yahoo is not None
    assert yahoo.last_error is not None
    assert "^RUT (IWM stands in for ^RUT (served by twelvedata))" in yahoo.last_error
    assert "IWM (" not in yahoo.last_error  # IWM itself is served, not stale
    twelve = sink.last_health("twelvedata")
    assert twelve is not None
    assert twelve.status == "ok"
    # The key was sent as documented, and never written anywhere.
    hits = server.hits("/time_series")
    assert len(hits) == 2
    assert {seen.headers["authorization"] for seen in hits} == {f"apikey {KEY}"}
    assert all(KEY not in seen.query for seen in hits)
    texts = [h.last_error or "" for h in sink.health] + [r.getMessage() for r in caplog.records]
    assert not [text for text in texts if KEY in text]


async def test_without_the_key_twelvedata_is_not_asked_and_health_says_how(
    server: FakeHTTP, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("R2KMON_TEST_TWELVEDATA_KEY", raising=False)
    symbols = ("^RUT", "SPY")
    script_blocked_yahoo(server, symbols)
    server.script("/time_series", Reply.file(DAILY))
    sink = RecordingSink()
    async with asyncio.timeout(10):
        await Poller(client, settings(server.base, symbols)).run_once(sink)

    assert not server.hits("/time_series")
    assert not sink.ticks_of("SPY")
    assert sink.last_health("twelvedata") is None  # not in any chain: no record at all
    yahoo = sink.last_health("yahoo")
    assert yahoo is not None
    assert yahoo.last_error is not None
    hint = "set $R2KMON_TEST_TWELVEDATA_KEY (a free Twelve Data key) for a fallback"
    stale = yahoo.last_error.split("stale: ")[-1]
    assert stale.count(hint) == 2  # ^RUT and SPY
