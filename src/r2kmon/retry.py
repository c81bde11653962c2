"""The one retry policy: capped exponential backoff with jitter, and the restart loop.

Used wherever r2kmon waits before trying again: the runtime's supervisor (a producer that
crashed), the feeds' reconnects (as websockets' ``reconnect_delays``) and the restart of
one exchange after a bug, the HTTP poller's per-provider backoff. One shape for all of
them, so a failing network is retried the same way everywhere:

* the nominal delay starts at ``initial`` and is multiplied by ``factor`` after every
  failure, up to ``maximum``; :meth:`Backoff.reset` after a success starts over;
* each delay is the nominal one less a random share of up to ``jitter`` (0.5: 50 to
  100 % of it), so many clients that failed together do not retry in step, and no delay
  is ever longer than the cap.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Iterator

log = logging.getLogger(__name__)


class Backoff:
    """Delays between attempts; see the module docstring."""

    def __init__(
        self,
        initial: float,
        maximum: float,
        *,
        factor: float = 2.0,
        jitter: float = 0.0,
        rng: random.Random | None = None,
    ) -> None:
        if not 0 < initial <= maximum or factor < 1 or not 0 <= jitter < 1:
            raise ValueError("need 0 < initial <= maximum, factor >= 1, 0 <= jitter < 1")
        self.initial, self.maximum, self.factor, self.jitter = initial, maximum, factor, jitter
        self._rng = rng or random.Random()
        self._nominal = initial
        self.failures = 0
        """Failures since the last :meth:`reset`."""

    def reset(self) -> None:
        """After a success: the next failure waits ``initial`` again."""
        self._nominal = self.initial
        self.failures = 0

    def next(self) -> float:
        """The delay before the next attempt, after one more failure."""
        delay = self._nominal * (1.0 - self.jitter * self._rng.random())
        self._nominal = min(self.maximum, self._nominal * self.factor)
        self.failures += 1
        return delay

    def delays(self) -> Iterator[float]:
        """An endless series of :meth:`next` (websockets' ``reconnect_delays`` shape)."""
        while True:
            yield self.next()


async def supervise(
    name: str,
    job: Callable[[], Awaitable[None]],
    backoff: Backoff,
    on_crash: Callable[[BaseException, float], None] | None = None,
) -> None:
    """Run ``job`` until it returns; restart it after ``backoff``'s delay when it raises.

    A job that returns has finished (a one-shot fetch): it is not started again. An
    exception that escapes a job is a bug — remote failures are the job's own to handle —
    so it is logged with its traceback, told to ``on_crash`` (with the delay before the
    restart) and the job is started again after a delay that grows up to the cap: a bug
    never becomes a tight restart loop and never ends the program. Cancellation stops it.
    """
    while True:
        try:
            await job()
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            delay = backoff.next()
            log.exception("%s failed; restarting in %.0f s", name, delay)
            if on_crash is not None:
                on_crash(exc, delay)
        await asyncio.sleep(delay)
