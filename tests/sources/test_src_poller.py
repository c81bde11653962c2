"""The poller against a fake HTTPS server on 127.0.0.1: fixtures, scripted faults, recovery.

The fake speaks TLS with a certificate from the private test CA, trusted through
``SSL_CERT_FILE`` (:func:`tests.fakes.tls.trusted`), and the poller's client is the one the
runtime builds (:func:`~r2kmon.sources.poller.new_client`: the network policy's TLS and
proxies). Every test is bounded by ``asyncio.timeout`` and uses tiny backoffs from the
settings, so a bug fails in seconds instead of hanging.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterable
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import httpx
import orjson
import pytest

from r2kmon.analytics.market_hours import MarketHours, epoch
from r2kmon.clock import FrozenClock
from r2kmon.net.http import ProxyRouter
from r2kmon.sources.ishares import IWM_PATH
from r2kmon.sources.poller import (
    Poller,
    PollerSettings,
    ProviderSettings,
    new_client,
    settings_from_endpoints,
)
from tests.fakes.http import FakeHTTP, Reply
from tests.fakes.sinks import RecordingSink
from tests.fakes.tls import PrivateCA
from tests.sources.src_helpers import LOCAL_FIXTURES, shared

YAHOO_DAILY = shared("yahoo_chart", "aapl_1d_period_with_events.json")
YAHOO_5M = shared("yahoo_chart", "tnx_5m_range1d_index.json")
FNG_FILE = LOCAL_FIXTURES / "alternative_me" / "fng_limit2_2026-04-27.json"


def recorded(provider: str, name: str, status: int = 200) -> Reply:
    """A shared recorded fixture as a scripted reply."""
    return Reply.file(shared(provider, name), status)


def settings(
    base: str,
    providers: Iterable[str],
    tune: dict[str, dict[str, Any]] | None = None,
    **overrides: object,
) -> PollerSettings:
    """Settings pointing every provider at ``base/<name>``, with tiny delays; ``tune``
    changes single provider fields (``{"coingecko": {"backoff_base_s": 5.0}}``)."""
    configured = {}
    for name in providers:
        fields: dict[str, Any] = {
            "min_interval_s": 0.0,
            "backoff_base_s": 0.2,
            "backoff_cap_s": 0.4,
        }
        fields.update((tune or {}).get(name, {}))
        configured[name] = ProviderSettings(f"{base}/{name}", **fields)
    values: dict[str, object] = {
        "providers": configured,
        "market_symbols": (),
        "fred_series": (),
        "market_hours": False,
        "timeout_s": 1.0,
        "deadline_s": 2.0,
        "jitter": 0.0,
    }
    values.update(overrides)
    return PollerSettings(**values)  # type: ignore[arg-type]


def chart_path(symbol: str) -> str:
    return f"/yahoo/v8/finance/chart/{quote(symbol, safe='')}"


@pytest.fixture
async def server(trusted: PrivateCA) -> AsyncIterator[FakeHTTP]:
    fake = FakeHTTP()
    await fake.start(ssl=trusted.server_context())
    yield fake
    await fake.stop()


@pytest.fixture
async def client(trusted: PrivateCA) -> AsyncIterator[httpx.AsyncClient]:
    # The client is built as the runtime builds it: certificates verified against the
    # trust in force (here SSL_CERT_FILE), loopback exempted from any proxy (NO_PROXY).
    async with new_client() as http:
        yield http


@contextlib.asynccontextmanager
async def running(poller: Poller, sink: RecordingSink) -> AsyncIterator[None]:
    task = asyncio.create_task(poller.run(sink))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def until(check: Callable[[], bool], poll: float = 0.01) -> None:
    """Wait until ``check()`` holds (callers bound this with ``asyncio.timeout``).

    Polling, not an Event: the condition is about what the sink recorded, and the sink is
    the poller's plain interface, which has nothing to signal with.
    """
    while not check():  # noqa: ASYNC110
        await asyncio.sleep(poll)


# --- everything from fixtures ---------------------------------------------------------------


async def test_every_provider_from_fixtures(
    server: FakeHTTP,
    client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("TEST_CG_KEY", "sekrit-demo-key")
    server.script(chart_path("^RUT") + "?interval=1d", Reply.file(YAHOO_DAILY))
    server.script(chart_path("^RUT") + "?interval=1m", Reply.file(YAHOO_5M))
    server.script("/coingecko/global", recorded("coingecko", "global_docs_example_2024-04-07.json"))
    server.script(
        "/coingecko/coins/markets",
        recorded("coingecko", "coins_markets_docs_example_2024-04-07.json"),
    )
    server.script(
        "/coingecko/coins/bitcoin/market_chart",
        recorded("coingecko", "coins_id_market_chart_docs_example.json"),
    )
    for series_id, name in [
        ("WALCL", "WALCL_fredgraph_2023-12-27_2024-01-10.csv"),
        ("WTREGEN", "WTREGEN_fredgraph_2023-12-27_2024-01-10.csv"),
        ("RRPONTSYD", "RRPONTSYD_fredgraph_2023-12-29_2024-01-04_holiday_gap.csv"),
    ]:
        server.script(f"/fred/graph/fredgraph.csv?id={series_id}", Reply.file(shared("fred", name)))
    server.script("/alternative_me/fng/", Reply.file(FNG_FILE))
    server.script(
        f"/ishares/{IWM_PATH}", recorded("ishares", "IWM_holdings_2026-05-05_TRIMMED.csv")
    )

    providers = ["yahoo", "fred", "coingecko", "alternative_me", "ishares"]
    config = settings(
        server.base,
        providers,
        tune={"coingecko": {"api_key_env": "TEST_CG_KEY"}},
        market_symbols=("^RUT",),
        fred_series=("WALCL", "WTREGEN", "RRPONTSYD"),
    )
    sink = RecordingSink()
    poller = Poller(client, config)
    async with asyncio.timeout(10):
        await poller.run_once(sink)
        # The top-coins answer created one history job (bitcoin); it is due at once.
        await poller.run_due()

    rut = sink.ticks_of("^RUT")
    assert rut[0].price == Decimal("244.87")  # the AAPL recording served as ^RUT
    assert rut[0].source == "yahoo"
    daily = [b for b in sink.bars if b[0] == "^RUT" and b[1] == "1d"]
    assert len(daily[0][2]) == 49
    assert daily[0][3] == "yahoo"
    # The 5m recording answers the 1m request: the tick is used, the bars are not 1m bars.
    assert not [b for b in sink.bars if b[0] == "^RUT" and b[1] == "1m"]

    dominance = sink.last_context("btc_dominance")
    assert dominance is not None
    assert dominance.value == pytest.approx(50.4465263233584)
    assert dominance.source == "coingecko"
    assert dominance.as_of == 1712512855.0
    walcl = sink.last_context("fed_total_assets")
    assert walcl is not None
    assert walcl.value == pytest.approx(7686.710)
    assert walcl.unit == "USD bn"
    rrp = sink.last_context("reverse_repo")
    assert rrp is not None
    assert rrp.as_of == 1704326400.0  # 2024-01-04
    tga = next(b for b in sink.bars if b[0] == "WTREGEN")
    assert tga[2][0].close == pytest.approx(731.405)
    fear = sink.last_context("fear_greed")
    assert fear is not None
    assert fear.value == 47.0
    shares = sink.last_context("iwm_shares_outstanding")
    assert shares is not None
    assert shares.value == 278_750_000.0

    btc = [b for b in sink.bars if b[0] == "BTC-USD"]
    assert len(btc) == 1
    assert btc[0][1] == "1d"
    assert btc[0][3] == "coingecko"
    assert [bar.start for bar in btc[0][2]] == [1711843200.0, 1711929600.0]
    assert btc[0][2][-1].close == pytest.approx(68887.7495158568)  # the day's last price

    for name in providers:
        record = sink.last_health(name)
        assert record is not None, name
        assert record.status == "ok", record
        assert record.kind == "source"
    summary = sink.last_health("http-sources")
    assert summary is not None
    assert summary.status == "ok"

    cg = server.hits("/coingecko/global")[0]
    assert cg.headers["x-cg-demo-api-key"] == "sekrit-demo-key"
    assert "Chrome" in server.hits(chart_path("^RUT"))[0].headers["user-agent"]
    assert "sekrit" not in caplog.text
    assert all("sekrit" not in repr(h) for h in sink.health)


# --- rate limits ----------------------------------------------------------------------------


async def test_yahoo_429_without_retry_after_backs_off_and_recovers(
    server: FakeHTTP, client: httpx.AsyncClient
) -> None:
    daily = chart_path("^RUT")
    server.script(
        daily + "?interval=1d",
        Reply.file(shared("yahoo_chart", "error_429_body_variant_a.txt"), 429),
        Reply.file(shared("yahoo_chart", "error_429_body_variant_b.txt"), 429),
        Reply.file(YAHOO_DAILY),
    )
    sink = RecordingSink()
    # Daily bars only: a successful intraday answer in between would (rightly) reset
    # Yahoo's backoff and blur what this test measures.
    poller = Poller(
        client, settings(server.base, ["yahoo"], market_symbols=("^RUT",), intraday=False)
    )
    async with asyncio.timeout(10), running(poller, sink):
        await until(lambda: any(b[0] == "^RUT" and b[1] == "1d" for b in sink.bars))
        await until(lambda: getattr(sink.last_health("yahoo"), "status", "") == "ok")

    daily_hits = [s for s in server.hits(daily) if "interval=1d" in s.query]
    assert len(daily_hits) == 3
    first_gap = daily_hits[1].at - daily_hits[0].at
    second_gap = daily_hits[2].at - daily_hits[1].at
    assert first_gap >= 0.19  # backoff 0.2 s ...
    assert second_gap >= 0.39  # ... doubled, capped at 0.4 s
    limited = [h for h in sink.health if h.name == "yahoo" and h.status not in ("ok", "connecting")]
    assert limited
    assert limited[0].status == "down"  # never had data yet
    assert limited[0].last_error is not None
    assert "rate-limited" in limited[0].last_error
    assert "Too Many Requests" in limited[0].last_error
    assert limited[0].retry_at is not None


async def test_retry_after_is_honoured(server: FakeHTTP, client: httpx.AsyncClient) -> None:
    body = shared("coingecko", "error_429_rate_limited.json").read_bytes()
    server.script(
        "/coingecko/global",
        Reply(429, body, headers={"Retry-After": "1"}),
        Reply.file(shared("coingecko", "global_docs_example_2024-04-07.json")),
    )
    server.script("/coingecko/coins/markets", Reply(200, b"[]"))
    config = settings(
        server.base, ["coingecko"], {"coingecko": {"backoff_base_s": 0.05, "backoff_cap_s": 0.1}}
    )
    sink = RecordingSink()
    started = time.time()
    async with asyncio.timeout(10), running(Poller(client, config), sink):
        await until(lambda: sink.last_context("btc_dominance") is not None)
    hits = server.hits("/coingecko/global")
    assert hits[1].at - hits[0].at >= 0.95  # Retry-After: 1 beats the 0.05 s backoff
    limited = next(h for h in sink.health if h.name == "coingecko" and h.status == "down")
    assert limited.retry_at is not None
    assert 0.9 <= limited.retry_at - started <= 5.0  # generous: a loaded CI machine is slow


# --- faults, each followed by recovery ---------------------------------------------------------

FAULTS = {
    "server-error-500": (Reply(500, b"internal error", "text/plain"), "server error"),
    "server-error-503-html": (
        Reply(503, b"<html><body>Service Unavailable</body></html>", "text/html"),
        "server error",
    ),
    "slow-beyond-timeout": (Reply(200, YAHOO_DAILY.read_bytes(), delay=2.0), "no answer within"),
    "html-with-200": (Reply(200, b"<!DOCTYPE html><html>consent</html>", "text/html"), "HTML"),
    "outage-page-200": (
        Reply(200, b"<html>Will be right back</html>", "text/html"),
        "rate-limited",
    ),
    "truncated-json": (Reply(200, YAHOO_DAILY.read_bytes()[:900]), "truncated JSON"),
    "empty-200": (Reply(200, b""), "empty body"),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
async def test_fault_then_recovery_keeps_last_data_as_stale(
    fault: str, server: FakeHTTP, client: httpx.AsyncClient
) -> None:
    reply, expected = FAULTS[fault]
    daily = chart_path("^RUT") + "?interval=1d"
    server.script(daily, Reply.file(YAHOO_DAILY), reply, Reply.file(YAHOO_DAILY))
    server.script(chart_path("^RUT") + "?interval=1m", Reply.file(YAHOO_5M))
    config = settings(
        server.base, ["yahoo"], market_symbols=("^RUT",), daily_every_s=0.05, intraday_open_s=60.0
    )
    sink = RecordingSink()
    async with asyncio.timeout(10), running(Poller(client, config), sink):
        await until(
            lambda: (
                len([s for s in server.hits(chart_path("^RUT")) if "interval=1d" in s.query]) >= 3
            )
        )
        await until(lambda: getattr(sink.last_health("yahoo"), "status", "") == "ok")

    failing = [h for h in sink.health if h.name == "yahoo" and h.status == "stale"]
    assert failing, f"no stale health for {fault}"
    record = failing[-1]
    assert record.last_error is not None
    assert expected in record.last_error
    assert "stale: ^RUT (no fallback; yahoo " in record.last_error
    assert record.last_ok is not None  # the age of the data still shown
    assert record.last_ok < time.time()
    # The data delivered before the fault kept its real time: the quote is from the
    # recording (2025-02-19), not "now".
    assert {t.ts for t in sink.ticks_of("^RUT")} == {1739998801.0, 1770062392.0}


# --- fallbacks and unknown symbols -------------------------------------------------------------

SP500_CSV = b"observation_date,SP500\n2024-01-02,4742.83\n2024-01-03,4704.81\n2024-01-04,\n"


async def test_fred_serves_gspc_when_yahoo_is_blocked_and_rut_goes_stale(
    server: FakeHTTP, client: httpx.AsyncClient
) -> None:
    blocked = Reply.file(shared("yahoo_chart", "error_429_body_variant_b.txt"), 429)
    for symbol in ("^GSPC", "^RUT"):
        server.script(chart_path(symbol), blocked)
    server.script("/fred/graph/fredgraph.csv?id=SP500", Reply(200, SP500_CSV, "application/csv"))
    config = settings(server.base, ["yahoo", "fred"], market_symbols=("^GSPC", "^RUT"))
    sink = RecordingSink()
    async with asyncio.timeout(10):
        await Poller(client, config).run_once(sink)

    (gspc,) = sink.ticks_of("^GSPC")
    assert gspc.source == "fred"
    assert gspc.price == Decimal("4704.81")
    assert gspc.ref_price == Decimal("4742.83")
    assert gspc.ts == 1704240000.0  # 2024-01-03 00:00 UTC: never fresher than the close
    bars = [b for b in sink.bars if b[0] == "^GSPC"]
    assert bars[0][3] == "fred"
    assert [bar.close for bar in bars[0][2]] == [4742.83, 4704.81]
    assert not sink.ticks_of("^RUT")  # nothing invented
    yahoo = sink.last_health("yahoo")
    assert yahoo is not None
    assert yahoo.status == "down"
    assert yahoo.last_error is not None
    assert "rate-limited" in yahoo.last_error
    stale = yahoo.last_error.split("stale: ")[-1]
    # ^RUT has no fallback; ^GSPC's daily close came from FRED, only its intraday is stale.
    assert [part.split(" (")[0] for part in stale.split("), ")] == [
        "^GSPC intraday",
        "^RUT",
        "^RUT intraday",
    ]
    # ^GSPC's daily job met the 429 first; ^RUT then found Yahoo backing off because of it.
    assert "^RUT (no fallback; yahoo backing off after rate-limited: HTTP 429 Edge" in stale
    fred_health = sink.last_health("fred")
    assert fred_health is not None
    assert fred_health.status == "ok"
    summary = sink.last_health("http-sources")
    assert summary is not None
    assert summary.status == "stale"
    assert summary.last_error == "failing: yahoo"


async def test_unknown_symbol_is_listed_and_retried_slowly(
    server: FakeHTTP, client: httpx.AsyncClient
) -> None:
    server.script(
        chart_path("NOPE"),
        Reply.file(shared("yahoo_chart", "error_404_unknown_symbol.json"), 404),
    )
    config = settings(
        server.base,
        ["yahoo"],
        market_symbols=("NOPE",),
        unknown_retry_s=30.0,
        intraday_open_s=0.05,
        daily_every_s=0.05,
    )
    sink = RecordingSink()
    async with asyncio.timeout(10), running(Poller(client, config), sink):
        await until(lambda: len(server.hits(chart_path("NOPE"))) >= 2)
        await asyncio.sleep(0.3)
    assert len(server.hits(chart_path("NOPE"))) == 2  # daily + intraday, then quiet
    record = sink.last_health("yahoo")
    assert record is not None
    assert record.silent_symbols == ("NOPE",)
    assert record.status == "ok"  # Yahoo answers; the symbol is the problem
    assert record.last_error == "unknown symbol: NOPE"


async def test_coinpaprika_takes_over_and_context_stays_with_its_real_age(
    server: FakeHTTP, client: httpx.AsyncClient
) -> None:
    server.script(
        "/coingecko/global",
        Reply.file(shared("coingecko", "global_docs_example_2024-04-07.json")),
        Reply(500, b"oops", "text/plain"),
    )
    server.script("/coingecko/coins/markets", Reply(200, b"[]"))
    server.script(
        "/coinpaprika/global",
        Reply(502, b"bad gateway", "text/plain"),
        Reply.file(shared("coinpaprika", "global_docs_example.json")),
    )
    config = settings(
        server.base,
        ["coingecko", "coinpaprika"],
        {"coingecko": {"backoff_base_s": 5.0, "backoff_cap_s": 5.0}},
        crypto_global_every_s=0.05,
    )
    sink = RecordingSink()
    async with asyncio.timeout(10), running(Poller(client, config), sink):
        await until(
            lambda: getattr(sink.last_context("btc_dominance"), "source", "") == "coinpaprika"
        )

    sources = [c.source for c in sink.context if c.name == "btc_dominance"]
    # First CoinGecko; then both failed and the CoinGecko value was re-pushed unchanged;
    # then CoinPaprika answered and says so.
    assert sources[0] == "coingecko"
    assert sources[-1] == "coinpaprika"
    repushed = [c for c in sink.context if c.name == "btc_dominance"][1]
    assert repushed.source == "coingecko"
    assert repushed.as_of == 1712512855.0
    final = sink.last_context("btc_dominance")
    assert final is not None
    assert final.value == 36.67
    assert final.as_of == 1525089441.0
    coingecko = sink.last_health("coingecko")
    assert coingecko is not None
    assert coingecko.status == "stale"
    assert coingecko.last_ok is not None


# --- market hours drive the intraday cadence ---------------------------------------------------


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        ("2025-11-26T15:00:00Z", 60.0),  # regular session
        ("2025-11-28T17:00:00Z", 60.0),  # half day, still open
        ("2025-11-28T19:00:00Z", 1800.0),  # half day, closed: slow
        ("2025-11-29T17:00:00Z", 1800.0),  # weekend
        ("2025-12-25T16:00:00Z", 1800.0),  # holiday
        ("2025-12-26T14:20:00Z", 600.0),  # ten minutes before the open: wake at the open
    ],
)
async def test_intraday_cadence_follows_the_session(now: str, expected: float) -> None:
    config = PollerSettings(
        providers={}, market_symbols=(), intraday_open_s=60.0, intraday_closed_s=1800.0
    )
    async with httpx.AsyncClient() as unused:
        poller = Poller(unused, config, clock=FrozenClock(epoch(now)), calendar=MarketHours)
        delay = poller.intraday_delay()
        state = poller.market_state()
    assert delay == pytest.approx(expected)
    assert state is not None
    assert state.is_open == (expected == 60.0)


async def test_market_hours_without_a_calendar_are_refused_at_once() -> None:
    """The sources do not load the calendar (it lives with the analytics): a poller told to
    follow the session and given no calendar would poll blind, so it is not built."""
    config = PollerSettings(providers={}, market_symbols=())
    async with httpx.AsyncClient() as unused:
        with pytest.raises(ValueError, match="no calendar loader"):
            Poller(unused, config)
        off = Poller(unused, dataclasses.replace(config, market_hours=False))
        assert off.market_state() is None


# --- rate budget, cut-off bodies, coin history ----------------------------------------------------


async def test_rate_budget_spaces_one_provider_without_stalling_others(
    server: FakeHTTP, client: httpx.AsyncClient
) -> None:
    for symbol in ("^RUT", "IWM", "SPY"):
        server.script(chart_path(symbol), Reply.file(YAHOO_DAILY))
    server.script("/alternative_me/fng/", Reply.file(FNG_FILE))
    config = settings(
        server.base,
        ["yahoo", "alternative_me"],
        {"yahoo": {"min_interval_s": 0.3}},
        market_symbols=("^RUT", "IWM", "SPY"),
        intraday=False,
    )
    sink = RecordingSink()
    async with asyncio.timeout(10), running(Poller(client, config), sink):
        await until(lambda: len(sink.ticks) == 3 and sink.last_context("fear_greed") is not None)
    yahoo_times = sorted(s.at for s in server.seen if s.path.startswith("/yahoo/"))
    assert len(yahoo_times) == 3
    assert all(b - a >= 0.29 for a, b in itertools.pairwise(yahoo_times))
    # Fear & Greed did not queue behind Yahoo's budget: it went before the second Yahoo call.
    (fng,) = server.hits("/alternative_me/fng/")
    assert fng.at < yahoo_times[1]


async def test_body_cut_off_mid_transfer_is_retried(
    server: FakeHTTP, client: httpx.AsyncClient
) -> None:
    body = YAHOO_DAILY.read_bytes()
    server.script(
        chart_path("^RUT"),
        Reply(200, body[:1000], content_length=len(body)),
        Reply.file(YAHOO_DAILY),
    )
    config = settings(server.base, ["yahoo"], market_symbols=("^RUT",), intraday=False)
    sink = RecordingSink()
    async with asyncio.timeout(10), running(Poller(client, config), sink):
        await until(lambda: bool(sink.ticks))
    down = [h for h in sink.health if h.name == "yahoo" and h.status == "down"]
    assert down
    assert down[0].last_error is not None
    assert down[0].last_error.startswith("unreachable: RemoteProtocolError")


async def test_coin_history_spares_the_bars_of_pairs_the_exchanges_stream(
    server: FakeHTTP, client: httpx.AsyncClient
) -> None:
    server.script("/coingecko/global", recorded("coingecko", "global_docs_example_2024-04-07.json"))
    server.script(
        "/coingecko/coins/markets",
        recorded("coingecko", "coins_markets_docs_example_2024-04-07.json"),
    )
    server.script(
        "/coingecko/coins/bitcoin/market_chart",
        recorded("coingecko", "coins_id_market_chart_docs_example.json"),
    )
    config = settings(server.base, ["coingecko"], crypto_symbols=("BTC-USD",))
    sink = RecordingSink()
    poller = Poller(client, config)
    async with asyncio.timeout(10):
        await poller.run_once(sink)
        await poller.run_due()
    assert not [b for b in sink.bars if b[0] == "BTC-USD"]
    # The top-coins answer (bitcoin alone) made one history job, and CoinGecko served it.
    record = sink.last_health("coingecko")
    assert record is not None
    assert record.status == "ok"
    # The history request asked for daily points over the 90 days the index needs (+1).
    (chart,) = server.hits("/coingecko/coins/bitcoin/market_chart")
    assert "days=91" in chart.query
    assert "interval=daily" in chart.query


# --- building the poller from the config ---------------------------------------------------------


def test_settings_from_the_real_config_tables() -> None:
    import dataclasses

    from r2kmon.config import Config, EndpointConfig

    config = Config()
    providers = dict(config.providers)
    providers["yahoo"] = EndpointConfig("http://127.0.0.1:1/yahoo")
    providers["ishares"] = dataclasses.replace(providers["ishares"], enabled=False)
    built = settings_from_endpoints(
        providers,
        config.markets.symbols,
        crypto_symbols=config.crypto.symbols,
        timeout_s=5.0,
    )
    assert built.providers["yahoo"].url == "http://127.0.0.1:1/yahoo"
    assert built.providers["yahoo"].backoff_base_s == 60.0  # Yahoo backs off in minutes
    assert not built.providers["ishares"].enabled
    assert built.providers["coingecko"].api_key_env == "COINGECKO_API_KEY"
    assert built.market_symbols == tuple(config.markets.symbols)
    assert built.crypto_symbols == tuple(config.crypto.symbols)
    assert built.timeout_s == 5.0


def test_the_history_comes_from_the_exchanges_with_rest_candles_in_priority_order() -> None:
    from r2kmon.config import DEFAULT_EXCHANGES

    order = ["okx", "binance", "kraken"]
    built = settings_from_endpoints(
        {},
        (),
        crypto_symbols=("BTC-USD", "ETH-USD"),
        rest_urls={name: DEFAULT_EXCHANGES[name].rest_url for name in order},
    )
    # Only exchanges with REST candles, in the configured priority; reported together.
    assert built.history_exchanges == ("binance", "kraken")
    assert built.providers["kraken"].url == DEFAULT_EXCHANGES["kraken"].rest_url
    assert {built.providers[name].record for name in built.history_exchanges} == {"backfill"}
    assert "okx" not in built.providers


async def test_new_client_follows_the_network_policy() -> None:
    async with new_client(PollerSettings(timeout_s=7.0)) as http:
        # Proxies and certificates come from the NetworkPolicy (which reads the standard
        # variables itself), so httpx must not read them a second time.
        assert not http.trust_env
        assert isinstance(http._transport, ProxyRouter)
        assert http.timeout.read == 7.0
        assert http.follow_redirects


async def test_into_the_real_hub(server: FakeHTTP, client: httpx.AsyncClient) -> None:
    from r2kmon.clock import SystemClock
    from r2kmon.hub import Hub

    server.script(chart_path("^RUT"), recorded("yahoo_chart", "aapl_1d_period_with_events.json"))
    server.script("/coingecko/global", recorded("coingecko", "global_docs_example_2024-04-07.json"))
    server.script("/coingecko/coins/markets", Reply(200, b"[]"))
    hub = Hub(SystemClock(), simulated=False, symbols=["^RUT"])
    poller = Poller(client, settings(server.base, ["yahoo", "coingecko"], market_symbols=("^RUT",)))
    async with asyncio.timeout(10):
        await poller.run_once(hub)
    snap = hub.snapshot()
    quote = snap.quotes["^RUT"]
    assert quote.source == "yahoo"
    assert quote.price == Decimal("244.87")
    assert len(snap.bars_1d["^RUT"]) == 49
    assert snap.context["btc_dominance"].source == "coingecko"
    assert snap.health["yahoo"].status == "ok"
    assert snap.health["http-sources"].status == "ok"


async def test_intraday_1m_bars_and_daily_refresh_range(
    server: FakeHTTP, client: httpx.AsyncClient
) -> None:
    one_minute = orjson.loads(YAHOO_5M.read_bytes())
    # DERIVED here: the ^TNX recording relabelled as 1m data, to exercise the 1m path.
    one_minute["chart"]["result"][0]["meta"]["dataGranularity"] = "1m"
    server.script(chart_path("^TNX") + "?interval=1m", Reply(200, orjson.dumps(one_minute)))
    server.script(chart_path("^TNX") + "?interval=1d", Reply.file(YAHOO_DAILY))
    config = settings(server.base, ["yahoo"], market_symbols=("^TNX",), daily_every_s=0.05)
    sink = RecordingSink()
    async with asyncio.timeout(10), running(Poller(client, config), sink):
        await until(
            lambda: (
                len([s for s in server.hits(chart_path("^TNX")) if "interval=1d" in s.query]) >= 2
            )
        )
    minute = [b for b in sink.bars if b[0] == "^TNX" and b[1] == "1m"]
    assert len(minute[0][2]) == 15
    assert minute[0][2][0].start == 1770057900.0
    ranges = [s.query for s in server.hits(chart_path("^TNX")) if "interval=1d" in s.query]
    assert "range=max" in ranges[0]  # the whole history once ...
    assert all("range=5d" in q for q in ranges[1:])  # ... then only the last few bars


async def test_unknown_at_primary_is_not_asked_again_while_the_fallback_retries(
    server: FakeHTTP, client: httpx.AsyncClient
) -> None:
    server.script(
        chart_path("^GSPC"), recorded("yahoo_chart", "error_404_unknown_symbol.json", 404)
    )
    server.script(
        "/fred/graph/fredgraph.csv?id=SP500",
        Reply(500, b"oops", "text/plain"),
        Reply(200, SP500_CSV, "application/csv"),
    )
    config = settings(server.base, ["yahoo", "fred"], market_symbols=("^GSPC",), intraday=False)
    sink = RecordingSink()
    async with asyncio.timeout(10), running(Poller(client, config), sink):
        await until(lambda: bool(sink.ticks_of("^GSPC")))
    assert len(server.hits(chart_path("^GSPC"))) == 1
    assert len(server.hits("/fred/graph/fredgraph.csv")) == 2
    assert sink.ticks_of("^GSPC")[0].source == "fred"
    yahoo_health = sink.last_health("yahoo")
    assert yahoo_health is not None
    assert yahoo_health.silent_symbols == ("^GSPC",)
    assert yahoo_health.status == "ok"


async def test_a_dribbling_answer_hits_the_total_deadline(
    server: FakeHTTP, client: httpx.AsyncClient
) -> None:
    # Every 1000-byte chunk arrives well within the 1 s read timeout, but the whole body
    # would take over a second: the total deadline (0.5 s) ends it.
    server.script(
        chart_path("^RUT"),
        Reply(200, YAHOO_DAILY.read_bytes(), trickle=0.1),
        Reply.file(YAHOO_DAILY),
    )
    config = settings(
        server.base, ["yahoo"], market_symbols=("^RUT",), intraday=False, deadline_s=0.5
    )
    sink = RecordingSink()
    async with asyncio.timeout(10), running(Poller(client, config), sink):
        await until(lambda: bool(sink.ticks))
    down = [h for h in sink.health if h.name == "yahoo" and h.status == "down"]
    assert down
    assert down[0].last_error == "unreachable: answer not complete within 0.5 s"


async def test_a_pure_fallback_is_not_shown_connecting(
    server: FakeHTTP, client: httpx.AsyncClient
) -> None:
    server.script(chart_path("^GSPC"), Reply.file(YAHOO_DAILY))
    config = settings(server.base, ["yahoo", "fred"], market_symbols=("^GSPC",), intraday=False)
    sink = RecordingSink()
    async with asyncio.timeout(10):
        await Poller(client, config).run_once(sink)
    assert {h.name for h in sink.health} == {"yahoo", "http-sources"}
    assert not server.hits("/fred/graph/fredgraph.csv")
