"""``reachability``: the one place that decides whether r2kmon is offline, from the health
records the producers push (``fault`` set: the source cannot reach its server)."""

from __future__ import annotations

from r2kmon.model import SourceHealth, failure_headline, reachability
from r2kmon.net.failure import DNS, REFUSED, TIMEOUT

T = 1_794_927_600.0


def unreachable(
    name: str, fault: str = DNS, *, retry_at: float | None = None, last_ok: float | None = None
) -> SourceHealth:
    return SourceHealth(
        name, "feed", "down", last_ok, f"{fault} for {name}", retry_at=retry_at, fault=fault
    )


def ok(name: str, last_ok: float | None) -> SourceHealth:
    return SourceHealth(name, "source", "ok", last_ok=last_ok)


def test_nothing_answering_from_the_start_is_one_offline_line() -> None:
    records = [
        unreachable("binance", retry_at=T + 30),
        unreachable("coinbase", retry_at=T + 45),
        unreachable("yahoo", retry_at=T + 300),
    ]
    reach = reachability(records, T)
    assert reach.offline
    assert (reach.counted, reach.reachable, reach.unreachable) == (3, 0, 3)
    assert reach.line(T) == "offline — 0 of 3 sources reachable: DNS failure · retry in 30 s"
    # the countdown follows the clock
    assert reach.line(T + 12.5) == "offline — 0 of 3 sources reachable: DNS failure · retry in 18 s"


def test_summary_records_are_shown_but_never_counted() -> None:
    records = [
        unreachable("binance"),
        unreachable("yahoo"),
        # summaries of the two: no fault of their own, and no second count of one outage
        SourceHealth("crypto-feeds", "feed", "down", last_error="no exchange serves BTC-USD",
                     summary=True),
        SourceHealth("http-sources", "source", "down", last_error="failing: yahoo",
                     summary=True),
    ]  # fmt: skip
    reach = reachability(records, T)
    assert reach.offline
    assert reach.counted == 2
    # a summary that looked reachable (it was ok an hour later) still does not count
    late = SourceHealth("http-sources", "source", "ok", last_ok=T, summary=True)
    assert reachability([*records[:2], late], T).offline


def test_the_reason_is_the_most_common_fault() -> None:
    records = [
        unreachable("binance", REFUSED),
        unreachable("coinbase", DNS),
        unreachable("yahoo", DNS),
        unreachable("fred", TIMEOUT),
    ]
    assert reachability(records, T).fault == DNS
    # a tie goes to the same one whatever the order of the records
    tie = [unreachable("a", REFUSED), unreachable("b", DNS)]
    assert reachability(tie, T).fault == reachability(tie[::-1], T).fault == DNS


def test_the_retry_is_the_soonest_still_to_come() -> None:
    records = [
        unreachable("binance", retry_at=T - 5),  # being retried right now
        unreachable("coinbase", retry_at=T + 200),
        unreachable("kraken", retry_at=T + 400),
    ]
    reach = reachability(records, T)
    assert reach.retry_at == T + 200
    assert reach.line(T) == "offline — 0 of 3 sources reachable: DNS failure · retry in 3 min"
    passed = reachability([unreachable("binance", retry_at=T - 5)], T)
    assert passed.retry_at is None
    assert passed.line(T) == "offline — 0 of 1 source reachable: DNS failure · retrying"


def test_some_unreachable_is_not_offline_and_says_how_many() -> None:
    records = [unreachable("binance"), unreachable("kraken"), ok("coinbase", T - 1)]
    reach = reachability(records, T)
    assert not reach.offline
    assert (reach.reachable, reach.unreachable) == (1, 2)
    assert reach.line(T) == "2 of 3 sources unreachable"
    assert reach.line(T, compact=True) == "2/3 unreachable"


def test_everything_fine_has_no_line() -> None:
    assert reachability([ok("binance", T), ok("yahoo", T - 3600)], T).line(T) is None
    nothing = reachability([], T)
    assert not nothing.offline
    assert nothing.line(T) is None


def test_a_server_that_answers_with_an_error_is_reachable() -> None:
    """HTTP 451 is an answer: the network is there, the server said no."""
    refused_by_server = SourceHealth(
        "binance", "feed", "down", last_ok=T - 10, last_error="HTTP 451", fault=None
    )
    assert not reachability([unreachable("yahoo"), refused_by_server], T).offline


def test_a_source_that_has_not_answered_yet_does_not_hold_offline_back() -> None:
    """A source still connecting (the backfill starts each pass so) is no evidence either
    way: it neither counts as reachable nor stops the line."""
    connecting = SourceHealth("backfill", "source", "connecting")
    reach = reachability([unreachable("binance"), unreachable("yahoo"), connecting], T)
    assert reach.offline
    assert reach.line(T) == "offline — 0 of 3 sources reachable: DNS failure · retrying"


def test_the_network_lost_mid_session_is_offline_despite_old_successes() -> None:
    """The websocket's data stopped at T; FRED (polled every 6 h) and the backfill (done at
    start) last answered before that. Their old "ok" says nothing of now."""
    records = [
        unreachable("binance", REFUSED, last_ok=T),
        unreachable("binance-breadth", REFUSED, last_ok=T - 1),
        ok("fred", T - 2 * 3600),
        ok("backfill", T - 5 * 3600),
    ]
    reach = reachability(records, T + 20)
    assert reach.offline
    assert reach.line(T + 20) == (
        "offline — 0 of 4 sources reachable: connection refused · retrying"
    )
    # one source answering after the data stopped is proof the network is there
    fresh = ok("yahoo", T + 15)
    again = reachability([*records, fresh], T + 20)
    assert not again.offline
    assert again.line(T + 20) == "2 of 5 sources unreachable"


def test_one_host_blocked_from_the_start_is_not_offline() -> None:
    """ishares never answered (blocked since start: no last_ok); the others answered at
    some point, which is all that can be asked of a provider polled every half hour."""
    records = [unreachable("ishares"), ok("yahoo", T - 1700), ok("fred", T - 4 * 3600)]
    reach = reachability(records, T)
    assert not reach.offline
    assert reach.line(T) == "1 of 3 sources unreachable"


def test_an_ok_without_a_time_counts_as_reachable() -> None:
    assert not reachability([unreachable("a"), SourceHealth("b", "feed", "ok")], T).offline


def test_compact_and_ascii_lines_for_80_columns() -> None:
    records = [unreachable("a", REFUSED, retry_at=T + 9), unreachable("b", REFUSED)]
    reach = reachability(records, T)
    assert reach.line(T, compact=True) == "offline 0/2: connection refused · retry 9 s"
    assert reach.line(T, ascii_only=True) == (
        "offline - 0 of 2 sources reachable: connection refused - retry in 9 s"
    )
    assert reach.line(T, ascii_only=True, compact=True) == (
        "offline 0/2: connection refused - retry 9 s"
    )


def test_failure_headline_is_the_first_reason() -> None:
    poller = SourceHealth(
        "yahoo",
        "source",
        "down",
        last_error="unreachable: cannot resolve query2.finance.yahoo.com · stale: IWM (...)",
    )
    assert failure_headline(poller) == "unreachable: cannot resolve query2.finance.yahoo.com"
    backfill = SourceHealth(
        "backfill",
        "source",
        "down",
        last_error="binance: cannot resolve api.binance.com | coinbase: cannot resolve x",
    )
    assert failure_headline(backfill) == "binance: cannot resolve api.binance.com"
    assert failure_headline(SourceHealth("x", "feed", "down")) == "down"
