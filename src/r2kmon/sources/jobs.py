"""The scheduler's state — jobs, their attempts, each provider's standing — and how it
reads as health records.

Used by :mod:`r2kmon.sources.scheduler`, which changes these states as requests succeed and
fail, and by :mod:`r2kmon.sources.catalogue`, which makes the jobs. The records are built
here, from the state alone, so what a user reads in the health view follows from one place:

* a provider's own record: its current error, the series it is first in line for that
  nobody could serve (each with its reason), the symbols it does not know;
* a record several providers share (``ProviderSettings.record``; the exchanges' REST APIs
  report as ``backfill``): one line per failing member, then per series that could not be
  had or came only in part, ``" | "`` between them — the shape the history's readers know;
* the poller's summary: which records are failing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from r2kmon.model import ContextValue, HealthStatus, SourceHealth, clean_text
from r2kmon.retry import Backoff
from r2kmon.sources.base import Endpoint, Fetch, SourceError, Unreachable
from r2kmon.sources.settings import ProviderSettings

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Delivered:
    """What delivering an answer left behind."""

    context: Sequence[ContextValue] = ()
    """Context values to push again, with their real ``as_of``, while later runs fail."""
    note: str | None = None
    """Served, but only in part (a short history): said in health."""


@dataclass(frozen=True, slots=True)
class Attempt:
    """One provider's way to serve a job: get the answer (one request or several, each
    through the scheduler's ``Fetch``), then deliver it to the sink."""

    provider: str
    get: Callable[[Fetch], Awaitable[Any]]
    deliver: Callable[[Any], Delivered]

    @classmethod
    def of(cls, endpoint: Endpoint[T], deliver: Callable[[T], Delivered]) -> Attempt:
        """The common case: one request, its parsed answer delivered."""
        return cls(endpoint.provider, lambda fetch: fetch(endpoint), deliver)


@dataclass(eq=False)
class Job:
    """One series (or set of values) kept up to date from a chain of providers."""

    key: str
    label: str
    """What the job serves, as shown in health (``^RUT``, ``^RUT intraday``, ``WALCL``)."""
    plan: Callable[[], Sequence[Attempt]]
    """The attempts of one run, in the chain's order; built once per run."""
    every: Callable[[], float]
    """Seconds from a success to the next run (``math.inf``: once served, done)."""
    symbol: str | None = None
    """The symbol an "unknown symbol" answer is about (listed in ``silent_symbols``)."""
    retry: Backoff | None = None
    """Retry policy after a failed run; without one, the soonest any provider of the
    chain may be asked again (its backoff, or the slow retry of an unknown symbol)."""
    first: bool = True
    """Counted before the summary stops saying "connecting"."""
    hint: str = ""
    """How to get a fallback this series lacks ("set $TWELVEDATA_API_KEY ..."): added to
    its stale line in health while no provider serves it."""
    chain: tuple[str, ...] = ()
    """The providers of the plan, in order (the scheduler fills it once)."""
    record: str = ""
    """The shared record its first enabled provider reports under; empty: its own."""
    due: float = 0.0
    answered: bool = False
    failures: int = 0
    last_ok: float | None = None
    last_error: str | None = None
    reasons: list[tuple[str, str]] = field(default_factory=list)
    """Why the last run failed: (provider, reason) in the chain's order."""
    note: str | None = None
    retry_at: float | None = None
    cached_context: list[ContextValue] = field(default_factory=list)
    unknown_until: dict[str, float] = field(default_factory=dict)
    """Provider → monotonic time before which it is not asked again for this job's
    symbol, after it said it does not know it (a fallback may still serve the job)."""


@dataclass
class ProviderState:
    """One provider's standing: its budget, its backoff, what went wrong."""

    name: str
    settings: ProviderSettings
    backoff: Backoff
    next_allowed: float = 0.0
    blocked_until: float = 0.0
    attempted: bool = False
    last_ok: float | None = None
    error: SourceError | None = None
    """The failure it is backing off after; ``None`` while it answers."""
    logged: str | None = None
    """The error last written to the log (each change is logged once)."""
    retry_at: float | None = None
    unknown: set[str] = field(default_factory=set)
    stale_series: dict[str, str] = field(default_factory=dict)
    """Series this provider is first in line for that nobody could serve: label → reason."""
    impersonating: bool = False
    """Its requests go through the browser-grade transport (:mod:`r2kmon.sources.transport`)."""
    rejections: int = 0
    """Rate limits in a row on plain httpx (``auto`` switches after a few)."""
    transport_note: str | None = None
    """What health says about the transport ("rate-limited on httpx → using browser ...")."""

    @property
    def failures(self) -> int:
        return self.backoff.failures

    @property
    def last_error(self) -> str | None:
        return f"{self.error.kind}: {self.error.message}" if self.error is not None else None

    @property
    def fault(self) -> str | None:
        """The network's class of the failure when the server was not reached at all."""
        return self.error.fault if isinstance(self.error, Unreachable) else None


