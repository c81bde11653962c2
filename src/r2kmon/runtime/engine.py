"""The engine: builds the hub and the producers from the config and runs them as plain
asyncio tasks, without Textual, so ``r2kmon snapshot`` and the UI share one engine.

In phases, each a module: :mod:`~r2kmon.runtime.history` (:func:`open_history`: the stored
history on a hub, what the first screen draws), :mod:`~r2kmon.runtime.build` (the
producers the config asks for), this :class:`Runtime` built on that hub (the producers,
the analysis, the rules), then :meth:`Runtime.run` (the rest of the history, then every
producer and the loops of :mod:`~r2kmon.runtime.persist` under
:mod:`r2kmon.runtime.supervisor`'s restart policy).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from r2kmon.clock import Clock, SystemClock
from r2kmon.config import Config
from r2kmon.hub import Hub
from r2kmon.model import Alert, HubSnapshot, MarketCalendar, MarketState, Producer
from r2kmon.model.state import AppState, StateVersion
from r2kmon.runtime.build import (
    build_producers,
    configured_symbols,
    market_hours,
    with_examples,
)
from r2kmon.runtime.desktop import desktop_notifier, missing_alert
from r2kmon.runtime.freshness import Judgement, judge
from r2kmon.runtime.history import default_store, store_path
from r2kmon.runtime.persist import (
    PERSIST_EVERY_S,
    Persistence,
    startup_store_event,
    store_alert,
    write_final_status,
    write_status_loop,
)
from r2kmon.runtime.portfolio import value_portfolio
from r2kmon.runtime.supervisor import run_supervised
from r2kmon.store import Store

log = logging.getLogger(__name__)


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
        from r2kmon.analytics.frames import SERIES_FROM_VALUES
        from r2kmon.runtime.analysis import Analysis, analytics_settings
        from r2kmon.runtime.rules import AlertCommand
        from r2kmon.sources.poller import new_client

        if demo and producers is None:
            # The demo's sample holdings and rules, where the config has none; a caller
            # bringing its own producers (a test rig) keeps its config as it is.
            config = with_examples(config)
        self.config = config
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
        store = (
            store
            if store is not None
            else default_store(config, demo, producers, self.hub, self.clock)
        )
        # A store that could not be opened is tried again at each write: the persistence
        # runs whenever the config keeps one.
        path = store.path if store is not None else store_path(config, demo, producers)
        self._persistence = (
            Persistence(
                store,
                self.hub,
                self.clock,
                path=path,
                every_s=persist_every_s,
                note=lambda alert: self.analysis.note(alert),
                alerts=lambda: self.analysis.alerts,
            )
            if path is not None
            else None
        )
        persistence = self._persistence
        history = (
            functools.partial(persistence.context_history, SERIES_FROM_VALUES)
            if persistence is not None
            else None
        )
        self.alert_command = (
            AlertCommand(config.general.alert_command, lambda alert: self.analysis.note(alert))
            if config.general.alert_command
            else None
        )
        """Runs ``general.alert_command`` for each ``[[alerts]]`` rule that fires."""
        self.desktop_notifier = desktop_notifier(
            config.general.desktop_notify, lambda alert: self.analysis.note(alert)
        )
        """Shows each ``[[alerts]]`` rule that fires on the desktop (``general.desktop_notify``
        on and ``notify-send`` on PATH)."""
        on_rule = [hear for hear in (self.alert_command, self.desktop_notifier) if hear is not None]
        self.analysis = Analysis(
            self.hub,
            analytics_settings(configured_symbols(config), config.gauge, config.breakout),
            self.clock,
            history=history,
            rules=config.alerts,
            on_rule=functools.partial(_tell_each, on_rule) if on_rule else None,
            judge=lambda snapshot, now: self.judge_freshness(snapshot, now).freshness,
        )
        self._market: MarketCalendar | None = None

    @property
    def store(self) -> Store | None:
        """The store written to (another after a damaged file; None in demo mode, with
        the store disabled, or while it cannot be opened)."""
        return self._persistence.store if self._persistence is not None else None

    async def run(self) -> None:
        """Run every producer and the analysis until cancelled."""
        from r2kmon.runtime.analysis import ALERTS_KEPT

        jobs: list[tuple[str, Callable[[], Awaitable[None]]]] = [
            (p.name, functools.partial(p.run, self.hub)) for p in self.producers
        ]
        jobs.append(("analysis", self.analysis.run))
        persistence = self._persistence
        if persistence is not None:
            jobs.append(("store", persistence.run))
        if self._status_file is not None:
            status = functools.partial(
                write_status_loop, self._status_file, self.clock, lambda: self.version, self.state
            )
            jobs.append(("status", status))
        if persistence is not None:
            # Before the producers start: stored history first, newer data on top of it.
            self.analysis.alert_log.alerts.extend(await persistence.load(ALERTS_KEPT))
        startup = startup_store_event(self.hub)
        if startup is not None:
            self.analysis.note(store_alert(startup, self.clock.now()))
        if self.config.general.desktop_notify and self.desktop_notifier is None:
            missing = missing_alert(self.clock.now())
            log.warning("%s", missing.message)
            self.analysis.note(missing)  # once per run, not per alert
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
            if persistence is not None:
                await persistence.close()
            if self._status_file is not None:
                await write_final_status(self._status_file, self.clock, self.state)

    @property
    def version(self) -> StateVersion:
        """What :attr:`AppState.version` of the next :meth:`state` will be (cheaper than
        building it: the UI asks several times a second). No journal here: its part is 0."""
        return (self.hub.version, self.analysis.version, 0)

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
            analysis.track_record,
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


def _tell_each(hearers: Sequence[Callable[[Alert], None]], alert: Alert) -> None:
    """A rule that fired, told to the alert command and the desktop notifier."""
    for hear in hearers:
        hear(alert)
