"""The one poller behind every HTTP provider and the exchanges' REST candles.

Used by the runtime, which builds :class:`PollerSettings` from ``[providers.*]``,
``[markets]``, ``[crypto]`` and the exchanges' ``rest_url`` (with
:func:`settings_from_endpoints`) and runs a :class:`Poller` as a
:class:`~r2kmon.model.Producer`. The poller pushes into a :class:`~r2kmon.model.Sink` (the
hub) and never imports it.

It is two halves: the :class:`~r2kmon.sources.scheduler.Scheduler` (how: one request at a
time, rate budgets, backoff, fallback chains, health) and the
:class:`~r2kmon.sources.catalogue.Catalogue` (what: which series, from which providers,
delivered where). Here they are put together, with the market calendar they share and the
one HTTP client (:func:`new_client`). The calendar comes from whoever builds the poller (a
:data:`~r2kmon.model.CalendarLoader`: the runtime's loads the exchange calendar, which
lives with the analytics); with market hours on, a poller without one is refused.
"""

from __future__ import annotations

import asyncio
import random

import httpx

from r2kmon.clock import Clock, SystemClock
from r2kmon.model import CalendarLoader, MarketCalendar, MarketState, Sink
from r2kmon.net import NetworkPolicy
from r2kmon.net.http import http_client
from r2kmon.sources.catalogue import Catalogue
from r2kmon.sources.scheduler import Scheduler
from r2kmon.sources.settings import HISTORY_RECORD as HISTORY_RECORD
from r2kmon.sources.settings import PollerSettings as PollerSettings
from r2kmon.sources.settings import ProviderSettings as ProviderSettings
from r2kmon.sources.settings import settings_from_endpoints as settings_from_endpoints


def new_client(
    settings: PollerSettings | None = None, network: NetworkPolicy | None = None
) -> httpx.AsyncClient:
    """The one client the poller should share: the network policy's TLS and proxies, a
    timeout on every phase, redirects followed (iShares and Yahoo move files around; a
    redirect to an HTML page is still caught)."""
    timeout = (settings or PollerSettings()).timeout_s
    return http_client(network or NetworkPolicy(), timeout=timeout, follow_redirects=True)


class Poller:
    """A :class:`~r2kmon.model.Producer` that polls every configured HTTP provider."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        settings: PollerSettings | None = None,
        *,
        clock: Clock | None = None,
        calendar: CalendarLoader | None = None,
        rng: random.Random | None = None,
        network: NetworkPolicy | None = None,
    ) -> None:
        """``calendar`` loads the market calendar the poller schedules by; it is required
        while ``settings.market_hours`` is on (a :class:`ValueError` otherwise: polling the
        markets without knowing the session would poll blind, so say so at once)."""
        self.settings = settings or PollerSettings()
        if self.settings.market_hours and calendar is None:
            raise ValueError(
                "the poller's market hours are on (PollerSettings.market_hours) but no "
                "calendar loader was given: pass calendar=..., or turn market hours off"
            )
        self._clock = clock or SystemClock()
        self._load = calendar
        self._hours: MarketCalendar | None = None
        # The policy the browser-grade transport follows (the shared client has its own).
        self._scheduler = Scheduler(
            client, self.settings, self._clock, rng or random.Random(), network
        )
        self._catalogue = Catalogue(self._scheduler, self._clock, self._market_hours)

    @property
    def name(self) -> str:
        return self.settings.name

    @property
    def has_jobs(self) -> bool:
        """Whether anything is configured to be polled at all."""
        return bool(self._scheduler.jobs)

    async def run(self, sink: Sink) -> None:
        """Poll until cancelled."""
        await self._load_calendar()
        self._scheduler.attach(sink)
        try:
            while True:
                if not await self._scheduler.run_due():
                    await asyncio.sleep(self._scheduler.idle_delay())
        finally:
            await self._scheduler.aclose()

    async def run_once(self, sink: Sink) -> None:
        """Run every job once now, whatever its schedule (``snapshot``, tests)."""
        await self._load_calendar()
        self._scheduler.attach(sink)
        try:
            await self._scheduler.run_all()
        finally:
            # A browser-grade client made for this run is closed (made again if needed).
            await self._scheduler.aclose()

    async def run_due(self) -> bool:
        """Run the jobs that are due now (after :meth:`run_once`); True if any ran."""
        try:
            return await self._scheduler.run_due()
        finally:
            await self._scheduler.aclose()

    def market_state(self) -> MarketState | None:
        """The NYSE session state now, for the header (``None`` without market hours)."""
        hours = self._market_hours()
        return hours.state(self._clock.now()) if hours is not None else None

    def intraday_delay(self) -> float:
        """Seconds until the next intraday poll (see the catalogue)."""
        return self._catalogue.intraday_delay()

    def daily_delay(self) -> float:
        """Seconds until the next daily-bars poll (see the catalogue)."""
        return self._catalogue.daily_delay()

    async def _load_calendar(self) -> None:
        # Loading the exchange calendar takes most of a second: never on the event loop.
        if self._load is not None and self.settings.market_hours and self._hours is None:
            self._hours = await asyncio.to_thread(self._load)

    def _market_hours(self) -> MarketCalendar | None:
        if self._load is None or not self.settings.market_hours:
            return None
        if self._hours is None:
            self._hours = self._load()
        return self._hours
