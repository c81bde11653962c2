"""Whether r2kmon can reach the network, judged from the health records alone.

Used by the UI's header (the offline line), its notifications and the runtime's analytics
status; computed once from :class:`~r2kmon.model.core.SourceHealth` records, so every reader
says the same thing.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from r2kmon.model.core import SourceHealth


@dataclass(frozen=True, slots=True)
class Reachability:
    """How many sources can reach their servers, judged from the health records alone.

    Built by :func:`reachability`. The header draws :meth:`line` (one line instead of a
    chip per source when :attr:`offline`), the app notifies when :attr:`offline` changes.
    """

    counted: int
    """Records counted: all but the summaries (``SourceHealth.summary``)."""
    reachable: int
    """Records whose server answered after the outage began (see :func:`reachability`)."""
    unreachable: int
    """Records that cannot reach their server now (``fault`` set)."""
    fault: str | None = None
    """The most common fault of the unreachable ones (``DNS failure``, ...)."""
    retry_at: float | None = None
    """The soonest next attempt of an unreachable one still to come (wall time)."""

    @property
    def offline(self) -> bool:
        """Nothing answers: some sources cannot reach their servers and none can."""
        return self.unreachable > 0 and self.reachable == 0

    def line(self, now: float, *, ascii_only: bool = False, compact: bool = False) -> str | None:
        """``offline — 0 of 12 sources reachable: DNS failure · retry in 30 s`` when
        offline, ``3 of 12 sources unreachable`` when only some are, else ``None``.

        ``compact`` (80 columns): ``offline 0/12: DNS failure · retry 30 s`` and
        ``3/12 unreachable``, short enough to fit beside the view's name and the clock."""
        dash, dot = (" - ", " - ") if ascii_only else (" — ", " · ")
        sources = "source" if self.counted == 1 else "sources"
        if self.offline:
            fault = self.fault or "no answer"
            retry = _retry_text(self.retry_at, now, compact)
            if compact:
                return f"offline {self.reachable}/{self.counted}: {fault}{dot}{retry}"
            reach = f"{self.reachable} of {self.counted} {sources} reachable"
            return f"offline{dash}{reach}: {fault}{dot}{retry}"
        if self.unreachable:
            if compact:
                return f"{self.unreachable}/{self.counted} unreachable"
            return f"{self.unreachable} of {self.counted} {sources} unreachable"
        return None


def _retry_text(retry_at: float | None, now: float, compact: bool) -> str:
    if retry_at is None or retry_at <= now:
        return "retrying"
    wait = retry_at - now
    amount = f"{math.ceil(wait)} s" if wait < 120 else f"{round(wait / 60)} min"
    return f"retry {amount}" if compact else f"retry in {amount}"


def reachability(records: Iterable[SourceHealth], now: float) -> Reachability:
    """Whether the sources can reach their servers: the one place that decides "offline".

    A record with ``fault`` set cannot reach its server. One without counts as reachable
    only if its server answered *after the outage began*: the outage began after the last
    time any now-unreachable source worked (its ``last_ok``; a websocket's is the moment
    its data stopped). Without that rule a provider polled every few hours, or the backfill
    that finished at start, would keep its ``ok`` for hours after the network went away,
    and "offline" could never be said mid-session. A record that has no ``last_ok``
    (still connecting, or answered only with errors) is not evidence either way. When
    no unreachable source ever worked (no network from the start), any ``last_ok`` counts.

    So: offline when at least one source is unreachable and none answered since. Summary
    records (``summary``) repeat others and are not counted. ``now`` picks the soonest
    retry still to come.

    The streaming websockets make this sharp: their ``last_ok`` is seconds old while they
    work. A config with none (no crypto) has only polls as evidence, and one provider
    losing its host can then read as offline until another provider's next answer.
    """
    counted = [record for record in records if not record.summary]
    unreachable = [record for record in counted if record.fault is not None]
    worked = [r.last_ok for r in unreachable if r.last_ok is not None]
    since = max(worked) if worked else None
    reachable = sum(
        1
        for r in counted
        if r.fault is None
        and (
            (r.last_ok is not None and (since is None or r.last_ok > since))
            or (r.last_ok is None and r.status == "ok")
        )
    )
    faults = Counter(r.fault for r in unreachable if r.fault is not None)
    # The most common fault; a tie goes to the first in alphabetical order (stable).
    fault = min(faults, key=lambda f: (-faults[f], f)) if faults else None
    retries = [r.retry_at for r in unreachable if r.retry_at is not None and r.retry_at > now]
    return Reachability(
        counted=len(counted),
        reachable=reachable,
        unreachable=len(unreachable),
        fault=fault,
        retry_at=min(retries) if retries else None,
    )


def failure_headline(health: SourceHealth) -> str:
    """The first reason in a record's ``last_error`` (the poller joins several with
    `` · ``, the backfill one per exchange with `` | ``), for a one-line note; the
    status word when there is no error."""
    text = health.last_error or health.status
    for separator in (" · ", " | "):
        text = text.split(separator, 1)[0]
    return text
