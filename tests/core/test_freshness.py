"""Each quote's freshness (``live``, ``delayed``, ``closed``, ``stale``) against real NYSE
sessions from the exchange calendar, at frozen instants: a weekday in session, after the
close, a weekend, a holiday, a half day. Prices are stamped as their sources stamp them:
Yahoo with the time of the price, FRED with its observation date at 00:00 UTC."""

from __future__ import annotations

from decimal import Decimal

import pytest

from r2kmon.analytics.market_hours import MarketHours, epoch
from r2kmon.clock import FrozenClock
from r2kmon.hub import Hub
from r2kmon.model import Freshness, MarketState, Quote, SourceHealth, Tick
from r2kmon.runtime.freshness import judge, quote_freshness

MIN = 60.0
STALE_AFTER_S = 60.0
YAHOO = SourceHealth("yahoo", "source", "ok")
FRED = SourceHealth("fred", "source", "ok")
BINANCE = SourceHealth("binance", "feed", "ok")


@pytest.fixture(scope="module")
def hours() -> MarketHours:
    return MarketHours()


def fresh(
    hours: MarketHours | None, now: str, ts: float, health: SourceHealth | None = YAHOO
) -> tuple[Freshness, float | None]:
    at = epoch(now)
    market = hours.state(at) if hours is not None else None
    source = health.name if health is not None else "nobody"
    quote = Quote("^RUT", Decimal("2400"), ts, source)
    return quote_freshness(quote, health, market, at, STALE_AFTER_S)


# --- a weekday in session: Wednesday 2025-11-26, 09:30-16:00 EST = 14:30-21:00 UTC ------

IN_SESSION = "2025-11-26T15:00:00Z"


def test_in_session_a_recent_polled_price_is_live_until_five_minutes_old(
    hours: MarketHours,
) -> None:
    now = epoch(IN_SESSION)
    assert fresh(hours, IN_SESSION, now - 45) == ("live", now - 45 + 5 * MIN)
    assert fresh(hours, IN_SESSION, now - 5 * MIN)[0] == "live"


def test_in_session_a_price_minutes_behind_is_delayed_then_stale(hours: MarketHours) -> None:
    now = epoch(IN_SESSION)
    # Ten minutes behind (exchange-delayed data): delayed, until it is 20 minutes old.
    assert fresh(hours, IN_SESSION, now - 10 * MIN) == ("delayed", now + 10 * MIN)
    # 25 minutes old in the middle of the session: the provider stopped moving.
    assert fresh(hours, IN_SESSION, now - 25 * MIN) == ("stale", epoch("2025-11-26T21:00:00Z"))


def test_in_session_yesterdays_close_stands_in_as_delayed(hours: MarketHours) -> None:
    # Yahoo's last answer before the first poll of the day: Tuesday's close.
    freshness, until = fresh(hours, IN_SESSION, epoch("2025-11-25T21:00:00Z"))
    assert freshness == "delayed"
    assert until == epoch("2025-11-26T21:00:00Z")  # the bell, when it becomes closed


def test_in_session_freds_close_a_day_late_is_delayed(hours: MarketHours) -> None:
    # FRED publishes a close on the next business day: Tuesday's (stamped 00:00 UTC), or
    # on an early morning still Monday's, stands in; Friday's is too old.
    assert fresh(hours, IN_SESSION, epoch("2025-11-25T00:00:00Z"), FRED)[0] == "delayed"
    assert fresh(hours, IN_SESSION, epoch("2025-11-24T00:00:00Z"), FRED)[0] == "delayed"
    assert fresh(hours, IN_SESSION, epoch("2025-11-21T00:00:00Z"), FRED)[0] == "stale"


def test_in_session_a_months_old_quote_is_stale_whatever_the_provider_says(
    hours: MarketHours,
) -> None:
    assert fresh(hours, IN_SESSION, epoch("2025-08-01T20:00:00Z"))[0] == "stale"


# --- after the close: Wednesday 22:00 UTC; Thursday is Thanksgiving --------------------

AFTER_CLOSE = "2025-11-26T22:00:00Z"
NEXT_OPEN = epoch("2025-11-28T14:30:00Z")


def test_after_the_close_the_last_price_is_closed_until_the_next_open(
    hours: MarketHours,
) -> None:
    assert fresh(hours, AFTER_CLOSE, epoch("2025-11-26T21:00:02Z")) == ("closed", NEXT_OPEN)
    # A thin ETF's last trade a few minutes before the bell is still the close.
    assert fresh(hours, AFTER_CLOSE, epoch("2025-11-26T20:52:00Z"))[0] == "closed"
    # FRED's close of that day, stamped with its date only.
    assert fresh(hours, AFTER_CLOSE, epoch("2025-11-26T00:00:00Z"), FRED)[0] == "closed"


def test_after_the_close_an_older_price_is_delayed_or_stale(hours: MarketHours) -> None:
    # The price of the middle of today's session, or yesterday's close (FRED a day late).
    assert fresh(hours, AFTER_CLOSE, epoch("2025-11-26T17:00:00Z"))[0] == "delayed"
    assert fresh(hours, AFTER_CLOSE, epoch("2025-11-25T00:00:00Z"), FRED)[0] == "delayed"
    assert fresh(hours, AFTER_CLOSE, epoch("2025-11-24T21:00:00Z"))[0] == "stale"


# --- a weekend, a holiday, a half day --------------------------------------------------


