"""Every exchange fixture parsed into hand-written expected results, plus fuzzing.

The expected ticks below were typed from the fixture files in
``tests/fixtures/exchanges/`` (prices as the exchange spelled them, times read off the
frames), not produced by the adapters. A test also checks that every fixture file of an
exchange is covered, so a new recording cannot be added silently.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from r2kmon.feeds import ADAPTERS, Adapter, FeedError
from r2kmon.feeds.binance import BinanceAdapter
from r2kmon.feeds.bybit import BybitAdapter
from r2kmon.feeds.coinbase import CoinbaseAdapter
from r2kmon.feeds.kraken import KrakenAdapter
from r2kmon.feeds.okx import OkxAdapter
from r2kmon.model import Tick
from tests.paths import EXCHANGE_FIXTURES

FIXTURES = EXCHANGE_FIXTURES


def utc(year: int, month: int, day: int, hour: int, minute: int, second: int, micro: int) -> float:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=timezone.utc).timestamp()


def frames(path: Path) -> list[str]:
    """One frame per file (pretty-printed doc examples) or per line (.jsonl)."""
    raw = path.read_text()
    if path.suffix == ".jsonl":
        return [line for line in raw.splitlines() if line]
    return [raw]


def tick(
    symbol: str,
    price: str,
    ts: float,
    source: str,
    kind: str,
    size: str | None = None,
    ref: str | None = None,
) -> Tick:
    return Tick(
        symbol,
        Decimal(price),
        ts,
        source,
        kind,  # type: ignore[arg-type]
        None if size is None else Decimal(size),
        None if ref is None else Decimal(ref),
    )


# Per file: the expected (kind, ticks) of each frame in order.
Expected = list[tuple[str, list[Tick]]]


def check(adapter: Adapter, path: Path, expected: Expected) -> None:
    got = [adapter.parse(frame) for frame in frames(path)]
    assert [p.kind for p in got] == [kind for kind, _ in expected], path.name
    for parsed, (_, ticks) in zip(got, expected, strict=True):
        assert list(parsed.ticks) == ticks, path.name
        for t, e in zip(parsed.ticks, ticks, strict=True):
            # Decimal equality ignores trailing zeros; the exact wire text must survive.
            assert str(t.price) == str(e.price)
            assert t.ts == pytest.approx(e.ts, abs=1e-6)


# --- Binance ------------------------------------------------------------------------------

B = "binance"
BINANCE: dict[str, Expected] = {
    "error_invalid_json.json": [("error", [])],
    "error_missing_method.json": [("error", [])],
    "error_too_many_subscriptions.json": [("error", [])],
    "list_subscriptions.json": [("other", [])],
    "list_subscriptions_response.json": [("ack", [])],
    "recorded_combined_aggtrade_kline_2021.jsonl": [
        ("ticks", [tick("NKN-USD", "0.35280000", 1633998523.963, B, "trade", "58.00000000")]),
        ("other", []),
        ("other", []),
        ("ticks", [tick("LRC-BTC", "0.00000638", 1633998534.486, B, "trade", "177.00000000")]),
    ],
    "recorded_combined_miniticker_2025.jsonl": [
        (
            "ticks",
            [
                tick(
                    "BTC-USD",
                    "102492.27000000",
                    1749183266.025,
                    B,
                    "ticker",
                    ref="105121.06000000",
                )
            ],
        ),
        ("ticks", [tick("ATOM-USD", "4.15900000", 1749183267.518, B, "ticker", ref="4.31200000")]),
    ],
    "server_shutdown_combined.json": [("shutdown", [])],
    "server_shutdown_raw.json": [("shutdown", [])],
    "subscribe.json": [("other", [])],
    "subscribe_ack.json": [("ack", [])],
    "unsubscribe.json": [("other", [])],
    "ticker_24hr_raw_btcusdt.json": [
        (
            "ticks",
            [
                tick(
                    "BTC-USD",
                    "115831.96000000",
                    1757888604.019,
                    B,
                    "ticker",
                    ref="115853.44000000",
                )
            ],
        )
    ],
    "ticker_mini_combined_btcusdt.json": [
        (
            "ticks",
            [
                tick(
                    "BTC-USD",
                    "102492.27000000",
                    1749183266.025,
                    B,
                    "ticker",
                    ref="105121.06000000",
                )
            ],
        )
    ],
    "ticker_mini_raw_btcusdt.json": [
        (
            "ticks",
            [
                tick(
                    "BTC-USD",
                    "116762.00000000",
                    1754676198.909,
                    B,
                    "ticker",
                    ref="116761.90000000",
                )
            ],
        )
    ],
    "trade_agg_raw_btcusdt.json": [
        ("ticks", [tick("BTC-USD", "64348.95000000", 1781416576.889, B, "trade", "0.00009000")])
    ],
    "trade_raw_btcusdt.json": [
        ("ticks", [tick("BTC-USD", "78530.40000000", 1777807004.059, B, "trade", "0.00039000")])
    ],
}


@pytest.mark.parametrize("name", sorted(BINANCE))
def test_binance_fixture(name: str) -> None:
    adapter = BinanceAdapter(["BTC-USD"], usdt_as_usd=True)
    check(adapter, FIXTURES / "binance" / name, BINANCE[name])


U = "binance_us"


def omg(price: str, size: str, t_ms: int) -> tuple[str, list[Tick]]:
    return ("ticks", [tick("OMG-BUSD", price, t_ms / 1000, U, "trade", size)])


BINANCE_US: dict[str, Expected] = {
    "recorded_bookticker_2021.jsonl": [("other", [])] * 3,
    "recorded_combined_aggtrade_kline_2021.jsonl": [
        omg("13.80480000", "2.10000000", 1633998288467),
        omg("13.80760000", "105.82000000", 1633998288467),
        ("other", []),
        omg("13.80040000", "30.11000000", 1633998289097),
        ("other", []),
        omg("13.78140000", "23.31000000", 1633998291814),
        omg("13.77690000", "13.50000000", 1633998291906),
        omg("13.77690000", "30.00000000", 1633998291911),
        omg("13.77690000", "10.00000000", 1633998291911),
        omg("13.77690000", "110.00000000", 1633998291914),
        omg("13.76640000", "30.28000000", 1633998292142),
        ("other", []),
        ("other", []),
        omg("13.76040000", "18.25000000", 1633998301754),
        omg("13.76040000", "10.00000000", 1633998301807),
        ("other", []),
    ],
    "subscribe.json": [("other", [])],
    "subscribe_ack.json": [("ack", [])],
    "ticker_mini_raw_doc.json": [
        ("ticks", [tick("BNB-BTC", "0.0025", 1672515782.136, U, "ticker", ref="0.0010")])
    ],
    "trade_raw_doc.json": [
        ("ticks", [tick("BNB-BTC", "0.001", 1672515782.136, U, "trade", "100")])
    ],
}


@pytest.mark.parametrize("name", sorted(BINANCE_US))
def test_binance_us_fixture(name: str) -> None:
    adapter = BinanceAdapter(
        ["OMG-BUSD"], source="binance_us", usdt_as_usd=False, url="wss://stream.binance.us:9443"
    )
    check(adapter, FIXTURES / "binance_us" / name, BINANCE_US[name])


# --- Coinbase Exchange --------------------------------------------------------------------

C = "coinbase"


def skl(kind: str, price: str, second: int, micro: int, size: str | None = None) -> Tick:
    ts = utc(2021, 4, 17, 16, 43, second, micro)
    if kind == "ticker":
        return tick("SKL-USD", price, ts, C, "ticker", ref="0.7055")
    return tick("SKL-USD", price, ts, C, "trade", size)


def skl_frames() -> Expected:
    # (type, price, second, microsecond, size) typed from the 2021 recording, lines 4-40.
    rows: list[tuple[str, str, int, int, str | None]] = [
        ("ticker", "0.7904", 37, 56746, None),
        ("trade", "0.7904", 37, 56746, "1338.3"),  # last_match
        ("trade", "0.791", 37, 121358, "450"),
        ("ticker", "0.791", 37, 121358, None),
        ("trade", "0.7912", 37, 140491, "1787"),
        ("ticker", "0.7912", 37, 140491, None),
        ("trade", "0.7916", 37, 314473, "2631.4"),
        ("ticker", "0.7916", 37, 314473, None),
        ("trade", "0.7916", 37, 314473, "23011.6"),
        ("ticker", "0.7916", 37, 314473, None),
        ("trade", "0.7921", 38, 615125, "6905"),
        ("ticker", "0.7921", 38, 615125, None),
        ("trade", "0.792", 44, 481792, "29.5"),
        ("ticker", "0.792", 44, 481792, None),
        ("trade", "0.792", 45, 1820, "3110"),
        ("ticker", "0.792", 45, 1820, None),
        ("trade", "0.791", 47, 839396, "430"),
        ("ticker", "0.791", 47, 839396, None),
        ("trade", "0.7909", 47, 854954, "80"),
        ("ticker", "0.7909", 47, 854954, None),
        ("trade", "0.7909", 48, 875223, "0.2"),
        ("ticker", "0.7909", 48, 875223, None),
        ("trade", "0.7909", 48, 875223, "424.8"),
        ("ticker", "0.7909", 48, 875223, None),
        ("ticker", "0.7913", 48, 915339, None),
        ("trade", "0.7913", 48, 915339, "121.8"),
        ("ticker", "0.7913", 49, 759227, None),
        ("trade", "0.7913", 49, 759227, "7.3"),
        ("trade", "0.7914", 50, 420805, "247.4"),
        ("ticker", "0.7914", 50, 420805, None),
        ("trade", "0.7914", 50, 673426, "310.5"),
        ("ticker", "0.7914", 50, 673426, None),
        ("trade", "0.7917", 55, 539586, "34.3"),
        ("ticker", "0.7917", 55, 539586, None),
        ("trade", "0.7917", 55, 608488, "126"),
        ("ticker", "0.7917", 55, 608488, None),
        ("trade", "0.792", 58, 241051, "77.9"),
    ]
    acks: Expected = [("ack", [])] * 3
    return acks + [("ticks", [skl(*row)]) for row in rows]


COINBASE: dict[str, Expected] = {
    "error_delisted.json": [("error", [])],
    "error_invalid_product.json": [("error", [])],
    "heartbeat.json": [("heartbeat", [])],
    "recorded_ticker_matches_2021.jsonl": skl_frames(),
    "subscribe.json": [("other", [])],
    "subscribe_ack.json": [("ack", [])],
    "subscribe_ack_ticker_batch.json": [("ack", [])],
    "subscribe_heartbeat_doc.json": [("other", [])],
    "subscribe_ticker_batch.json": [("other", [])],
    "ticker_btc_usd.json": [
        (
            "ticks",
            [
                tick(
                    "BTC-USD",
                    "102861.5",
                    utc(2025, 6, 6, 5, 0, 31, 886136),
                    C,
                    "ticker",
                    ref="104700.88",
                )
            ],
        )
    ],
    "ticker_btc_usd_2.json": [
        (
            "ticks",
            [
                tick(
                    "BTC-USD",
                    "102861.5",
                    utc(2025, 6, 6, 5, 0, 32, 288092),
                    C,
                    "ticker",
                    ref="104700.88",
                )
            ],
        )
    ],
    "ticker_btc_usd_2026.json": [
        (
            "ticks",
            [
                tick(
                    "BTC-USD",
                    "84737.58",
                    utc(2026, 10, 3, 20, 58, 31, 127510),
                    C,
                    "ticker",
                    ref="84430.55",
                )
            ],
        )
    ],
    "trade_last_match.json": [("ticks", [skl("trade", "0.7904", 37, 56746, "1338.3")])],
    "trade_match.json": [("ticks", [skl("trade", "0.791", 37, 121358, "450")])],
}


@pytest.mark.parametrize("name", sorted(COINBASE))
def test_coinbase_fixture(name: str) -> None:
    check(CoinbaseAdapter(["BTC-USD"]), FIXTURES / "coinbase_exchange" / name, COINBASE[name])


def test_coinbase_heartbeat_and_errors_name_their_product() -> None:
    adapter = CoinbaseAdapter(["ETH-USD", "ERN-USDT"])
    beat = adapter.parse((FIXTURES / "coinbase_exchange" / "heartbeat.json").read_bytes())
    assert beat.symbols == ("ETH-USD",)
    err = adapter.parse((FIXTURES / "coinbase_exchange" / "error_delisted.json").read_text())
    assert err.symbols == ("ERN-USDT",)
    assert "ERN-USDT is delisted" in err.message


def test_coinbase_subscribes_each_product_alone_with_heartbeat() -> None:
    adapter = CoinbaseAdapter(["BTC-USD", "ETH-USD"])
    messages = [json.loads(m) for m in adapter.subscribe_messages(adapter.symbols)]
    assert messages == [
        {"type": "subscribe", "product_ids": ["BTC-USD"], "channels": ["ticker", "heartbeat"]},
        {"type": "subscribe", "product_ids": ["ETH-USD"], "channels": ["ticker", "heartbeat"]},
    ]
    trades = CoinbaseAdapter(["BTC-USD"], channel="trade")
    assert json.loads(trades.subscribe_messages(["BTC-USD"])[0])["channels"] == [
        "matches",
        "heartbeat",
    ]


# --- Kraken v2 ----------------------------------------------------------------------------

K = "kraken"
KRAKEN: dict[str, Expected] = {
    "error_unsupported_pair.json": [("error", [])],
    "heartbeat.json": [("heartbeat", [])],
    "ping.json": [("other", [])],
    "pong.json": [("pong", [])],
    "status.json": [("other", [])],
    "status_plain.json": [("other", [])],
    # Our own requests: no "success" field, so not taken for an ack.
    "subscribe.json": [("other", [])],
    "subscribe_ack.json": [("ack", [])],
    "subscribe_trade_doc.json": [("other", [])],
    "ticker_snapshot_algo_usd.json": [
        (
            "ticks",
            [
                # ref = last - change = 0.13110 - 0.00654
                tick(
                    "ALGO-USD",
                    "0.13110",
                    utc(2026, 10, 3, 20, 58, 33, 794283),
                    K,
                    "ticker",
                    ref="0.12456",
                )
            ],
        )
    ],
    "ticker_snapshot_doc.json": [
        (
            "ticks",
            [
                # ref = 0.10035 - (-0.00017)
                tick(
                    "ALGO-USD",
                    "0.10035",
                    utc(2023, 9, 25, 9, 4, 31, 742648),
                    K,
                    "ticker",
                    ref="0.10052",
                )
            ],
        )
    ],
    "trade_snapshot_doc.json": [
        (
            "ticks",
            [
                tick(
                    "MATIC-USD",
                    "0.5147",
                    utc(2023, 9, 25, 7, 48, 36, 925533),
                    K,
                    "trade",
                    "6423.46326",
                ),
                tick(
                    "MATIC-USD",
                    "0.5147",
                    utc(2023, 9, 25, 7, 49, 36, 925603),
                    K,
                    "trade",
                    "1136.19677815",
                ),
            ],
        )
    ],
}


@pytest.mark.parametrize("name", sorted(KRAKEN))
def test_kraken_fixture(name: str) -> None:
    adapter = KrakenAdapter(["BTC-USD", "ALGO-USD"])
    check(adapter, FIXTURES / "kraken" / name, KRAKEN[name])


def test_kraken_keeps_the_exact_decimal_text() -> None:
    adapter = KrakenAdapter(["ALGO-USD"])
    raw = (FIXTURES / "kraken" / "ticker_snapshot_algo_usd.json").read_bytes()
    (t,) = adapter.parse(raw).ticks
    assert str(t.price) == "0.13110"  # a float decoder would give 0.1311


def test_kraken_error_names_the_refused_symbol() -> None:
    adapter = KrakenAdapter(["BTC-USD"])
    err = adapter.parse((FIXTURES / "kraken" / "error_unsupported_pair.json").read_text())
    assert err.kind == "error"
    assert err.symbols == ("XBT-USD",)
    assert "Currency pair not supported XBT/USD" in err.message


def test_kraken_v1_frames_are_not_taken_for_v2() -> None:
    adapter = KrakenAdapter(["BTC-USD"])
    v1 = FIXTURES / "kraken" / "v1"
    for path in sorted(v1.iterdir()):
        for frame in frames(path):
            # v1 data are arrays, v1 control messages use "event": neither is v2.
            with pytest.raises(FeedError):
                adapter.parse(frame)


# --- OKX ----------------------------------------------------------------------------------

O = "okx"  # noqa: E741


def okx_ticker(price: str, ts_ms: int) -> tuple[str, list[Tick]]:
    return ("ticks", [tick("BTC-USD", price, ts_ms / 1000, O, "ticker", ref="29700.4")])


def okx_trade(price: str, ts_ms: int, size: str) -> tuple[str, list[Tick]]:
    return ("ticks", [tick("BTC-USD", price, ts_ms / 1000, O, "trade", size)])


OKX: dict[str, Expected] = {
    "error_60018.json": [("error", [])],
    "notice_64008_doc.json": [("shutdown", [])],
    "ping.txt": [],  # our own keepalive: checked separately
    "pong.txt": [("pong", [])],
    "recorded_btc_usdt_tickers_trades_2022.jsonl": [
        *[("ack", [])] * 5,
        okx_ticker("30236", 1652459224956),
        okx_trade("30236", 1652459224818, "0.0002"),
        okx_trade("30243.5", 1652459226050, "0.001"),
        okx_trade("30243.5", 1652459226050, "0.0002"),
        okx_trade("30243.5", 1652459226050, "0.00684062"),
        okx_ticker("30243.5", 1652459226124),
        okx_trade("30243.5", 1652459226153, "0.00315"),
        okx_trade("30243.5", 1652459226187, "0.00000938"),
        okx_trade("30243.5", 1652459226187, "0.00019062"),
        okx_trade("30243.5", 1652459226199, "0.00000938"),
        okx_trade("30243.5", 1652459226199, "0.00000062"),
        okx_ticker("30243.5", 1652459226240),
        okx_trade("30250.1", 1652459226753, "0.00066996"),
        okx_trade("30250.1", 1652459226765, "0.00083294"),
        okx_trade("30241.9", 1652459226834, "0.0009"),
        okx_ticker("30250.1", 1652459226825),
        okx_ticker("30241.9", 1652459226978),
        okx_trade("30242", 1652459227219, "0.0002"),
        okx_trade("30242", 1652459227219, "0.001"),
        okx_ticker("30242", 1652459227340),
        okx_trade("30247.5", 1652459228210, "0.00135203"),
        okx_trade("30242.5", 1652459228246, "0.001"),
        okx_trade("30244", 1652459228246, "0.0002"),
        okx_trade("30247.5", 1652459228289, "0.00568686"),
        okx_ticker("30247.5", 1652459228299),
    ],
    "subscribe.json": [("other", [])],
    "subscribe_ack.json": [("ack", [])],
    "subscribe_trades.json": [("other", [])],
    "ticker_btc_usdt.json": [
        ("ticks", [tick("BTC-USD", "64312.9", 1781414919.074, O, "ticker", ref="63591.6")])
    ],
    "trade_btc_usdt.json": [
        ("ticks", [tick("BTC-USD", "78808.8", 1788118931.677, O, "trade", "0.00504905")])
    ],
}


@pytest.mark.parametrize("name", sorted(OKX))
def test_okx_fixture(name: str) -> None:
    adapter = OkxAdapter(["BTC-USD"])
    path = FIXTURES / "okx" / name
    if name == "ping.txt":
        assert path.read_text() == adapter.keepalive_message()
        with pytest.raises(FeedError):
            adapter.parse(path.read_bytes())
        return
    check(adapter, path, OKX[name])


def test_okx_error_names_the_missing_instrument() -> None:
    adapter = OkxAdapter(["NMR-USD"])
    err = adapter.parse((FIXTURES / "okx" / "error_60018.json").read_text())
    assert err.symbols == ("NMR-USD",)
    assert err.message.startswith("OKX error 60018")


def test_okx_without_usdt_as_usd_reports_usdt() -> None:
    adapter = OkxAdapter(["BTC-USDT"], usdt_as_usd=False)
    (t,) = adapter.parse((FIXTURES / "okx" / "ticker_btc_usdt.json").read_text()).ticks
    assert t.symbol == "BTC-USDT"


# --- Bybit --------------------------------------------------------------------------------

Y = "bybit"
BYBIT: dict[str, Expected] = {
    "error_already_subscribed.json": [("error", [])],
    "error_args_size.json": [("error", [])],
    "error_invalid_symbol.json": [("error", [])],
    "ping.json": [("other", [])],
    "pong_spot_doc.json": [("pong", [])],
    "recorded_spot_trades_2023.jsonl": [
        ("ack", []),
        ("ticks", [tick("BTC-USD", "43774", 1703430744.102, Y, "trade", "0.0026")]),
        ("ticks", [tick("BTC-USD", "43774.01", 1703430745.370, Y, "trade", "0.009516")]),
    ],
    "subscribe.json": [("other", [])],
    "subscribe_ack.json": [("ack", [])],
    "ticker_atomusdt.json": [
        ("ticks", [tick("ATOM-USD", "4.166", 1749185744.750, Y, "ticker", ref="4.315")])
    ],
    "ticker_btcusdt.json": [
        ("ticks", [tick("BTC-USD", "102742.6", 1749185744.881, Y, "ticker", ref="105221.8")])
    ],
    "ticker_spot_doc.json": [
        ("ticks", [tick("BTC-USD", "21109.77", 1673853746.003, Y, "ticker", ref="20704.93")])
    ],
    "trade_btcusdt.json": [
        ("ticks", [tick("BTC-USD", "63311.4", 1781885870.259, Y, "trade", "0.000001")])
    ],
}


@pytest.mark.parametrize("name", sorted(BYBIT))
def test_bybit_fixture(name: str) -> None:
    check(BybitAdapter(["BTC-USD"]), FIXTURES / "bybit" / name, BYBIT[name])


def test_bybit_chunks_by_ten_and_resubscribes_the_innocent() -> None:
    symbols = [f"C{i:02d}-USD" for i in range(23)]
    adapter = BybitAdapter(symbols)
    messages = [json.loads(m) for m in adapter.subscribe_messages(symbols)]
    assert [len(m["args"]) for m in messages] == [10, 10, 3]
    assert messages[0]["args"][0] == "tickers.C00USDT"
    assert len({m["req_id"] for m in messages}) == 3
    # The server refuses the second request because of one symbol in it.
    refusal = {
        "success": False,
        "ret_msg": "Invalid symbol :[tickers.C13USDT]",
        "conn_id": "x",
        "req_id": messages[1]["req_id"],
        "op": "subscribe",
    }
    parsed = adapter.parse(json.dumps(refusal))
    assert parsed.kind == "error"
    assert parsed.symbols == ("C13-USD",)
    assert parsed.resubscribe == tuple(f"C{i:02d}-USD" for i in range(10, 20) if i != 13)


def test_bybit_invalid_symbol_fixture_names_it() -> None:
    adapter = BybitAdapter(["NOPE-USD"])
    err = adapter.parse((FIXTURES / "bybit" / "error_invalid_symbol.json").read_text())
    assert err.symbols == ("NOPE-USD",)


# --- subscribe frames ---------------------------------------------------------------------


def test_binance_subscribe_batches_and_connects_to_stream() -> None:
    symbols = [f"C{i:03d}-USD" for i in range(450)]
    adapter = BinanceAdapter(symbols)
    messages = [json.loads(m) for m in adapter.subscribe_messages(symbols)]
    assert [len(m["params"]) for m in messages] == [200, 200, 50]
    assert messages[0]["params"][0] == "c000usdt@miniTicker"
    assert [m["id"] for m in messages] == [1, 2, 3]
    assert adapter.connect_url() == "wss://stream.binance.com:9443/stream"
    trades = BinanceAdapter(["BTC-USD"], channel="trade", usdt_as_usd=False)
    assert json.loads(trades.subscribe_messages(["BTC-USD"])[0])["params"] == ["btcusd@trade"]


def test_kraken_and_okx_subscribe_frames() -> None:
    kraken = KrakenAdapter(["BTC-USD", "ETH-EUR"])
    (msg,) = [json.loads(m) for m in kraken.subscribe_messages(kraken.symbols)]
    assert msg["params"] == {
        "channel": "ticker",
        "symbol": ["BTC/USD", "ETH/EUR"],
        "snapshot": True,
    }
    assert json.loads(kraken.keepalive_message() or "")["method"] == "ping"
    okx = OkxAdapter(["BTC-USD"], channel="trade")
    (msg,) = [json.loads(m) for m in okx.subscribe_messages(okx.symbols)]
    assert msg == {"op": "subscribe", "args": [{"channel": "trades", "instId": "BTC-USDT"}]}


def test_every_fixture_file_has_an_expectation() -> None:
    covered = {
        "binance": BINANCE,
        "binance_us": BINANCE_US,
        "coinbase_exchange": COINBASE,
        "kraken": KRAKEN,
        "okx": OKX,
        "bybit": BYBIT,
    }
    for folder, table in covered.items():
        files = {p.name for p in (FIXTURES / folder).iterdir() if p.is_file()}
        assert files == set(table), folder


# --- fuzzing ------------------------------------------------------------------------------

FUZZ_KEYS = [
    "e",
    "E",
    "s",
    "c",
    "o",
    "p",
    "q",
    "T",
    "stream",
    "data",
    "result",
    "id",
    "error",
    "type",
    "product_id",
    "price",
    "open_24h",
    "time",
    "size",
    "channel",
    "method",
    "success",
    "symbol",
    "last",
    "change",
    "timestamp",
    "qty",
    "arg",
    "instId",
    "open24h",
    "ts",
    "px",
    "sz",
    "event",
    "msg",
    "code",
    "topic",
    "op",
    "lastPrice",
    "prevPrice24h",
    "ret_msg",
    "req_id",
    "v",
    "S",
]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | st.sampled_from(["BTCUSDT", "BTC-USD", "BTC/USD", "tickers.BTCUSDT", "NaN", "1e9999"]),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(FUZZ_KEYS) | st.text(max_size=8), children, max_size=8)
    ),
    max_leaves=30,
)

ADAPTER_NAMES = sorted(ADAPTERS)


def fresh(name: str) -> Adapter:
    return ADAPTERS[name](["BTC-USD", "ETH-USD"])


@pytest.mark.parametrize("name", ADAPTER_NAMES)
@settings(max_examples=300, deadline=None)
@given(value=json_values)
def test_parse_arbitrary_json_returns_or_raises_feed_error(name: str, value: Any) -> None:
    adapter = fresh(name)
    for frame in (json.dumps(value), json.dumps(value).encode()):
        try:
            parsed = adapter.parse(frame)
        except FeedError:
            continue
        for t in parsed.ticks:
            assert isinstance(t.price, Decimal)
            assert t.price.is_finite()
            assert t.price > 0


@pytest.mark.parametrize("name", ADAPTER_NAMES)
@settings(max_examples=300, deadline=None)
@given(frame=st.binary(max_size=200) | st.text(max_size=200))
def test_parse_arbitrary_bytes_returns_or_raises_feed_error(name: str, frame: bytes | str) -> None:
    adapter = fresh(name)
    try:
        adapter.parse(frame)
    except FeedError:
        return


@pytest.mark.parametrize("name", ADAPTER_NAMES)
@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_parse_mutated_fixtures_returns_or_raises_feed_error(name: str, data: Any) -> None:
    """Real frames with one field replaced by an arbitrary value: the likeliest bad frames."""
    folder = {"coinbase": "coinbase_exchange"}.get(name, name)
    paths = sorted(p for p in (FIXTURES / folder).iterdir() if p.suffix == ".json")
    path = data.draw(st.sampled_from(paths))
    message = json.loads(path.read_text())
    if isinstance(message, dict) and message:
        target = message
        inner = message.get("data")
        if isinstance(inner, dict) and inner:
            target = inner
        elif isinstance(inner, list) and inner and isinstance(inner[0], dict):
            target = inner[0]
        key = data.draw(st.sampled_from(sorted(target)))
        target[key] = data.draw(json_values)
    try:
        fresh(name).parse(json.dumps(message))
    except FeedError:
        return
