"""The engine: builds the hub and the producers from the config and runs them as plain
asyncio tasks, without Textual, so ``r2kmon snapshot`` and the UI share one engine.

In phases: :func:`open_history` (the stored history on a hub, what the first screen
draws), :class:`Runtime` built on that hub (the producers, the analysis, the rules), then
:meth:`Runtime.run` (the rest of the history, then every producer and loop under
:mod:`r2kmon.runtime.supervisor`'s restart policy).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from r2kmon import paths
from r2kmon.clock import Clock, SystemClock
from r2kmon.config import DEFAULT_EXCHANGES, Config
from r2kmon.hub import Hub
from r2kmon.model import (
    Alert,
    AlertLevel,
    HubSnapshot,
    MarketState,
    Producer,
    SourceHealth,
    canonical_crypto,
    canonical_market,
)
from r2kmon.runtime.freshness import Judgement, judge
from r2kmon.runtime.portfolio import value_portfolio
from r2kmon.runtime.state import AppState
from r2kmon.runtime.supervisor import run_supervised
from r2kmon.store import (
    STORE_SOURCE,
    Store,
    StoreError,
    StoreEvent,
    after_failure,
    open_store,
)

if TYPE_CHECKING:
    # Imported where they are built (``build_producers``, ``Runtime``): the UI opens the
    # stored history with this module before pandas, httpx and the feeds are loaded.
    import httpx
    import pandas as pd

    from r2kmon.sources.market_hours import MarketHours

log = logging.getLogger(__name__)


def configured_symbols(config: Config) -> list[str]:
    """Every symbol in display order: crypto pairs, then markets."""
    crypto = [canonical_crypto(s) for s in config.crypto.symbols]
    markets = [canonical_market(s) for s in config.markets.symbols]
    return list(dict.fromkeys([*crypto, *markets]))


@cache
def market_hours() -> MarketHours:
    """The NYSE calendar, loaded once per process (it takes most of a second)."""
    from r2kmon.sources.market_hours import MarketHours

    return MarketHours()


def nyse_is_open(ts: float) -> bool:
    """Whether the New York Stock Exchange is in session at ``ts``."""
    return market_hours().state(ts).is_open


PERSIST_EVERY_S = 60.0
"""How often new bars and context values are written to the store."""


def default_store(
    config: Config,
    demo: bool,
    producers: Sequence[Producer] | None,
    hub: Hub | None = None,
    clock: Clock | None = None,
) -> Store | None:
    """The store the config asks for; none in demo mode (simulated data is never kept)
    and none when the caller brought its own producers (tests).

    A damaged file is moved aside and a fresh store started; a store that cannot be
    opened at all (no permission, a directory that cannot be made) leaves the app running
    without stored history. Either is logged and, with ``hub``, becomes the ``store``
    source's health (the health view and ``snapshot`` say which file and why; the
    runtime adds it to the alert log).
    """
    if demo or producers is not None or not config.store.enabled:
        return None
    path = Path(config.store.path).expanduser() if config.store.path else paths.store_file()
    now = (clock or SystemClock()).now()
    store, event = open_store(path, now)
    if event is not None:
        _report_store(event, hub, now)
    return store


def _report_store(event: StoreEvent, hub: Hub | None, now: float) -> None:
    """Log a store event once and make it the ``store`` source's health record."""
    if event.status == "ok":
        log.warning("%s", event.message)
    else:
        log.error("%s", event.message)
    if hub is None:
        return
    before = hub.snapshot().health.get(STORE_SOURCE)
    last_ok = now if event.status == "ok" else (before.last_ok if before is not None else None)
    hub.push_health(
        SourceHealth(
            STORE_SOURCE, "source", event.status, last_ok=last_ok, last_error=event.message
        )
    )