def test_on_a_weekend_fridays_half_day_close_is_closed(hours: MarketHours) -> None:
    saturday = "2025-11-29T17:00:00Z"
    monday_open = epoch("2025-12-01T14:30:00Z")
    # Friday after Thanksgiving closed at 13:00 EST = 18:00 UTC.
    assert fresh(hours, saturday, epoch("2025-11-28T18:00:00Z")) == ("closed", monday_open)
    assert fresh(hours, saturday, epoch("2025-11-28T00:00:00Z"), FRED)[0] == "closed"
    # FRED a day late: Wednesday's (Thursday was a holiday) stands in.
    assert fresh(hours, saturday, epoch("2025-11-26T00:00:00Z"), FRED)[0] == "delayed"
    assert fresh(hours, saturday, epoch("2025-11-25T00:00:00Z"), FRED)[0] == "stale"


def test_on_a_holiday_the_last_sessions_close_is_closed(hours: MarketHours) -> None:
    christmas = "2025-12-25T16:00:00Z"
    # Christmas Eve closed early (18:00 UTC); the next open is Friday's.
    assert fresh(hours, christmas, epoch("2025-12-24T18:00:00Z")) == (
        "closed",
        epoch("2025-12-26T14:30:00Z"),
    )
    assert fresh(hours, christmas, epoch("2025-12-23T00:00:00Z"), FRED)[0] == "delayed"
    assert fresh(hours, christmas, epoch("2025-12-19T21:00:00Z"))[0] == "stale"


def test_a_half_day_turns_live_into_closed_at_its_early_bell(hours: MarketHours) -> None:
    before = "2025-11-28T17:59:00Z"
    ts = epoch(before) - 30
    # Live, and due to change at 18:00 (the early close), before its five minutes are up.
    assert fresh(hours, before, ts) == ("live", epoch("2025-11-28T18:00:00Z"))
    assert fresh(hours, "2025-11-28T18:00:01Z", ts)[0] == "closed"


# --- streamed prices, health, the clock ------------------------------------------------


def test_a_streamed_price_is_live_for_stale_after_s_in_any_session(hours: MarketHours) -> None:
    for now in (IN_SESSION, AFTER_CLOSE, "2025-11-29T17:00:00Z"):
        at = epoch(now)
        assert fresh(hours, now, at - 5, BINANCE) == ("live", at - 5 + STALE_AFTER_S)
        assert fresh(hours, now, at - 61, BINANCE) == ("stale", None)


def test_a_far_future_time_is_never_fresh(hours: MarketHours) -> None:
    at = epoch(IN_SESSION)
    # One frame stamped a day ahead (issue #12 item 3): stale, from a feed or a poll,
    # whatever its source's health says, until the clock is near it.
    assert fresh(hours, IN_SESSION, at + 86_400, BINANCE) == ("stale", at + 86_400 - 10)
    assert fresh(hours, IN_SESSION, at + 86_400, YAHOO)[0] == "stale"
    # A few seconds ahead is a clock a little off: still live.
    assert fresh(hours, IN_SESSION, at + 5, BINANCE)[0] == "live"


@pytest.mark.parametrize("status", ["stale", "down"])
def test_a_source_that_is_stale_or_down_vouches_for_nothing(
    hours: MarketHours, status: str
) -> None:
    at = epoch(IN_SESSION)
    for kind in ("feed", "source"):
        health = SourceHealth("x", kind, status)  # type: ignore[arg-type]
        assert fresh(hours, IN_SESSION, at - 1, health) == ("stale", None)


def test_without_health_a_price_is_judged_as_streamed(hours: MarketHours) -> None:
    at = epoch(AFTER_CLOSE)
    assert fresh(hours, AFTER_CLOSE, at - 30, None)[0] == "live"
    assert fresh(hours, AFTER_CLOSE, at - 90, None)[0] == "stale"


def test_without_a_calendar_a_polled_price_is_live_then_delayed() -> None:
    at = epoch(IN_SESSION)
    assert fresh(None, IN_SESSION, at - 30) == ("live", at - 30 + 5 * MIN)
    # Three days old: nothing says which session it belongs to, so not live, not stale.
    assert fresh(None, IN_SESSION, at - 3 * 86_400) == ("delayed", None)


def test_a_market_state_built_without_its_session_open_is_judged_as_without_a_calendar() -> None:
    at = epoch(IN_SESSION)
    bare = MarketState(at, "open", False, at + 3600, None, last_close=at - 86_400)
    quote = Quote("IWM", Decimal(1), at - 3 * 86_400, "yahoo")
    assert quote_freshness(quote, YAHOO, bare, at, STALE_AFTER_S) == ("delayed", None)


def test_judge_covers_every_quote_and_says_when_the_first_changes(hours: MarketHours) -> None:
    at = epoch(IN_SESSION)
    hub = Hub(FrozenClock(at), simulated=False)
    hub.push_ticks(
        [
            Tick("BTC-USD", Decimal("90000"), at - 20, "binance"),
            Tick("^RUT", Decimal("2400"), epoch("2025-08-01T20:00:00Z"), "yahoo", "bar"),
            Tick("IWM", Decimal("240"), at - 100, "yahoo", "bar"),
            Tick("^VIX", Decimal("17"), epoch("2025-11-25T00:00:00Z"), "fred", "bar"),
        ]
    )
    for health in (BINANCE, YAHOO, FRED):
        hub.push_health(health)
    judged = judge(hub.snapshot(), hours.state(at), at, STALE_AFTER_S)
    assert dict(judged.freshness) == {
        "BTC-USD": "live",
        "^RUT": "stale",
        "IWM": "live",
        "^VIX": "delayed",
    }
    # The first change without new data: BTC-USD ageing past 60 s (at + 40), before IWM
    # turns delayed (at + 200) and before the bell.
    assert judged.until == at + 40
    assert judge(Hub(FrozenClock(at), simulated=False).snapshot(), None, at, 60.0).until is None
