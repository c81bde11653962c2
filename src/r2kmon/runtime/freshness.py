"""Each quote's freshness, judged in this one place: ``live``, ``delayed``, ``closed`` or
``stale`` (:data:`~r2kmon.model.Freshness`).

:meth:`r2kmon.runtime.Runtime.state` calls :func:`judge` for every quote and carries the
result on the :class:`~r2kmon.model.state.AppState`; the analysis loop calls it before
the ``[[alerts]]`` rules look at a price. The screen, ``snapshot --json``, the status line
and the portfolio only format what it said.

Three things decide, in this order:

1. **The quote's own time.** One stamped beyond our clock (past :data:`FUTURE_SKEW_S`) is
   stale, whatever else holds: a frame from the future must never pin a price as fresh.
2. **Its source's health.** A source that says it is ``stale`` or ``down`` vouches for
   nothing it delivered.
3. **Its source's cadence.** A streamed price (a websocket feed, ``SourceHealth.kind ==
   "feed"``; crypto trades around the clock) is live for ``[general] stale_after_s``,
   then stale. A polled price (``kind == "source"``: Yahoo, FRED) is judged against the US
   session (:class:`~r2kmon.model.MarketState`):

   ============  ==========================================================================
   market open   this session's price: ``live`` up to :data:`POLLED_LIVE_S` old,
                 ``delayed`` up to :data:`INTRADAY_DELAYED_S`, then ``stale``; a price
                 from before the open but not older than the date of the session before
                 last (yesterday's close, FRED's close a day late): ``delayed``; older:
                 ``stale``
   market shut   the close of the most recent session (from :data:`CLOSE_SLACK_S` before
                 it on, or a value stamped with its date): ``closed``; anything since the
                 date of the session before it: ``delayed``; older: ``stale``
   ============  ==========================================================================

   Without a calendar yet (its first second) a polled price is ``live`` for
   :data:`POLLED_LIVE_S`, then ``delayed``: nothing says which session it belongs to.

A quote whose source never reported health (tests, a producer that does not) is judged
as streamed: the strictest cadence. Each judgement also says when it would change with the
clock alone (:attr:`Judgement.until`), so a screen with no new data still turns a quote
stale, or closed at the bell.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from r2kmon.model import Freshness, HubSnapshot, MarketState, Quote, SourceHealth

FUTURE_SKEW_S = 10.0
"""A quote stamped up to this far ahead of our clock still counts: twice the clock skew
``doctor`` already points out (5 s), so a machine a few seconds off still sees live prices
and a frame stamped minutes (or years) ahead is stale."""

POLLED_LIVE_S = 5 * 60.0
"""A polled price during the session is live while its own time is at most this old:
Yahoo is polled every 60 s in session and its index values lag the tape by a minute or so,
which leaves room for two or three polls lost to a slow answer before it stops being live."""

INTRADAY_DELAYED_S = 20 * 60.0
"""Past :data:`POLLED_LIVE_S`, a price from this session is delayed up to this age: quotes
from exchange-delayed data run 15 minutes behind. Older, mid-session, the provider has
stopped moving even if it answers: stale."""

CLOSE_SLACK_S = 15 * 60.0
"""While the market is shut, a price stamped up to this long before the last close is
that close: a thin ETF's last trade can come minutes before the bell (and an index's
last value, such as ``^VIX`` at 16:15 New York, after it)."""

DAY_S = 86_400.0


@dataclass(frozen=True, slots=True)
class Judgement:
    """The freshness of every quote of one snapshot, and when the first of them changes
    with the clock alone."""

    freshness: Mapping[str, Freshness]
    until: float | None
    """Once the clock is past this time, a judgement can differ without new data (a live
    price ageing past its cadence, the bell); ``None`` when only new data can change
    them."""


def judge(
    snapshot: HubSnapshot, market: MarketState | None, now: float, stale_after_s: float
) -> Judgement:
    """The freshness of every quote in ``snapshot`` at ``now``.

    ``market`` is the US session at ``now`` (``None`` while the calendar is loading);
    ``stale_after_s`` is ``[general] stale_after_s``, the streamed cadence."""
    freshness: dict[str, Freshness] = {}
    changes: list[float] = []
    for symbol, quote in snapshot.quotes.items():
        word, until = quote_freshness(
            quote, snapshot.health.get(quote.source), market, now, stale_after_s
        )
        freshness[symbol] = word
        if until is not None:
            changes.append(until)
    return Judgement(MappingProxyType(freshness), min(changes, default=None))


def quote_freshness(
    quote: Quote,
    health: SourceHealth | None,
    market: MarketState | None,
    now: float,
    stale_after_s: float,
) -> tuple[Freshness, float | None]:
    """One quote's freshness at ``now``, and when it would change with the clock alone."""
    ts = quote.ts
    if ts > now + FUTURE_SKEW_S:
        return "stale", ts - FUTURE_SKEW_S
    if health is not None and health.status in ("stale", "down"):
        return "stale", None  # it changes when the health does, which is new data
    if health is None or health.kind == "feed":
        live_until = ts + stale_after_s
        return ("live", live_until) if now <= live_until else ("stale", None)
    if (
        market is None
        or market.last_close is None
        or (market.is_open and market.session_open is None)
    ):
        live_until = ts + POLLED_LIVE_S
        return ("live", live_until) if now <= live_until else ("delayed", None)
    return _polled(ts, market, market.last_close, now)


def _polled(
    ts: float, market: MarketState, last: float, now: float
) -> tuple[Freshness, float | None]:
    """A polled price against the session (see the module's table); ``last`` is the
    session's ``last_close``."""
    # The earliest time a price may have and still stand in: the start (UTC) of the date
    # of the session before last. A NYSE session lies within one UTC date (13:30-21:00
    # UTC at the latest), and FRED stamps a close with its date at 00:00 UTC.
    oldest_standing = _day_start(market.prior_close if market.prior_close is not None else last)
    if market.session_open is not None:
        bell = market.session_close
        word: Freshness
        if ts >= market.session_open:
            age = now - ts
            if age <= POLLED_LIVE_S:
                word, until = "live", ts + POLLED_LIVE_S
            elif age <= INTRADAY_DELAYED_S:
                word, until = "delayed", ts + INTRADAY_DELAYED_S
            else:
                word, until = "stale", None
            return word, _earliest(until, bell)
        return ("delayed" if ts >= oldest_standing else "stale"), bell
    # The close itself: stamped near the bell, or with its date only (FRED, daily bars).
    if ts >= last - CLOSE_SLACK_S or ts == _day_start(last):
        return "closed", market.next_open
    return ("delayed" if ts >= oldest_standing else "stale"), market.next_open


def _day_start(ts: float) -> float:
    """00:00 UTC of the date of ``ts``."""
    return ts - ts % DAY_S


def _earliest(a: float | None, b: float | None) -> float | None:
    return min((t for t in (a, b) if t is not None), default=None)