def build_producers(
    config: Config,
    *,
    demo: bool,
    clock: Clock,
    is_open: Callable[[float], bool] = nyse_is_open,
    client: httpx.AsyncClient | None = None,
) -> list[Producer]:
    """The producers the config asks for. Demo mode replaces every remote one.

    ``client`` is the one HTTP client the HTTP producers share (built from the config's
    network policy); the runtime creates it and closes it when it stops.
    """
    crypto = [canonical_crypto(s) for s in config.crypto.symbols]
    markets = [canonical_market(s) for s in config.markets.symbols]
    if demo:
        from r2kmon.sim.context import SimContext, SimContextSettings
        from r2kmon.sim.feed import SimFeed, SimFeedSettings
        from r2kmon.sim.market import SimMarkets, SimMarketSettings

        return [
            SimFeed(SimFeedSettings(crypto, config.demo.seed, config.demo.ticks_per_s), clock),
            SimMarkets(
                SimMarketSettings(markets, config.demo.seed, market_hours=config.demo.market_hours),
                clock,
                is_open,
            ),
            SimContext(SimContextSettings(config.demo.seed), clock),
        ]
    from r2kmon.feeds.producers import crypto_producers
    from r2kmon.sources.poller import Poller, settings_from_endpoints

    exchanges = [e for e in config.crypto.exchanges if config.exchanges[e].enabled]
    # An empty rest_url means the exchange's own (the config's default).
    rest_urls = {
        e: config.exchanges[e].rest_url or DEFAULT_EXCHANGES[e].rest_url for e in exchanges
    }
    producers = crypto_producers(
        crypto,
        exchanges,
        urls={e: config.exchanges[e].url for e in exchanges},
        rest_urls=rest_urls,
        channel=config.crypto.channel,
        usdt_as_usd=config.crypto.usdt_as_usd,
        breadth=config.crypto.breadth,
        clock=clock,
        network=config.network.policy(),
        max_clock_skew=config.crypto.max_clock_skew_s,
    )
    if client is not None:
        # One poller for every HTTP request: the providers, and the pairs' history from the
        # exchanges' REST candles (reported as ``backfill``).
        settings = settings_from_endpoints(
            config.providers,
            markets,
            crypto_symbols=crypto,
            rest_urls=rest_urls,
            rest_max_bodies={e: config.exchanges[e].max_body for e in exchanges},
            usdt_as_usd=config.crypto.usdt_as_usd,
        )
        poller = Poller(client, settings, clock=clock)
        if poller.has_jobs:
            producers.append(poller)
    return producers


FIRST_SCREEN_DAYS = 400
"""Daily bars :func:`open_history` loads: what the first screen draws (a year of
sparkline at the widest); the runtime loads the rest before the analytics need it."""


def open_history(
    config: Config, *, demo: bool, clock: Clock | None = None
) -> tuple[Hub, Store | None]:
    """A hub holding the recent stored history, and the open store (none in demo mode).

    Needs only the light modules (hub, store, sqlite) and reads only what the first screen
    draws (the last day of 1-minute bars, :data:`FIRST_SCREEN_DAYS` of daily bars): the
    UI calls it in a thread right after its first paint and draws the stored prices; the
    :class:`Runtime` it builds next on the same hub and store (pandas, httpx, the feeds)
    loads the whole history when it starts.
    """
    clock = clock or SystemClock()
    hub = Hub(clock, simulated=demo, symbols=configured_symbols(config))
    store = default_store(config, demo, None, hub, clock)
    if store is not None:
        now = clock.now()
        try:
            loaded = store.load_into(hub, now, daily_since=now - FIRST_SCREEN_DAYS * 86_400.0)
            log.info("loaded %d recent bars from %s", loaded, store.path)
        except StoreError as exc:
            store, event = after_failure(store, exc, now)
            _report_store(event, hub, now)
    return hub, store


def _load_history(
    store: Store, hub: Hub, now: float, alerts: int
) -> tuple[Store | None, list[Alert], StoreEvent | None]:
    """Load the whole stored history into ``hub`` and read the newest ``alerts``; the
    store to go on with (another one if the file was damaged), the alerts, and what
    went wrong if anything did (for the caller to report on the event loop)."""
    try:
        loaded = store.load_into(hub, now)
        log.info("loaded %d bars from %s", loaded, store.path)
        return store, store.alerts(alerts), None
    except StoreError as exc:
        replacement, event = after_failure(store, exc, now)
        return replacement, [], event


