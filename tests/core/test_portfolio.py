"""The portfolio: ``[[holdings]]`` in the config, valued at a real hub's prices, and its
place in ``snapshot --json``."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from r2kmon.clock import FrozenClock
from r2kmon.config import describe, load_config, parse_config
from r2kmon.errors import ConfigError
from r2kmon.hub import Hub
from r2kmon.model import Holding, SourceHealth, Tick, dollar_priced
from r2kmon.runtime import Runtime
from r2kmon.runtime.portfolio import value_portfolio
from r2kmon.runtime.snapshot import build_document
from tests.core.sample import judged

T0 = 1_794_927_600.0  # Tuesday 2026-11-17 15:00:00 UTC


def load(tmp_path: Path, text: str) -> tuple[Holding, ...]:
    path = tmp_path / "r2kmon.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path).holdings


def test_holdings_are_read_with_canonical_symbols(tmp_path: Path) -> None:
    holdings = load(
        tmp_path,
        '[[holdings]]\nsymbol = "btc/usd"\nquantity = 0.25\ncost = 61000\n'
        '[[holdings]]\nsymbol = "iwm"\nquantity = 40\n',
    )
    assert holdings == (Holding("BTC-USD", 0.25, 61000.0), Holding("IWM", 40.0, None))


def test_config_check_lists_the_holdings_unless_private(tmp_path: Path) -> None:
    text = '[[holdings]]\nsymbol = "BTC-USD"\nquantity = 0.25\ncost = 61000\n'
    text += '[[holdings]]\nsymbol = "IWM"\nquantity = 40\n'
    path = tmp_path / "r2kmon.toml"
    path.write_text(text, encoding="utf-8")
    assert describe(load_config(path))[-1] == "holdings: BTC-USD 0.25 at 61,000.00, IWM 40"
    path.write_text("[general]\nprivate = true\n" + text, encoding="utf-8")
    assert describe(load_config(path))[-1] == "holdings: BTC-USD, IWM (private: amounts hidden)"


def test_bad_holdings_are_named_by_file_line_and_entry(tmp_path: Path) -> None:
    path = tmp_path / "r2kmon.toml"
    path.write_text(
        """[crypto]
symbols = ["BTC-USD", "ETH-BTC"]

[[holdings]]
symbol = "^RUT"
quantity = 1

[[holdings]]
symbol = "ETH-BTC"
quantity = 1

[[holdings]]
symbol = "BTC-USD"
quantity = 0

[[holdings]]
symbol = "BTC-USD"
quantity = 1
cost = -5

[[holdings]]
symbol = "DOGE-USD"
quantity = 1

[[holdings]]
symbol = "IWM"
quantity = 2
amount = 3

