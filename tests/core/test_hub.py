"""The hub: quotes, 1-minute bars from ticks, health, immutable versioned snapshots."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from r2kmon.clock import FrozenClock
from r2kmon.hub import Hub
from r2kmon.model import Bar, ContextValue, Quote, SourceHealth, Tick

T0 = 1_794_927_600.0  # a whole minute


def tick(
    price: str, ts: float, symbol: str = "BTC-USD", source: str = "binance", **kw: object
) -> Tick:
    return Tick(symbol, Decimal(price), ts, source, **kw)  # type: ignore[arg-type]


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(T0)


@pytest.fixture
def hub(clock: FrozenClock) -> Hub:
    return Hub(clock, simulated=False, symbols=("BTC-USD", "^RUT"))


def test_bars_are_built_from_ticks_per_minute(hub: Hub) -> None:
    hub.push_ticks([tick("100", T0 + 1), tick("105", T0 + 20), tick("98", T0 + 40)])
    hub.push_ticks([tick("99", T0 + 59.9, size=Decimal("2"))])
    hub.push_ticks([tick("101", T0 + 60), tick("102", T0 + 130)])
    bars = hub.snapshot().bars_1m["BTC-USD"]
    assert bars == (
        Bar(T0, 100.0, 105.0, 98.0, 99.0, 2.0),
        Bar(T0 + 60, 101.0, 101.0, 101.0, 101.0, 0.0),
        Bar(T0 + 120, 102.0, 102.0, 102.0, 102.0, 0.0),
    )


def test_a_late_tick_does_not_rewrite_a_closed_bar(hub: Hub) -> None:
    hub.push_ticks([tick("100", T0 + 1), tick("110", T0 + 61)])
    hub.push_ticks([tick("50", T0 + 30, source="coinbase")])
    bars = hub.snapshot().bars_1m["BTC-USD"]
    assert [b.low for b in bars] == [100.0, 110.0]


def test_the_quote_keeps_source_time_and_reference(hub: Hub) -> None:
    hub.push_ticks([tick("100", T0, ref_price=Decimal("80"))])
    hub.push_ticks([tick("110", T0 + 5)])  # a trade without a reference keeps the last one
    quote = hub.snapshot().quotes["BTC-USD"]
    assert quote == Quote("BTC-USD", Decimal("110"), T0 + 5, "binance", Decimal("80"))
    assert quote.change_pct == pytest.approx(37.5)


def test_an_older_tick_from_the_same_source_does_not_replace_the_quote(hub: Hub) -> None:
    hub.push_ticks([tick("100", T0 + 10)])
    hub.push_ticks([tick("90", T0 + 5)])
    assert hub.snapshot().quotes["BTC-USD"].price == Decimal("100")


def test_versions_grow_and_snapshots_are_cached_while_unchanged(hub: Hub) -> None:
    first = hub.snapshot()
    assert hub.snapshot() is first
    hub.push_ticks([tick("1", T0)])
    second = hub.snapshot()
    assert second.version == first.version + 1
    hub.push_health(SourceHealth("binance", "feed", "ok"))
    hub.push_health(SourceHealth("binance", "feed", "ok"))  # unchanged: no new version
    assert hub.snapshot().version == second.version + 1
    hub.push_ticks([])
    assert hub.snapshot().version == second.version + 1


def test_snapshots_are_immutable_and_unaffected_by_later_pushes(hub: Hub) -> None:
    hub.push_ticks([tick("100", T0)])
    snap = hub.snapshot()
    with pytest.raises(TypeError):
        snap.quotes["BTC-USD"] = snap.quotes["BTC-USD"]  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        snap.version = 99  # type: ignore[misc]
    with pytest.raises(AttributeError):
        snap.bars_1m["BTC-USD"][-1].close = 1.0  # type: ignore[misc]
    hub.push_ticks([tick("200", T0 + 1), tick("5", T0 + 1, symbol="ETH-USD")])
    assert snap.quotes["BTC-USD"].price == Decimal("100")
    assert "ETH-USD" not in snap.quotes
    assert snap.bars_1m["BTC-USD"][-1].close == 100.0


def test_symbol_order_is_configured_first_then_arrivals(hub: Hub) -> None:
    hub.push_ticks([tick("5", T0, symbol="ETH-USD")])
    assert hub.snapshot().symbols == ("BTC-USD", "^RUT", "ETH-USD")


def test_history_bars_merge_with_newer_winning(hub: Hub) -> None:
    day = 86_400.0
    hub.push_bars("^RUT", "1d", [Bar(0, 1, 1, 1, 1), Bar(day, 2, 2, 2, 2)], "yahoo")
    hub.push_bars("^RUT", "1d", [Bar(day, 3, 3, 3, 3), Bar(2 * day, 4, 4, 4, 4)], "yahoo")
    assert [b.close for b in hub.snapshot().bars_1d["^RUT"]] == [1, 3, 4]


def test_ticks_continue_a_merged_bar_exactly(hub: Hub) -> None:
    # Backfill ends with the minute now forming; live ticks extend it, and the floats it
    # was given read back unchanged (0.1 has no exact binary form).
    hub.push_bars("BTC-USD", "1m", [Bar(T0, 0.1, 0.3, 0.1, 0.2, 1.5)], "binance")
    hub.push_ticks([tick("0.25", T0 + 30, size=Decimal("0.5"))])
    assert hub.snapshot().bars_1m["BTC-USD"] == (Bar(T0, 0.1, 0.3, 0.1, 0.25, 2.0),)
    hub.push_ticks([tick("0.05", T0 + 40), tick("0.4", T0 + 50)])
    assert hub.snapshot().bars_1m["BTC-USD"] == (Bar(T0, 0.1, 0.4, 0.05, 0.4, 2.0),)


def test_a_not_a_number_bound_from_history_gives_way_to_ticks(hub: Hub) -> None:
    nan = float("nan")
    hub.push_bars("BTC-USD", "1m", [Bar(T0, 1.0, nan, nan, 1.0, 0.0)], "binance")
    hub.push_ticks([tick("2", T0 + 30)])
    bar = hub.snapshot().bars_1m["BTC-USD"][-1]
    assert (bar.high, bar.low, bar.close) == (2.0, 2.0, 2.0)


def test_context_values_are_kept_by_name(hub: Hub) -> None:
    value = ContextValue("btc_dominance", 57.1, "%", "coingecko", T0)
    hub.push_context(value)
    assert hub.snapshot().context == {"btc_dominance": value}


def test_messages_per_second_are_measured_when_the_source_does_not(
    hub: Hub, clock: FrozenClock
) -> None:
    hub.push_health(SourceHealth("binance", "feed", "ok"))
    for i in range(50):
        clock.advance(0.2)
        hub.push_ticks([tick("1", T0 + i)])
    clock.advance(0.3)  # the first tick came at 0.2 s: 51 ticks in the 10.1 s since
    hub.push_ticks([tick("1", T0 + 60)])
    assert hub.snapshot().health["binance"].msgs_per_s == pytest.approx(51 / 10.1, rel=0.01)
    clock.advance(12.0)  # silent for a whole window: the next sample says so
    hub.push_health(SourceHealth("binance", "feed", "ok", last_error="quiet"))
    assert hub.snapshot().health["binance"].msgs_per_s == 0.0
    hub.push_health(SourceHealth("binance", "feed", "ok", msgs_per_s=7.0))
    assert hub.snapshot().health["binance"].msgs_per_s == 7.0


def test_standby_prices_are_kept_per_exchange_apart_from_the_quote(hub: Hub) -> None:
    hub.push_ticks([tick("100", T0, source="binance")])
    version = hub.version
    hub.push_standby([tick("100.05", T0 + 1, source="kraken"), tick("99.9", T0, source="okx")])
    hub.push_standby([tick("100.07", T0 + 2, source="kraken")])
    assert hub.version == version + 2
    snap = hub.snapshot()
    assert snap.quotes["BTC-USD"].source == "binance"  # the standby never becomes the quote
    assert snap.quotes["BTC-USD"].price == Decimal("100")
    standby = snap.standby["BTC-USD"]
    assert {s: q.price for s, q in standby.items()} == {
        "kraken": Decimal("100.07"),
        "okx": Decimal("99.9"),
    }
    assert len(snap.bars_1m["BTC-USD"]) == 1  # and never touches the bars
    # after a failover the serving exchange's own standby price is not listed beside it
    hub.push_ticks([tick("100.08", T0 + 3, source="kraken")])
    assert set(hub.snapshot().standby["BTC-USD"]) == {"okx"}
