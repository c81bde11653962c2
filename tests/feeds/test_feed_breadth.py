"""All-market breadth: the pure computation, and the stream end to end on 127.0.0.1 over
``wss://`` (the private test CA trusted through ``SSL_CERT_FILE``)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from websockets.asyncio.server import ServerConnection, serve

from r2kmon.feeds.base import FeedError
from r2kmon.feeds.breadth import ALTS_PCT, UP_PCT, BreadthAdapter, BreadthFeed, BreadthState
from r2kmon.feeds.connection import FeedSettings
from tests.fakes.sinks import RecordingSink, wait_until
from tests.fakes.tls import PrivateCA
from tests.paths import EXCHANGE_FIXTURES

FIXTURES = EXCHANGE_FIXTURES


def mini(
    symbol: str, close: str, open_: str, quote_volume: str, event: int = 1000
) -> dict[str, Any]:
    return {
        "e": "24hrMiniTicker",
        "E": event,
        "s": symbol,
        "c": close,
        "o": open_,
        "q": quote_volume,
    }


def recorded_entries() -> list[dict[str, Any]]:
    lines = (FIXTURES / "binance" / "recorded_combined_miniticker_2025.jsonl").read_text()
    return [json.loads(line)["data"] for line in lines.splitlines()]


def test_recorded_minitickers_give_breadth() -> None:
    state = BreadthState()
    assert state.update(recorded_entries()) == 2
    reading = state.reading()
    # BTC 102492.27 < open 105121.06 and ATOM 4.159 < 4.312: none of the two is up.
    assert reading.up_pct == 0.0
    assert reading.pairs == 2
    # ATOM: 4.159/4.312 = -3.5 %, BTC: -2.5 %: the one alt does not beat BTC.
    assert reading.alts_beating_btc_pct == 0.0
    assert reading.alts == 1
    assert reading.as_of == pytest.approx(1749183267.518)


def test_shares_ignore_stablecoins_other_quotes_and_rank_alts_by_volume() -> None:
    state = BreadthState(top_alts=2)
    state.update(
        [
            mini("BTCUSDT", "101", "100", "900"),  # +1 %
            mini("ETHUSDT", "103", "100", "800"),  # +3 %, beats BTC
            mini("SOLUSDT", "99", "100", "700"),  # -1 %
            mini("DOGEUSDT", "110", "100", "1"),  # +10 %, but outside the top 2 alts
            mini("USDCUSDT", "1.0001", "1", "5000"),  # a stablecoin: ignored
            mini("ETHBTC", "1", "2", "10"),  # not a USDT pair: ignored
        ]
    )
    reading = state.reading()
    assert reading.pairs == 4
    assert reading.up_pct == 75.0  # BTC, ETH, DOGE up; SOL down
    assert reading.alts == 2  # ETH and SOL by volume
    assert reading.alts_beating_btc_pct == 50.0
    # A later array holds only what changed; earlier entries are kept.
    state.update([mini("SOLUSDT", "105", "100", "700", event=2000)])
    assert state.reading().alts_beating_btc_pct == 100.0
    assert state.reading().as_of == 2.0


def test_no_btc_means_no_alt_share() -> None:
    state = BreadthState()
    state.update([mini("ETHUSDT", "1", "2", "3")])
    assert state.reading().alts_beating_btc_pct is None
    assert BreadthState().reading().up_pct is None


def test_malformed_entries_are_feed_errors() -> None:
    adapter = BreadthAdapter(BreadthState())
    with pytest.raises(FeedError):
        adapter.parse(json.dumps({"stream": "!miniTicker@arr", "data": [1, 2]}))
    with pytest.raises(FeedError):
        adapter.parse(json.dumps([{"s": "BTCUSDT", "c": "x", "o": "1", "q": "1"}]))
    assert adapter.parse((FIXTURES / "binance" / "subscribe_ack.json").read_text()).kind == "ack"


async def test_breadth_feed_streams_context_values(trusted: PrivateCA) -> None:
    subscribed: list[Any] = []

    async def handler(ws: ServerConnection) -> None:
        request = json.loads(await ws.recv())
        subscribed.append(request)
        await ws.send(json.dumps({"result": None, "id": request["id"]}))
        n = 0
        while True:
            n += 1
            data = [mini("BTCUSDT", "101", "100", "9"), mini("ETHUSDT", str(100 + n), "100", "8")]
            await ws.send(json.dumps({"stream": "!miniTicker@arr", "data": data}))
            await asyncio.sleep(0.02)

    async with serve(handler, "127.0.0.1", 0, ssl=trusted.server_context()) as server:
        port = server.sockets[0].getsockname()[1]
        settings = FeedSettings(
            "binance-breadth", "binance", (), url=f"wss://127.0.0.1:{port}", health_interval=0.05
        )
        feed = BreadthFeed(settings, interval=0.05)
        sink = RecordingSink()
        task = asyncio.create_task(feed.run(sink))
        try:
            async with asyncio.timeout(5):
                await wait_until(
                    lambda: any(v.name == ALTS_PCT and v.value == 100.0 for v in sink.context)
                )
                await wait_until(
                    lambda: (
                        (h := sink.last_health("binance-breadth")) is not None and h.status == "ok"
                    )
                )
        finally:
            task.cancel()
            await asyncio.wait({task})
    assert subscribed[0]["params"] == ["!miniTicker@arr"]
    up = [v for v in sink.context if v.name == UP_PCT]
    assert up[-1].value == 100.0
    assert up[-1].unit == "%"
    assert up[-1].source == "binance-breadth"
    assert sink.ticks == []


@settings(max_examples=200, deadline=None)
@given(frame=st.binary(max_size=200) | st.text(max_size=200))
def test_breadth_parse_of_arbitrary_bytes_returns_or_raises_feed_error(frame: bytes | str) -> None:
    try:
        BreadthAdapter(BreadthState()).parse(frame)
    except FeedError:
        return


@settings(max_examples=200, deadline=None)
@given(
    entries=st.lists(
        st.dictionaries(
            st.sampled_from(["s", "c", "o", "q", "E", "e"]),
            st.none()
            | st.integers()
            | st.text(max_size=12)
            | st.sampled_from(["BTCUSDT", "1.5", "NaN"]),
        ),
        max_size=5,
    )
)
def test_breadth_arbitrary_entries_return_or_raise_feed_error(
    entries: list[dict[str, Any]],
) -> None:
    state = BreadthState()
    try:
        BreadthAdapter(state).parse(json.dumps({"stream": "!miniTicker@arr", "data": entries}))
    except FeedError:
        return
    reading = state.reading()
    assert reading.up_pct is None or 0.0 <= reading.up_pct <= 100.0
