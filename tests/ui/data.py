"""Fixed data for the UI tests: a hub holding the real daily history, and a real
``AnalyticsResult`` computed from it by :func:`compute_all`.

Nothing here is a hand-invented number that the UI then echoes: prices, levels, the gauge,
correlations and the event study all come from the real daily history (found through
``tests/paths.py``) through the production code (the hub, ``frames.daily_inputs`` and
``compute_all``). The only hand-written items are health records and alert lines, which
describe situations (a feed down with an error, a countdown) rather than market numbers.
Built once per session, on first use: tests calling :func:`ready_state` are marked
``history`` (skipped where it is absent); :func:`loading_state` needs none.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timezone
from decimal import Decimal
from functools import cache
from typing import Any

import pandas as pd

from r2kmon.analytics.compute import ALT_BASKET, compute_all
from r2kmon.analytics.frames import daily_inputs, live_inputs
from r2kmon.analytics.market_hours import MarketHours
from r2kmon.clock import FrozenClock
from r2kmon.hub import Hub
from r2kmon.model import Alert, AnalyticsStatus, Bar, Holding, SourceHealth, Tick
from r2kmon.runtime.analysis import analytics_settings
from r2kmon.runtime.freshness import judge
from r2kmon.runtime.portfolio import value_portfolio
from r2kmon.runtime.state import AppState
from tests.paths import history

NOW = datetime(2026, 2, 23, 15, 0, tzinfo=timezone.utc).timestamp()
"""Monday 2026-02-23 10:00 in New York (the market is open): the first session after the
last ^RUT/IWM/SPY close in the history files (Friday 2026-02-20)."""

SYMBOLS = ("BTC-USD", "ETH-USD", "SOL-USD", "^RUT", "IWM", "SPY", "^VIX")
"""The default config's symbols. SOL-USD and ^VIX have no history file: their rows show
what a symbol without data looks like."""

FILES = {"^RUT": "RUT", "IWM": "IWM", "SPY": "SPY", "BTC-USD": "BTC-USD", "ETH-USD": "ETH-USD"}
FEED, POLLER = "binance", "yahoo"


def _frame(name: str) -> pd.DataFrame:
    frame = pd.read_csv(history(f"{name}.csv"), index_col="date", parse_dates=["date"])
    return frame[frame.index < pd.Timestamp(NOW, unit="s").normalize()]


def _bars(frame: pd.DataFrame, column: str = "close") -> list[Bar]:
    # Whole seconds since the epoch, whatever unit pandas parsed the dates in.
    starts = [float(t.timestamp()) for t in frame.index]
    # Any: the row's fields are named by the CSV header, which the pandas stubs cannot know.
    rows: Iterator[Any] = frame.itertuples(index=False)
    out = []
    for start, row in zip(starts, rows, strict=True):
        close = float(getattr(row, column))
        if column == "close":
            out.append(Bar(start, row.open, row.high, row.low, close, float(row.volume)))
        else:
            out.append(Bar(start, close, close, close, close))
    return out


@cache
def history_hub_state() -> tuple[Hub, FrozenClock]:
    """A hub filled as the runtime fills it: daily bars, then one live price each."""
    clock = FrozenClock(NOW)
    hub = Hub(clock, simulated=False, symbols=SYMBOLS)
    for symbol, name in FILES.items():
        frame = _frame(name)
        hub.push_bars(symbol, "1d", _bars(frame), FEED if "-" in symbol else POLLER)
        last, previous = frame["close"].iloc[-1], frame["close"].iloc[-2]
        # The live price is the last close, observed a little before now: no invented move.
        age = 2.0 if "-" in symbol else 45.0
        hub.push_ticks(
            [
                Tick(
                    symbol,
                    Decimal(str(last)),
                    NOW - age,
                    FEED if "-" in symbol else POLLER,
                    "ticker",
                    ref_price=Decimal(str(previous)),
                )
            ]
        )
    alt = _frame("ALT_BASKET_MCAP_daily_cmc_2013_2021")
    hub.push_bars(ALT_BASKET, "1d", _bars(alt, "alt_mcap"), "history")
    return hub, clock


HEALTH = (
    SourceHealth(FEED, "feed", "ok", last_ok=NOW - 1, msgs_per_s=12.5),
    SourceHealth(
        "coinbase",
        "feed",
        "down",
        last_ok=NOW - 600,
        last_error="[Errno -2] Name or service not known",
        retry_at=NOW + 12,
        bad_frames=3,
    ),
    SourceHealth(POLLER, "source", "ok", last_ok=NOW - 45, msgs_per_s=0.1),
    SourceHealth(
        "fred",
        "source",
        "stale",
        last_ok=NOW - 7200,
        last_error="HTTP 429 Too Many Requests (Retry-After 90 s)",
        retry_at=NOW + 90,
    ),
)

HOLDINGS = (
    Holding("BTC-USD", 0.25, 61_000.0),
    Holding("ETH-USD", 4.0, 3_900.0),
    Holding("SOL-USD", 30.0),  # no cost given: value and day, no P&L
    Holding("IWM", 40.0, 198.5),
)

ALERTS = (
    Alert(NOW - 3600, "warning", "fred", "fred is stale: HTTP 429 Too Many Requests"),
    Alert(NOW - 600, "error", "coinbase", "coinbase is down: [Errno -2] Name or service not known"),
)


@cache
def ready_state() -> AppState:
    """The full state: history, live prices (judged as the runtime judges them), health,
    analytics, session, alerts."""
    hub, clock = history_hub_state()
    for record in HEALTH:
        hub.push_health(record)
    snapshot = hub.snapshot()
    live, changes = live_inputs(snapshot)
    inputs = replace(daily_inputs(snapshot), live=live, changes_24h=changes)
    result = compute_all(inputs, analytics_settings(SYMBOLS))
    have = sum(1 for s in SYMBOLS if snapshot.bars_1d.get(s))
    status = AnalyticsStatus("ready", f"daily history: {have} of {len(SYMBOLS)} symbols")
    market = MarketHours().state(clock.now())
    judged = judge(snapshot, market, clock.now(), 60.0)
    portfolio = value_portfolio(HOLDINGS, snapshot, judged.freshness)
    return AppState(
        snapshot,
        result,
        1,
        status,
        market,
        ALERTS,
        portfolio=portfolio,
        freshness=judged.freshness,
        freshness_until=judged.until,
    )


@cache
def loading_state() -> AppState:
    """What the screen shows while history is still being backfilled."""
    clock = FrozenClock(NOW)
    hub = Hub(clock, simulated=False, symbols=SYMBOLS)
    hub.push_health(SourceHealth(POLLER, "source", "connecting"))
    status = AnalyticsStatus("waiting", "daily history: 2 of 5 symbols", 2, 5)
    return AppState(hub.snapshot(), None, 0, status, None, ())


WEEKEND = datetime(2025, 11, 29, 17, 0, tzinfo=timezone.utc).timestamp()
"""Saturday 2025-11-29 12:00 in New York: the market shut on Friday's half day (13:00)."""