def provider_status(state: ProviderState) -> HealthStatus:
    if not state.attempted:
        return "connecting"
    if state.failures == 0 and not state.stale_series:
        # Answering normally (an unknown symbol is an answer too: it is listed in
        # silent_symbols instead).
        return "ok"
    return "stale" if state.last_ok is not None else "down"


def provider_record(state: ProviderState) -> SourceHealth:
    """One sentence a person can act on: the current error, which series are stale
    because of it (each with its own reason, which outlives a later success of another
    series), and which symbols the provider does not know."""
    parts: list[str] = []
    if state.transport_note is not None:
        parts.append(state.transport_note)
    if state.last_error is not None:
        parts.append(state.last_error)
    if state.stale_series:
        stale = ", ".join(f"{k} ({v})" for k, v in sorted(state.stale_series.items()))
        parts.append(f"stale: {stale}")
    if state.unknown:
        parts.append(f"unknown symbol: {', '.join(sorted(state.unknown))}")
    return SourceHealth(
        state.name,
        "source",
        provider_status(state),
        last_ok=state.last_ok,
        last_error=" · ".join(parts) or None,
        retry_at=state.retry_at,
        silent_symbols=tuple(sorted(state.unknown)),
        fault=state.fault,
    )


def shared_record(
    name: str, members: Sequence[ProviderState], jobs: Sequence[Job]
) -> SourceHealth | None:
    """The record ``members`` share, over the ``jobs`` they serve; ``None`` until every
    job has answered once (the record says "connecting" until then).

    Down while no series could be had; stale while some could not, or only in part. A
    failing member is named once with its reason, not once per series it left unserved;
    the retry is the soonest a failing member may be asked again. Unreachable as a whole
    (``fault``) only when nothing came and every member could not be reached.
    """
    if not jobs or not all(job.answered for job in jobs):
        return None
    missing = [job for job in jobs if job.last_ok is None]
    partial = [job for job in jobs if job.last_ok is not None and job.note]
    status: HealthStatus = (
        "down" if len(missing) == len(jobs) else "stale" if missing or partial else "ok"
    )
    failing = [m for m in members if m.error is not None]
    said = {m.name for m in failing}
    parts = [f"{m.name}: {m.error.message}" for m in failing if m.error is not None]
    for job in missing:
        rest = [f"{provider} {why}" for provider, why in job.reasons if provider not in said]
        if rest:
            parts.append(f"{job.label}: " + "; ".join(rest))
    parts += [f"{job.label}: {job.note}" for job in partial]
    faults = [m.fault for m in failing if m.fault is not None]
    enabled = [m for m in members if m.settings.enabled]
    retries = [m.retry_at for m in failing if m.retry_at is not None] or [
        job.retry_at for job in missing if job.retry_at is not None
    ]
    served = [job.last_ok for job in jobs if job.last_ok is not None]
    return SourceHealth(
        name,
        "source",
        status,
        last_ok=max(served, default=None),
        last_error=clean_text(" | ".join(parts), 400) or None,
        retry_at=min(retries, default=None) if missing else None,
        fault=faults[0] if status == "down" and len(faults) == len(enabled) else None,
    )


def summary_record(
    name: str,
    jobs: Sequence[Job],
    providers: Sequence[ProviderState],
    shared: Sequence[SourceHealth | None],
) -> SourceHealth:
    """The poller as a whole: connecting until its first jobs answered, then which
    records are failing (each provider's own, and the shared ones)."""
    last_ok = max((job.last_ok for job in jobs if job.last_ok), default=None)
    if not all(job.answered for job in jobs if job.first):
        return SourceHealth(name, "source", "connecting", last_ok, None, summary=True)
    failing = sorted(
        [p.name for p in providers if p.attempted and provider_status(p) != "ok"]
        + [r.name for r in shared if r is not None and r.status != "ok"]
    )
    ok_any = any(job.last_ok is not None for job in jobs)
    status: HealthStatus = "ok" if not failing else ("stale" if ok_any else "down")
    error = f"failing: {', '.join(failing)}" if failing else None
    return SourceHealth(name, "source", status, last_ok, error, summary=True)
