"""The runtime's supervisor: every producer and loop runs under the one retry policy.

A producer handles its own remote failures and reports them through the hub. An exception
that escapes it is a bug: :func:`r2kmon.retry.supervise` logs it with its traceback and
starts the job again after a delay that doubles up to a minute, and this module shows it
in ``health`` as ``down`` with the reason and the time of the restart. A job that returns
has finished (a one-shot fetch) and is not started again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from r2kmon.clock import Clock
from r2kmon.hub import Hub
from r2kmon.model import SourceHealth
from r2kmon.retry import Backoff, supervise

RESTART_INITIAL_S = 1.0
RESTART_MAX_S = 60.0


async def run_supervised(
    name: str, job: Callable[[], Awaitable[None]], hub: Hub, clock: Clock, *, simulated: bool
) -> None:
    """Run ``job`` under the restart policy; a crash shows as ``name`` down in health."""

    def crashed(exc: BaseException, delay: float) -> None:
        hub.push_health(
            SourceHealth(
                name,
                "source",
                "down",
                last_error=f"internal error: {type(exc).__name__}: {exc}",
                retry_at=clock.now() + delay,
                simulated=simulated,
            )
        )

    await supervise(name, job, Backoff(RESTART_INITIAL_S, RESTART_MAX_S), crashed)
