"""US equity market hours (NYSE): open, closed, weekend, holiday, half day, next open.

:class:`MarketHours` is the :class:`~r2kmon.model.session.MarketCalendar` the runtime loads
(:func:`r2kmon.runtime.build.market_hours`) for the header's session state and each quote's
freshness (the open of the session in progress, the closes of the last two completed ones),
and hands to the poller as its calendar loader, which polls intraday bars during the
session and slowly outside it (the sources never import this module). Here, under the
analytics, because the calendar comes as a pandas frame. Sessions, holidays and early
closes come from the maintained ``exchange_calendars`` package (calendar ``XNYS``), never
from a hand-written list.

The calendar is loaded once per process (it takes most of a second) and turned into plain
sorted arrays of epoch seconds; every query after that is a bisection. This also keeps us
off ``exchange_calendars``' minute-level API, which under pandas 3 warns on every call.
"""

from __future__ import annotations

import bisect
import threading
import warnings
from dataclasses import dataclass
from datetime import date, datetime, timezone
from functools import cache

from r2kmon.model import NEW_YORK, MarketState, SessionState

REGULAR_CLOSE_MINUTES = 16 * 60
"""16:00 New York; a session closing earlier is a half day (13:00 on the usual ones)."""


@dataclass(frozen=True, slots=True)
class _Schedule:
    days: tuple[date, ...]
    opens: tuple[float, ...]
    closes: tuple[float, ...]
    half_days: frozenset[date]


_LOCK = threading.Lock()


def _schedule(calendar: str, start: str) -> _Schedule:
    """The schedule, built once. The runtime and the poller both load it in threads at
    start: the lock makes the second wait for the first, and keeps two
    ``warnings.catch_warnings`` blocks (process-wide state, not thread-safe) from
    overlapping — one restoring the filters while the other is still building let a
    pandas deprecation warning escape."""
    with _LOCK:
        return _build_schedule(calendar, start)


@cache
def _build_schedule(calendar: str, start: str) -> _Schedule:
    # Imported here: loading them takes most of a second, and the calendar comes as a
    # pandas frame, the one place in this package that reads one.
    import exchange_calendars
    import pandas as pd

    with warnings.catch_warnings():
        # exchange_calendars 4.x calls Series.values on tz-aware data while building the
        # calendar, which pandas 3.1 deprecates (Pandas4Warning); nothing we can change.
        warnings.simplefilter("ignore", pd.errors.Pandas4Warning)
        cal = exchange_calendars.get_calendar(calendar, start=start)
        schedule = cal.schedule
    days: list[date] = []
    opens: list[float] = []
    closes: list[float] = []
    half: set[date] = set()
    for session, row in schedule.iterrows():
        assert isinstance(session, pd.Timestamp)  # the schedule is indexed by session
        day = session.date()
        close = float(row["close"].timestamp())
        days.append(day)
        opens.append(float(row["open"].timestamp()))
        closes.append(close)
        local_close = datetime.fromtimestamp(close, NEW_YORK)
        if local_close.hour * 60 + local_close.minute < REGULAR_CLOSE_MINUTES:
            half.add(day)
    return _Schedule(tuple(days), tuple(opens), tuple(closes), frozenset(half))


class MarketHours:
    """NYSE session lookups (a :class:`~r2kmon.model.session.MarketCalendar`). Construct
    once; :meth:`state` is cheap."""

    def __init__(self, calendar: str = "XNYS", start: str = "2020-01-01") -> None:
        self._schedule = _schedule(calendar, start)
        self._day_index = {day: i for i, day in enumerate(self._schedule.days)}

    def state(self, now: float) -> MarketState:
        """The session state at ``now`` (UTC epoch seconds)."""
        sched = self._schedule
        i = bisect.bisect_right(sched.opens, now) - 1
        if i >= 0 and now < sched.closes[i]:
            day = sched.days[i]
            return MarketState(
                now,
                "open",
                day in sched.half_days,
                sched.closes[i],
                None,
                session_open=sched.opens[i],
                last_close=self._close(i - 1),
                prior_close=self._close(i - 2),
            )
        upcoming = i + 1
        next_open = sched.opens[upcoming] if upcoming < len(sched.opens) else None
        today = datetime.fromtimestamp(now, NEW_YORK).date()
        state: SessionState
        close: float | None = None
        if today in self._day_index:
            state = "closed"
            close = sched.closes[self._day_index[today]]
        elif not sched.days[0] <= today <= sched.days[-1]:
            state = "closed"  # outside the calendar's horizon we cannot say "holiday"
        else:
            state = "weekend" if today.weekday() >= 5 else "holiday"
        return MarketState(
            now,
            state,
            today in sched.half_days,
            close,
            next_open,
            last_close=self._close(i),
            prior_close=self._close(i - 1),
        )

    def _close(self, index: int) -> float | None:
        """The close of session ``index`` of the schedule; ``None`` before its first."""
        return self._schedule.closes[index] if index >= 0 else None


def epoch(text: str) -> float:
    """``"2025-11-28T15:00:00Z"`` → UTC epoch seconds (a helper for callers and tests)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc).timestamp()