class Runtime:
    """The hub plus the tasks that feed it."""

    def __init__(
        self,
        config: Config,
        *,
        demo: bool,
        clock: Clock | None = None,
        producers: Sequence[Producer] | None = None,
        store: Store | None = None,
        persist_every_s: float = PERSIST_EVERY_S,
        hub: Hub | None = None,
        status_file: Path | None = None,
    ) -> None:
        """``hub`` and ``store`` may come from :func:`open_history` (the UI's way: the
        recent stored history is on screen before this is built). With ``status_file``
        the runtime keeps the file ``r2kmon status-line`` reads up to date."""
        from r2kmon.runtime.analysis import SERIES_FROM_VALUES, Analysis, analytics_settings
        from r2kmon.runtime.rules import AlertCommand
        from r2kmon.sources.poller import new_client

        self.config = config
        self._persist_every_s = persist_every_s
        self.demo = demo
        self.clock = clock or SystemClock()
        self.hub = hub or Hub(self.clock, simulated=demo, symbols=configured_symbols(config))
        self._status_file = status_file
        self._client = (
            new_client(network=config.network.policy()) if producers is None and not demo else None
        )
        self.producers: tuple[Producer, ...] = tuple(
            producers
            if producers is not None
            else build_producers(config, demo=demo, clock=self.clock, client=self._client)
        )
        if not self.producers:
            log.warning("no producers configured: nothing will be fetched")
        self.store = (
            store
            if store is not None
            else default_store(config, demo, producers, self.hub, self.clock)
        )
        self._history_series = SERIES_FROM_VALUES
        self._read_failure: tuple[Store, StoreError] | None = None
        """A read that failed in the analysis thread, handled at the next write."""
        history = self._context_history if self.store is not None else None
        self.alert_command = (
            AlertCommand(config.general.alert_command, lambda alert: self.analysis.note(alert))
            if config.general.alert_command
            else None
        )
        """Runs ``general.alert_command`` for each ``[[alerts]]`` rule that fires."""
        self.analysis = Analysis(
            self.hub,
            analytics_settings(configured_symbols(config), config.gauge, config.breakout),
            self.clock,
            history=history,
            rules=config.alerts,
            on_rule=self.alert_command,
            judge=lambda snapshot, now: self.judge_freshness(snapshot, now).freshness,
        )
        self._market: MarketHours | None = None

    async def run(self) -> None:
        """Run every producer and the analysis until cancelled."""
        from r2kmon.runtime.analysis import ALERTS_KEPT

        jobs: list[tuple[str, Callable[[], Awaitable[None]]]] = [
            (p.name, functools.partial(p.run, self.hub)) for p in self.producers
        ]
        jobs.append(("analysis", self.analysis.run))
        if self.store is not None:
            jobs.append(("store", self._persist))
        if self._status_file is not None:
            jobs.append(("status", functools.partial(self._write_status, self._status_file)))
        if self.store is not None:
            # Before the producers start: stored history first, newer data on top of it.
            now = self.clock.now()
            self.store, stored, event = await asyncio.to_thread(
                _load_history, self.store, self.hub, now, ALERTS_KEPT
            )
            self.analysis.alert_log.alerts.extend(stored)
            if event is not None:
                _report_store(event, self.hub, now)
        # What happened to the store before this run began (here or in open_history) goes
        # to the alert log: the alert log notes changes of a status it has seen, and it
        # has seen none yet.
        startup = self.hub.snapshot().health.get(STORE_SOURCE)
        if startup is not None and startup.last_error:
            self._note_store(StoreEvent(startup.status, startup.last_error))
        tasks = [
            asyncio.create_task(
                run_supervised(name, job, self.hub, self.clock, simulated=self.demo),
                name=f"r2kmon:{name}",
            )
            for name, job in jobs
        ]
        try:
            # The calendar takes most of a second to load: in a thread, so the first
            # screen and the first websocket frames do not wait for it.
            self._market = await asyncio.to_thread(market_hours)
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if self._client is not None:
                await self._client.aclose()
            if self.store is not None:
                await self._save_now()
            if self.store is not None:
                self.store.close()

    async def _persist(self) -> None:
        """Write what is new to the store every ``persist_every_s`` seconds."""
        while True:
            await asyncio.sleep(self._persist_every_s)
            await self._save_now()

    async def _write_status(self, path: Path) -> None:
        """Rewrite the status-line file every few seconds while the state moves or a
        quote's freshness changed with the clock, and at least every
        :data:`~r2kmon.runtime.statusline.REFRESH_S` (a file that stops changing must mean
        the app stopped)."""
        from r2kmon.runtime.statusline import (
            REFRESH_S,
            STATUS_EVERY_S,
            status_document,
            write_status,
        )

        written: tuple[int, int] | None = None
        written_at = float("-inf")
        changes_at: float | None = None
        while True:
            now = self.clock.now()
            moved = changes_at is not None and now > changes_at  # a quote's freshness
            if self.version != written or now - written_at >= REFRESH_S or moved:
                state = self.state()
                written, written_at, changes_at = self.version, now, state.freshness_until
                await asyncio.to_thread(write_status, path, status_document(state, now))
            await asyncio.sleep(STATUS_EVERY_S)

    async def _save_now(self) -> None:
        """Write what is new; on a failure, go on without (or with a fresh) store and say
        so. Runs on the event loop: the hub is read and told here, the file is written in
        a thread."""
        if self._read_failure is not None:
            failed, error = self._read_failure
            self._read_failure = None
            if failed is self.store:
                await self._store_failed(failed, error)
        # Twice at most: a damaged file replaced by a fresh one gets what the hub holds
        # at once (the fresh store has saved nothing yet, so that is everything).
        for _ in range(2):
            store = self.store
            if store is None:
                return
            try:
                written = await asyncio.to_thread(
                    store.save, self.hub.snapshot(), self.analysis.alerts
                )
            except StoreError as exc:
                await self._store_failed(store, exc)
                if self.store is store:
                    return  # kept for the next round: a full disk may have room by then
                continue
            log.debug("stored %d rows", written)
            health = self.hub.snapshot().health.get(STORE_SOURCE)
            if health is not None and health.status == "down":
                log.info("the store %s is written again", store.path)
                self.hub.push_health(
                    SourceHealth(
                        STORE_SOURCE,
                        "source",
                        "ok",
                        last_ok=self.clock.now(),
                        last_error=health.last_error,
                    )
                )
            return

    async def _store_failed(self, store: Store, error: StoreError) -> None:
        now = self.clock.now()
        self.store, event = await asyncio.to_thread(after_failure, store, error, now)
        before = self.hub.snapshot().health.get(STORE_SOURCE)
        if before is not None and (before.status, before.last_error) == (
            event.status,
            event.message,
        ):
            return  # the same failure at every write (a disk that stays full): said once
        _report_store(event, self.hub, now)
        # The alert log notes a change of status by itself ("down: ...", "back to ok");
        # the rest (a first failure, a damaged file replaced while the store was ok) is
        # noted here, so each event is said once.
        if before is None or before.status == event.status:
            self._note_store(event)

    def _note_store(self, event: StoreEvent) -> None:
        level: AlertLevel = "error" if event.status == "down" else "warning"
        self.analysis.note(Alert(self.clock.now(), level, STORE_SOURCE, event.message))

    def _context_history(self) -> Mapping[str, pd.Series]:
        """Earlier context values for the analytics (called in their thread). A failed
        read leaves them without and is handled at the next write, on the event loop."""
        store = self.store
        if store is None:
            return {}
        try:
            return store.context_history(self._history_series)
        except StoreError as exc:
            log.warning("%s; the analytics go on without stored context history", exc)
            self._read_failure = (store, exc)
            return {}

    @property
    def version(self) -> tuple[int, int]:
        """What :attr:`AppState.version` of the next :meth:`state` will be (cheaper than
        building it: the UI asks several times a second)."""
        return (self.hub.version, self.analysis.version)

    def state(self) -> AppState:
        """The hub's snapshot with the latest analytics, the session and each quote's
        freshness now; cheap, call it per refresh (and when ``freshness_until`` passed:
        the hub's snapshot is the same while no data came, the judgement is not)."""
        snapshot = self.hub.snapshot()
        analysis = self.analysis
        now = self.clock.now()
        judged = self.judge_freshness(snapshot, now)
        return AppState(
            snapshot,
            analysis.result,
            analysis.version,
            analysis.status,
            self._market_at(now),
            analysis.alerts,
            analysis.rule_statuses(),
            (
                value_portfolio(self.config.holdings, snapshot, judged.freshness)
                if self.config.holdings
                else None
            ),
            judged.freshness,
            judged.until,
        )

    def judge_freshness(self, snapshot: HubSnapshot, now: float) -> Judgement:
        """Every quote's freshness at ``now`` (:func:`~r2kmon.runtime.freshness.judge`
        with this runtime's calendar and ``[general] stale_after_s``), as the state
        carries it: what the ``[[alerts]]`` rules check before they look at a price."""
        return judge(snapshot, self._market_at(now), now, self.config.general.stale_after_s)

    def _market_at(self, now: float) -> MarketState | None:
        """The US session at ``now``; ``None`` until :meth:`run` loaded the calendar."""
        return self._market.state(now) if self._market is not None else None

    def answered(self) -> bool:
        """Whether every producer, and every source a producer reports on (each exchange,
        each provider), has answered once — with data or with an error — and the market
        calendar is loaded."""
        if self._market is None:
            return False
        health = self.hub.snapshot().health
        if any(producer.name not in health for producer in self.producers):
            return False
        return not any(
            record.status == "connecting" and record.last_error is None
            for record in health.values()
        )

    async def wait_answered(self, timeout: float, poll_s: float = 0.1) -> bool:
        """Wait until :meth:`answered` or ``timeout`` seconds; return whether all answered."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self.answered():
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(poll_s)
        return True