[[holdings]]
symbol = "IWM"
quantity = 2
""",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    lines = caught.value.message.splitlines()
    assert lines == [
        f"{path}:5: key 'holdings.1.symbol': ^RUT is not priced in dollars (an index, or a "
        "pair quoted in another coin); hold the ETF or the USD pair instead.",
        f"{path}:9: key 'holdings.2.symbol': ETH-BTC is not priced in dollars (an index, or "
        "a pair quoted in another coin); hold the ETF or the USD pair instead.",
        f"{path}:14: key 'holdings.3.quantity': expected a number more than 0, got 0 (a number).",
        f"{path}:19: key 'holdings.4.cost': expected a number more than 0, got -5 (a number).",
        f"{path}:22: key 'holdings.5.symbol': 'DOGE-USD' is not in crypto.symbols or "
        "markets.symbols; add it there.",
        f"{path}:28: key 'holdings.6.amount': unknown key. Valid keys here: cost, quantity, "
        "symbol.",
        f"{path}:31: key 'holdings.7.symbol': IWM is held twice; add the quantities up.",
    ]


@pytest.mark.parametrize(
    ("symbol", "dollars"),
    [("BTC-USD", True), ("BTC-USDT", True), ("ETH-BTC", False), ("IWM", True), ("^RUT", False)],
)
def test_what_counts_as_priced_in_dollars(symbol: str, dollars: bool) -> None:
    assert dollar_priced(symbol) is dollars


def hub_with_prices() -> tuple[Hub, FrozenClock]:
    clock = FrozenClock(T0)
    hub = Hub(clock, simulated=False, symbols=("BTC-USD", "ETH-USD", "SOL-USD", "IWM"))
    hub.push_ticks(
        [
            Tick("BTC-USD", Decimal("70000"), T0 - 2, "binance", "ticker", None, Decimal("68000")),
            Tick("ETH-USD", Decimal("2000"), T0 - 300, "binance", "ticker"),
            Tick("IWM", Decimal("250"), T0 - 30, "yahoo", "bar", None, Decimal("248")),
        ]
    )
    hub.push_health(SourceHealth("binance", "feed", "ok", last_ok=T0))
    hub.push_health(SourceHealth("yahoo", "source", "ok", last_ok=T0))
    return hub, clock


HOLDINGS = (
    Holding("BTC-USD", 0.5, 60_000.0),
    Holding("ETH-USD", 10.0),
    Holding("SOL-USD", 100.0, 150.0),
    Holding("IWM", 100.0, 200.0),
)


def test_positions_and_totals_at_the_live_prices() -> None:
    hub, _ = hub_with_prices()
    snapshot = hub.snapshot()
    portfolio = value_portfolio(HOLDINGS, snapshot, judged(snapshot, T0))
    btc, eth, sol, iwm = portfolio.positions
    assert (btc.value, btc.cost_value, btc.pnl) == (35_000.0, 30_000.0, 5_000.0)
    assert btc.pnl_pct == pytest.approx(100 / 6)
    # 70,000 against a 68,000 open: the position was worth 0.5 x 68,000 a day ago.
    assert btc.day == pytest.approx(1_000.0)
    assert (btc.source, btc.stale) == ("binance", False)
    # No cost given: a value, no profit and loss; no reference price: no day change. Its
    # 300 s old streamed price is stale.
    assert (eth.value, eth.pnl, eth.pnl_pct, eth.day, eth.stale) == (
        20_000.0, None, None, None, True,
    )  # fmt: skip
    # No price at all: nothing is guessed.
    assert (sol.price, sol.value, sol.pnl, sol.weight) == (None, None, None, None)
    assert iwm.value == 25_000.0
    assert iwm.pnl == 5_000.0
    assert iwm.day == pytest.approx(25_000.0 - 100 * 248)
    assert portfolio.value == 80_000.0
    assert portfolio.priced == 3
    assert [p.weight for p in portfolio.positions] == [43.75, 25.0, None, 31.25]
    # Totals of profit and loss cover the positions with a price and a cost.
    assert (portfolio.cost_value, portfolio.pnl) == (50_000.0, 10_000.0)
    assert portfolio.pnl_pct == pytest.approx(20.0)
    assert portfolio.day == pytest.approx(1_000.0 + 200.0)


def test_no_prices_no_totals() -> None:
    hub = Hub(FrozenClock(T0), simulated=False, symbols=("BTC-USD",))
    snapshot = hub.snapshot()
    portfolio = value_portfolio(HOLDINGS[:1], snapshot, judged(snapshot, T0))
    assert (portfolio.value, portfolio.pnl, portfolio.day, portfolio.priced) == (
        None, None, None, 0,
    )  # fmt: skip


def test_the_runtime_and_snapshot_json_carry_the_portfolio(tmp_path: Path) -> None:
    config = parse_config(
        '[crypto]\nsymbols = ["BTC-USD"]\n[markets]\nsymbols = ["IWM"]\n'
        "[store]\nenabled = false\n"
        '[[holdings]]\nsymbol = "BTC-USD"\nquantity = 0.5\ncost = 60000\n',
        tmp_path / "r2kmon.toml",
    )
    hub, clock = hub_with_prices()
    runtime = Runtime(config, demo=False, clock=clock, producers=[], hub=hub)
    document = build_document(runtime.state(), T0)
    assert document["portfolio"] == {
        "value": 35_000.0,
        "cost": 30_000.0,
        "pnl": 5_000.0,
        "pnl_pct": pytest.approx(100 / 6),
        "day": pytest.approx(1_000.0),
        "priced": 1,
        "positions": [
            {
                "symbol": "BTC-USD",
                "quantity": 0.5,
                "cost_per_unit": 60_000.0,
                "price": 70_000.0,
                "value": 35_000.0,
                "weight_pct": 100.0,
                "pnl": 5_000.0,
                "pnl_pct": pytest.approx(100 / 6),
                "day": pytest.approx(1_000.0),
                "source": "binance",
                "freshness": "live",
                "stale": False,
                "as_of": "2026-11-17T14:59:58+00:00",
            }
        ],
    }
    without = Runtime(parse_config("", tmp_path / "empty.toml"), demo=True, producers=[])
    assert build_document(without.state(), T0)["portfolio"] is None