FRESHNESS_SYMBOLS = ("BTC-USD", "ETH-USD", "SOL-USD", "^RUT", "IWM", "SPY", "^GSPC")


def _close(name: str, day: str) -> Decimal:
    """The real close of ``name`` on ``day`` (``YYYY-MM-DD``) from the daily history."""
    frame = pd.read_csv(history(f"{name}.csv"), index_col="date", parse_dates=["date"])
    closes: pd.Series[float] = frame["close"]
    return Decimal(str(closes[pd.Timestamp(day)]))


def _utc(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp()


@cache
def freshness_state() -> AppState:
    """Every freshness on one screen, judged as the runtime judges them on a Saturday:
    BTC-USD streamed 2 s ago (live); ETH-USD streamed 5 minutes ago (stale); ^RUT and IWM
    at Friday's early close (closed); ^GSPC from FRED, Wednesday's close published a day
    late (delayed, dated); SPY with a price from October that its provider still serves
    (stale). Prices are the real closes of those days."""
    clock = FrozenClock(WEEKEND)
    hub = Hub(clock, simulated=False, symbols=FRESHNESS_SYMBOLS)
    friday = "2025-11-28"
    hub.push_ticks(
        [
            Tick("BTC-USD", _close("BTC-USD", friday), WEEKEND - 2, FEED, "ticker"),
            Tick("ETH-USD", _close("ETH-USD", friday), WEEKEND - 300, FEED, "ticker"),
            Tick("^RUT", _close("RUT", friday), _utc("2025-11-28 18:00:00"), POLLER, "bar"),
            Tick("IWM", _close("IWM", friday), _utc("2025-11-28 17:59:58"), POLLER, "bar"),
            Tick("SPY", _close("SPY", "2025-10-01"), _utc("2025-10-01 20:00:00"), POLLER, "bar"),
            Tick("^GSPC", _close("GSPC", "2025-11-26"), _utc("2025-11-26 00:00:00"), "fred", "bar"),
        ]
    )
    for record in (
        SourceHealth(FEED, "feed", "ok", last_ok=WEEKEND - 1, msgs_per_s=12.5),
        SourceHealth(POLLER, "source", "ok", last_ok=WEEKEND - 600, msgs_per_s=0.1),
        SourceHealth("fred", "source", "ok", last_ok=WEEKEND - 3600),
    ):
        hub.push_health(record)
    snapshot = hub.snapshot()
    market = MarketHours().state(WEEKEND)
    judged = judge(snapshot, market, WEEKEND, 60.0)
    status = AnalyticsStatus("waiting", "daily history: 0 of 5 symbols", 0, 5)
    return AppState(
        snapshot,
        None,
        0,
        status,
        market,
        (),
        freshness=judged.freshness,
        freshness_until=judged.until,
    )
