"""The generic half of the poller: runs jobs against chains of providers, one request at a
time, within each provider's rate budget and backoff, and keeps their health.

Used by :class:`~r2kmon.sources.poller.Poller`, whose catalogue
(:mod:`r2kmon.sources.catalogue`) says *what* is polled; this module knows nothing of
markets, FRED or coins. How it behaves, and why:

* **One request at a time.** Jobs run one after another; a job's next run is scheduled
  only when its previous run has finished, so work never piles up behind a slow provider.
* **Per-provider rate budget.** At most one request per ``min_interval_s`` per provider
  (each page of a paged answer counts); while one provider's budget is spent, due jobs of
  other providers go first.
* **Failures are classified** (see :mod:`r2kmon.sources.base`): 429, 5xx, timeouts, HTML or
  truncated bodies and error payloads put the *provider* into its
  :class:`~r2kmon.retry.Backoff` (capped, exponential, with jitter), never shorter than a
  ``Retry-After`` the server sent. An unknown symbol is the *series'* problem: it is asked
  again only slowly and listed in the provider's ``silent_symbols``.
* **Fallback chains.** A job lists providers in order; the first that answers serves it.
  When none can, nothing is invented: the last good context values are pushed again with
  their real ``as_of``, and health says which series are stale and why.
* **Transport.** A provider whose ``transport`` is ``auto`` (Yahoo) that answers 429 or an
  outage page :data:`SWITCH_AFTER` times in a row on plain httpx is asked from then on
  through the browser-grade transport (:mod:`r2kmon.sources.transport`) when the
  ``impersonate`` extra is installed, and health says so; without the extra, health says
  how to install it.
* **Failures are logged once**: a provider's error when it changes and its recovery once;
  a series that no provider could serve once, when it starts failing. Retries in between
  are counted in health, not in the log.

Why over 400 lines: the rules above (budgets, backoff, fallback chains, ``Retry-After``,
health) act on the same job state, and kept together each is read beside the others.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
from collections.abc import Iterator
from functools import partial
from typing import TypeVar

import httpx

from r2kmon.clock import Clock
from r2kmon.model import Sink, SourceHealth
from r2kmon.net import describe_failure
from r2kmon.net.failure import TIMEOUT
from r2kmon.net.http import BodyTooLarge, RedirectRefused, TooManyRedirects, send_capped
from r2kmon.net.policy import NetworkPolicy
from r2kmon.redact import register_secret
from r2kmon.retry import Backoff
from r2kmon.sources.base import (
    BadBody,
    Endpoint,
    RateLimited,
    Redirected,
    SourceError,
    UnknownSymbol,
    Unreachable,
)
from r2kmon.sources.jobs import (
    Job,
    ProviderState,
    provider_record,
    shared_record,
    summary_record,
)
from r2kmon.sources.settings import HISTORY_RECORD, PollerSettings
from r2kmon.sources.transport import EXTRA, ImpersonatingTransport, available

SWITCH_AFTER = 2
"""Rate limits in a row on plain httpx before ``auto`` switches to impersonation: one 429
can be a burst; two, a backoff apart, is this network being refused."""
SWITCHED = "rate-limited on httpx → using browser impersonation"

log = logging.getLogger(__name__)

T = TypeVar("T")


class Scheduler:
    """Jobs, provider budgets and backoffs, health; see the module docstring."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        settings: PollerSettings,
        clock: Clock,
        rng: random.Random,
        network: NetworkPolicy | None = None,
    ) -> None:
        self._client = client
        self._network = network or NetworkPolicy()
        self._browser: httpx.AsyncClient | None = None
        self.settings = settings
        self._clock = clock
        self._rng = rng
        self.providers = {
            name: ProviderState(name, cfg, self.backoff(cfg.backoff_base_s, cfg.backoff_cap_s))
            for name, cfg in settings.providers.items()
        }
        self.jobs: dict[str, Job] = {}
        self.sink: Sink | None = None
        for state in self.providers.values():
            if state.settings.transport == "impersonate":
                if available():
                    state.impersonating = True
                else:
                    state.transport_note = f"transport = impersonate needs the extra: {EXTRA}"
        for cfg in settings.providers.values():
            # The config registers these too; settings built without a config file (a
            # script, a test) must not send or show a key unredacted either.
            if cfg.api_key_env:
                register_secret(os.environ.get(cfg.api_key_env, ""))

    def backoff(self, initial: float, maximum: float) -> Backoff:
        """A backoff with the poller's jitter (one random source for all, for tests)."""
        return Backoff(initial, maximum, jitter=self.settings.jitter, rng=self._rng)

    def enabled(self, *providers: str) -> bool:
        """Whether any of ``providers`` is configured and enabled."""
        states = (self.providers.get(p) for p in providers)
        return any(s is not None and s.settings.enabled for s in states)

    # --- jobs -----------------------------------------------------------------------

    def add(self, job: Job) -> None:
        """Add ``job``, due now. Its chain (the providers of its plan, in order) is read
        once here: the plan's endpoints may change from run to run, its providers not."""
        job.chain = tuple(attempt.provider for attempt in job.plan())
        primary = self._primary(job)
        job.record = self.providers[primary].settings.record if primary else ""
        job.due = self._clock.monotonic()
        self.jobs[job.key] = job

    def remove(self, key: str) -> None:
        self.jobs.pop(key, None)

    def sink_or_fail(self) -> Sink:
        if self.sink is None:
            raise RuntimeError("Poller used before run() or run_once() attached a sink")
        return self.sink

    def attach(self, sink: Sink) -> None:
        """Push into ``sink`` from now on; the first time, say "connecting" for the
        providers some series starts with (a pure fallback gets a record when it is
        first needed, not a "connecting" that never ends)."""
        if self.sink is sink:
            return
        self.sink = sink
        primaries = {self._primary(job) for job in self.jobs.values()}
        named: set[str] = set()
        for state in self.providers.values():
            if state.name in primaries and not state.attempted:
                name = state.settings.record or state.name
                if name not in named:
                    named.add(name)
                    sink.push_health(SourceHealth(name, "source", "connecting"))
        self.push_summary()

    async def run_due(self) -> bool:
        """Run the jobs that are due and whose provider's budget allows it; True if any ran."""
        ran = False
        while (job := self._next_runnable()) is not None:
            await self.run_job(job)
            ran = True
        return ran

    async def run_all(self) -> None:
        """Run every job once now, whatever its schedule."""
        for job in list(self.jobs.values()):
            await self.run_job(job)
        self.push_summary()

    def _primary(self, job: Job) -> str | None:
        """The provider whose health speaks for a job: the first enabled one."""
        return next((p for p in job.chain if self.enabled(p)), None)

    def _ready_at(self, job: Job) -> float:
        """When ``job`` can run: when it is due and its first provider's budget allows it.

        A primary that is backing off does not delay the job: its fallback is tried, or
        the job records the failure and reschedules itself.
        """
        primary = self._primary(job)
        first = self.providers[primary] if primary is not None else None
        if first is None or first.blocked_until > self._clock.monotonic():
            return job.due
        return max(job.due, first.next_allowed)

    def _next_runnable(self) -> Job | None:
        mono = self._clock.monotonic()
        ready = [(self._ready_at(job), n, job) for n, job in enumerate(self.jobs.values())]
        runnable = [item for item in ready if item[0] <= mono]
        return min(runnable, key=lambda item: (item[2].due, item[1]))[2] if runnable else None

    def idle_delay(self) -> float:
        """How long to sleep when nothing is runnable."""
        mono = self._clock.monotonic()
        soonest = min((self._ready_at(job) for job in self.jobs.values()), default=mono + 60.0)
        # Never spin, and wake at least once a minute (the market session may change).
        return min(max(soonest - mono, 0.01), 60.0)

    # --- running one job ------------------------------------------------------------

    def _chain(self, job: Job) -> Iterator[ProviderState]:
        return (self.providers[p] for p in job.chain if self.enabled(p))

    async def run_job(self, job: Job) -> None:
        reasons: list[tuple[str, str]] = []
        retry_in: list[float] = []
        for attempt in job.plan():
            state = self.providers.get(attempt.provider)
            if state is None or not state.settings.enabled:
                continue
            name, mono = state.name, self._clock.monotonic()
            if job.unknown_until.get(name, 0.0) > mono:
                reasons.append((name, f"does not know {job.symbol or job.label}"))
                retry_in.append(job.unknown_until[name] - mono)
                continue
            if state.blocked_until > mono:
                reasons.append((name, f"backing off after {state.last_error}"))
                retry_in.append(state.blocked_until - mono)
                continue
            try:
                result = await attempt.get(partial(self._fetch, state))
            except UnknownSymbol as exc:
                state.attempted = True
                state.unknown.add(job.symbol or job.label)
                reasons.append((name, f"{exc.kind}: {exc.message}"))
                if job.retry is None:
                    slow = self.settings.unknown_retry_s
                    job.unknown_until[name] = self._clock.monotonic() + slow
                    retry_in.append(slow)
                self._push_provider(state)
                continue
            except SourceError as exc:
                self._provider_failed(state, exc)
                reasons.append((name, f"{exc.kind}: {exc.message}"))
                retry_in.append(state.blocked_until - self._clock.monotonic())
                continue
            delivered = attempt.deliver(result)
            job.cached_context = list(delivered.context) or job.cached_context
            job.note = delivered.note
            job.unknown_until.pop(name, None)
            job.answered, job.failures, job.last_ok = True, 0, self._clock.now()
            job.last_error, job.reasons = None, []
            if job.retry is not None:
                job.retry.reset()
            state.unknown.discard(job.symbol or job.label)
            self._provider_ok(state)
            primary = next(self._chain(job), None)
            if primary is not None and primary is not state and delivered.note and not job.record:
                # Served by a stand-in (IWM for ^RUT): the series itself is still stale,
                # and its line in health says who stands in for it.
                primary.stale_series[job.label] = delivered.note
                self._push_provider(primary)
            elif primary is not None and primary.stale_series.pop(job.label, None) is not None:
                self._push_provider(primary)
            self._finish(job, job.every())
            if job.record and job.record != state.settings.record:
                self._push_shared(job.record)
            return
        self._job_failed(job, reasons, retry_in)

    def _job_failed(self, job: Job, reasons: list[tuple[str, str]], retry_in: list[float]) -> None:
        job.failures += 1
        job.reasons = reasons
        job.last_error = "; ".join(f"{p} {why}" for p, why in reasons) or "no provider configured"
        # A failing provider has said why in its own line; a shared record's series adds
        # one only for reasons of its own (an unknown pair), not once per series.
        own = [p for p, _ in reasons if self.providers[p].error is None]
        if job.failures == 1 and (not job.record or own):
            log.info("%s: no provider could serve it: %s", job.label, job.last_error)
        sink = self.sink_or_fail()
        for value in job.cached_context:
            # The last good values, with their real as_of: shown as old, never as fresh.
            sink.push_context(value)
        chain = list(self._chain(job))
        if chain and not job.record:
            primary = chain[0]
            if (job.symbol or job.label) not in primary.unknown:
                why = "no fallback" if len(chain) < 2 else "fallbacks failed too"
                text = f"{reasons[0][0]} {reasons[0][1]}" if reasons else ""
                line = f"{why}; {text}" if text else why
                primary.stale_series[job.label] = f"{line}; {job.hint}" if job.hint else line
            self._push_provider(primary)
        # The soonest a provider in the chain may be asked again (its backoff, or the slow
        # retry of an unknown symbol); with nothing to wait for, the normal schedule. A
        # job with a retry policy of its own waits for that too.
        soonest = min((r for r in retry_in if r > 0), default=None)
        if job.retry is not None:
            delay = max(job.retry.next(), soonest or 0.0)
        else:
            delay = soonest if soonest is not None else job.every()
        job.retry_at = self._clock.now() + delay
        self._finish(job, delay)
        if job.record:
            self._push_shared(job.record)

    def _finish(self, job: Job, delay: float) -> None:
        job.answered = True
        job.due = self._clock.monotonic() + max(delay, 0.0)
        self.push_summary()

    async def _fetch(self, state: ProviderState, endpoint: Endpoint[T]) -> T:
        """Send ``endpoint``'s request within ``state``'s budget and parse the answer."""
        wait = state.next_allowed - self._clock.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        request = endpoint.request()
        s = self.settings
        request.extensions["timeout"] = httpx.Timeout(s.timeout_s).as_dict()
        provider = endpoint.provider
        client = self._browser_client() if state.impersonating else self._client
        cap = state.settings.max_body
        try:
            response = await asyncio.wait_for(send_capped(client, request, cap), s.deadline_s)
        except BodyTooLarge as exc:
            # Said with the key that raises the cap: a mirror may answer more than the
            # default allows; a hostile or broken server sending without end does not.
            where = "exchanges" if state.settings.record == HISTORY_RECORD else "providers"
            raise BadBody(
                provider, f"{exc}; [{where}.{state.name}] max_body raises the cap"
            ) from exc
        except (RedirectRefused, TooManyRedirects) as exc:
            raise Redirected(provider, str(exc)) from exc
        except httpx.TimeoutException as exc:
            raise Unreachable(provider, f"no answer within {s.timeout_s:g} s", TIMEOUT) from exc
        except asyncio.TimeoutError as exc:
            raise Unreachable(provider, f"answer not complete within {s.deadline_s:g} s") from exc
        except httpx.DecodingError as exc:
            raise BadBody(provider, f"undecodable body: {exc}") from exc
        except httpx.TransportError as exc:
            failure = describe_failure(
                exc, str(request.url), connecting=isinstance(exc, httpx.ConnectError)
            )
            raise Unreachable(provider, failure.reason, failure.fault) from exc
        finally:
            state.next_allowed = self._clock.monotonic() + state.settings.min_interval_s
        try:
            # Years of bars are a large body: parsed off the event loop, so the feeds keep
            # answering their pings.
            return await asyncio.to_thread(endpoint.parse, response)
        except SourceError:
            raise
        except (ValueError, TypeError, KeyError, IndexError) as exc:
            # Remote data shaped in a way the parser did not foresee: a bad body, logged
            # with its traceback so the parser can be fixed, not a crash of every provider.
            log.exception("%s: could not parse %s", provider, request.url)
            raise BadBody(provider, f"unreadable answer: {type(exc).__name__}: {exc}") from exc

    # --- health ---------------------------------------------------------------------

    def _who(self, state: ProviderState) -> str:
        """How the log names a provider: by itself, or within the record it shares."""
        record = state.settings.record
        return f"{record}: {state.name}" if record else state.name

    def _provider_ok(self, state: ProviderState) -> None:
        if state.logged is not None:
            again = "reachable" if state.logged.startswith(Unreachable.kind) else "answering"
            log.info("%s %s again", self._who(state), again)
            state.logged = None
        state.attempted = True
        state.error = None
        state.rejections = 0
        state.backoff.reset()
        state.blocked_until = 0.0
        state.retry_at = None
        state.last_ok = self._clock.now()
        self._push_provider(state)

    def _browser_client(self) -> httpx.AsyncClient:
        """The client of the browser-grade transport, made when first needed."""
        if self._browser is None:
            self._browser = httpx.AsyncClient(
                transport=ImpersonatingTransport(self._network),
                timeout=httpx.Timeout(self.settings.timeout_s),
                follow_redirects=True,
                trust_env=False,
            )
        return self._browser

    async def aclose(self) -> None:
        """Close the browser-grade client if one was made (the shared one is the caller's)."""
        if self._browser is not None:
            browser, self._browser = self._browser, None
            await browser.aclose()

    def _rejected(self, state: ProviderState, exc: SourceError) -> bool:
        """Count a rate limit on plain httpx; True when ``auto`` switches transport now."""
        if not isinstance(exc, RateLimited) or state.impersonating:
            return False
        if state.settings.transport not in ("auto", "impersonate"):
            return False
        state.rejections += 1
        if not available():
            state.transport_note = f"rate-limited on httpx: {EXTRA} for a browser-grade transport"
            return False
        if state.settings.transport != "auto" or state.rejections < SWITCH_AFTER:
            return False
        state.impersonating = True
        state.transport_note = SWITCHED
        log.warning("%s: %s", state.name, SWITCHED)
        return True

    def _provider_failed(self, state: ProviderState, exc: SourceError) -> None:
        state.attempted = True
        state.error = exc
        if self._rejected(state, exc):
            # Ask again soon, the new way: the backoff was for the old one. A short wait
            # (the rate budget) rather than none, so the failed job reschedules itself to
            # then instead of to its normal cadence.
            state.backoff.reset()
            delay = max(state.settings.min_interval_s, 0.05)
            state.blocked_until = self._clock.monotonic() + delay
            state.retry_at = self._clock.now() + delay
            self._push_provider(state)
            return
        delay = state.backoff.next()
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            delay = max(delay, exc.retry_after)
        state.blocked_until = self._clock.monotonic() + delay
        state.retry_at = self._clock.now() + delay
        if state.last_error != state.logged:
            state.logged = state.last_error
            log.warning("%s %s: %s", self._who(state), exc.kind, exc.message)
        self._push_provider(state)

    def _push_provider(self, state: ProviderState) -> None:
        if state.settings.record:
            self._push_shared(state.settings.record)
        else:
            self.sink_or_fail().push_health(provider_record(state))

    def _shared(self, record: str) -> SourceHealth | None:
        members = [p for p in self.providers.values() if p.settings.record == record]
        jobs = [job for job in self.jobs.values() if job.record == record]
        return shared_record(record, members, jobs)

    def _push_shared(self, record: str) -> None:
        health = self._shared(record)
        if health is not None:
            self.sink_or_fail().push_health(health)

    def push_summary(self) -> None:
        if self.sink is None:
            return
        own = [p for p in self.providers.values() if not p.settings.record]
        records = dict.fromkeys(p.settings.record for p in self.providers.values())
        shared = [self._shared(record) for record in records if record]
        jobs = list(self.jobs.values())
        self.sink.push_health(summary_record(self.settings.name, jobs, own, shared))
