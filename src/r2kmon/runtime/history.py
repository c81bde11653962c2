"""The engine's first phase: the stored history opened onto a hub (what the first screen
draws), the rest of it loaded before the producers start, and what happens to the store
reported as the ``store`` source's health. Needs only the light modules (hub, store,
sqlite): the UI calls :func:`open_history` before pandas, httpx and the feeds are loaded."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from r2kmon import paths
from r2kmon.clock import Clock, SystemClock
from r2kmon.config import Config
from r2kmon.hub import Hub
from r2kmon.model import Alert, Producer, SourceHealth
from r2kmon.runtime.build import configured_symbols
from r2kmon.store import (
    STORE_SOURCE,
    Store,
    StoreError,
    StoreEvent,
    after_failure,
    open_store,
)

log = logging.getLogger(__name__)


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
    path = store_path(config, demo, producers)
    if path is None:
        return None
    now = (clock or SystemClock()).now()
    store, event = open_store(path, now)
    if event is not None:
        report_store(event, hub, now)
    return store


def store_path(config: Config, demo: bool, producers: Sequence[Producer] | None) -> Path | None:
    """Where the config keeps the store; none when :func:`default_store` opens none."""
    if demo or producers is not None or not config.store.enabled:
        return None
    return Path(config.store.path).expanduser() if config.store.path else paths.store_file()


def report_store(event: StoreEvent, hub: Hub | None, now: float) -> None:
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
            report_store(event, hub, now)
    return hub, store


def load_history(
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
