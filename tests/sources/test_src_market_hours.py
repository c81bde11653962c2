"""NYSE session state at frozen times: a regular day, a weekend, a holiday, a half day."""

from __future__ import annotations

import pytest

from r2kmon.analytics.market_hours import MarketHours, epoch


@pytest.fixture(scope="module")
def hours() -> MarketHours:
    return MarketHours()


def test_regular_day_open_and_after_close(hours: MarketHours) -> None:
    # Wednesday 2025-11-26: 09:30-16:00 EST = 14:30-21:00 UTC.
    state = hours.state(epoch("2025-11-26T15:00:00Z"))
    assert state.state == "open"
    assert state.is_open
    assert not state.half_day
    assert state.session_close == epoch("2025-11-26T21:00:00Z")
    before = hours.state(epoch("2025-11-26T14:29:00Z"))
    assert before.state == "closed"
    assert before.next_open == epoch("2025-11-26T14:30:00Z")
    after = hours.state(epoch("2025-11-26T21:00:00Z"))
    assert after.state == "closed"
    # Thursday 2025-11-27 is Thanksgiving: the next open is Friday's.
    assert after.next_open == epoch("2025-11-28T14:30:00Z")


def test_weekend(hours: MarketHours) -> None:
    state = hours.state(epoch("2025-11-29T17:00:00Z"))  # Saturday
    assert state.state == "weekend"
    assert not state.is_open
    assert state.next_open == epoch("2025-12-01T14:30:00Z")
    assert state.label() == "weekend · opens Mon 09:30 ET"


def test_holiday(hours: MarketHours) -> None:
    state = hours.state(epoch("2025-12-25T16:00:00Z"))  # Christmas, a Thursday
    assert state.state == "holiday"
    assert state.next_open == epoch("2025-12-26T14:30:00Z")
    assert state.session_close is None


def test_half_day(hours: MarketHours) -> None:
    # Friday after Thanksgiving 2025-11-28 closes at 13:00 EST = 18:00 UTC.
    during = hours.state(epoch("2025-11-28T17:59:00Z"))
    assert during.state == "open"
    assert during.half_day
    assert during.session_close == epoch("2025-11-28T18:00:00Z")
    assert during.label() == "open (half day)"
    after = hours.state(epoch("2025-11-28T19:00:00Z"))
    assert after.state == "closed"
    assert after.half_day
    assert after.next_open == epoch("2025-12-01T14:30:00Z")


def test_summer_time_open(hours: MarketHours) -> None:
    # EDT: 09:30 New York = 13:30 UTC.
    assert hours.state(epoch("2025-07-01T13:29:00Z")).state == "closed"
    assert hours.state(epoch("2025-07-01T13:30:00Z")).state == "open"


def test_the_session_open_and_the_last_two_closes(hours: MarketHours) -> None:
    """What freshness needs: the open of the session in progress, the close of the most
    recent completed session and of the one before (holidays and half days skipped or
    early)."""
    during = hours.state(epoch("2025-11-26T15:00:00Z"))  # Wednesday, in session
    assert during.session_open == epoch("2025-11-26T14:30:00Z")
    assert during.last_close == epoch("2025-11-25T21:00:00Z")
    assert during.prior_close == epoch("2025-11-24T21:00:00Z")
    weekend = hours.state(epoch("2025-11-29T17:00:00Z"))  # after Thanksgiving's half day
    assert weekend.session_open is None
    assert weekend.last_close == epoch("2025-11-28T18:00:00Z")
    assert weekend.prior_close == epoch("2025-11-26T21:00:00Z")
    # Right at the bell the session is over: it is the last completed one.
    bell = hours.state(epoch("2025-11-26T21:00:00Z"))
    assert (bell.session_open, bell.last_close) == (None, epoch("2025-11-26T21:00:00Z"))
