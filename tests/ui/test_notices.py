"""Health notifications: merged, rate-limited, and one line while offline.

:class:`Notices` is fed what the app feeds it (every state, and a tick each second) with a
frozen clock: the health records, and the alert log a real :class:`AlertLog` keeps of them
as the runtime's analysis does; the tests count what it says. The last tests run the real
app under Pilot: with the states a minute of retries posts, and with a runtime on a
damaged store.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from r2kmon.clock import FrozenClock
from r2kmon.config import Config
from r2kmon.hub import Hub
from r2kmon.model import HubSnapshot, SourceHealth
from r2kmon.net.failure import DNS, REFUSED
from r2kmon.runtime import Runtime
from r2kmon.runtime.alert_log import AlertLog
from r2kmon.runtime.state import AppState
from r2kmon.ui.app import R2kApp
from r2kmon.ui.messages import StateUpdated
from r2kmon.ui.notices import EVERY_S, GRACE_S, Notice, Notices
from tests.core.test_hardening_disk import T0, damaged_store, store_config
from tests.ui.test_app import screen_text

T = 1_794_927_600.0
NAMES = ("binance", "coinbase", "binance-breadth", "backfill", "yahoo", "fred", "coingecko")


def down(
    name: str, fault: str | None = DNS, error: str = "", retry_at: float | None = None
) -> SourceHealth:
    return SourceHealth(
        name,
        "feed",
        "down",
        last_error=error or f"cannot resolve {name}.example",
        retry_at=retry_at,
        fault=fault,
    )


def up(name: str, now: float) -> SourceHealth:
    return SourceHealth(name, "feed", "ok", last_ok=now)


def connecting(name: str) -> SourceHealth:
    return SourceHealth(name, "feed", "connecting")


class Run:
    """A :class:`Notices` fed once a second, as the app's clock tick does, with the health
    records and the alert log of them."""

    def __init__(self) -> None:
        self.log = AlertLog()
        self.notices = Notices(since=T)
        self.now = T
        self.said: list[Notice] = []
        self.times: list[float] = []

    def step(self, health: Mapping[str, SourceHealth], seconds: float = 1.0) -> None:
        self.now += seconds
        snapshot = HubSnapshot(0, self.now, False, health=dict(health))
        self.log.observe(snapshot, None, self.now, {})
        fresh = self.notices.observe(tuple(self.log.alerts), health, self.now)
        self.said.extend(fresh)
        self.times.extend(self.now for _ in fresh)

    def titles(self) -> list[str]:
        return [notice.title for notice in self.said]


def records(*items: SourceHealth) -> dict[str, SourceHealth]:
    return {item.name: item for item in items}


def all_ok(now: float) -> dict[str, SourceHealth]:
    return records(*(up(name, now) for name in NAMES))


def test_a_source_going_down_is_said_once_with_its_reason_and_once_back() -> None:
    run = Run()
    run.step(all_ok(run.now))
    assert run.said == []
    broken = {**all_ok(run.now), "coinbase": down("coinbase", None, "HTTP 451: restricted")}
    for _ in range(30):  # the same error at every health push: never stacks
        run.step(broken)
    assert run.said == [Notice("Source down", "coinbase is down: HTTP 451: restricted", "error")]
    for _ in range(90):
        run.step(all_ok(run.now))
    assert run.titles() == ["Source down", "Source recovered"]
    assert run.said[-1].message == "coinbase is back"


def test_connecting_between_two_failed_attempts_is_not_a_change() -> None:
    run = Run()
    run.step(all_ok(run.now))
    others = {name: up(name, run.now) for name in NAMES if name != "binance"}
    for n in range(60):
        record = down("binance", None, "HTTP 503") if n % 3 else connecting("binance")
        run.step({**others, "binance": record})
    assert run.titles() == ["Source down"]


def test_a_minute_of_retries_while_offline_is_one_notification() -> None:
    """No network: every source fails, goes connecting, fails again, each at its own
    rhythm, for a minute. The user hears "offline" once, and no source on its own."""
    run = Run()
    for second in range(60):
        health = {
            name: connecting(name)
            if (second + i) % (i + 2) == 0
            else down(name, DNS, retry_at=run.now + 30)
            for i, name in enumerate(NAMES)
        }
        run.step(health)
    assert run.said == [
        Notice("Offline", "offline: 0 of 7 sources reachable (DNS failure)", "error")
    ]


def test_going_offline_says_no_source_that_failed_on_the_way() -> None:
    """Mid-session the websockets fail one after another, a second apart (each still
    streaming until then), while the providers' last answers are from earlier polls:
    inside the grace period each failed one waits, then the offline line says them all."""
    run = Run()
    polled = run.now
    run.step(all_ok(polled))
    stopped: dict[str, float] = {}
    for _ in range(60):
        if len(stopped) < 3:
            stopped[NAMES[len(stopped)]] = run.now  # the next websocket's data stops
        health = all_ok(polled)
        for name in NAMES[:3]:
            if name in stopped:
                health[name] = SourceHealth(
                    name, "feed", "down", last_ok=stopped[name], fault=REFUSED
                )
            else:
                health[name] = up(name, run.now + 1)  # streaming until the observation
        run.step(health)
    assert run.titles() == ["Offline"]
    assert "connection refused" in run.said[0].message


def test_back_online_is_one_notification_and_the_rest_come_back_silently() -> None:
    run = Run()
    for _ in range(10):
        run.step(records(*(down(name) for name in NAMES)))
    assert run.titles() == ["Offline"]
    # after a minute the network returns; the sources reconnect over the next minute
    for _ in range(60):
        run.step(records(*(down(name) for name in NAMES)))
    health = records(*(down(name) for name in NAMES))
    for name in NAMES:
        health[name] = up(name, run.now)
        for _ in range(10):
            run.step(dict(health))
    assert run.titles() == ["Offline", "Back online"]
    assert run.said[1].message == (
        "back online: 1 of 7 sources reachable; the other 6 retry by themselves"
    )


def test_a_moment_offline_at_start_is_not_said_and_the_blocked_source_says_itself() -> None:
    """Binance is blocked (DNS) and fails at once; Yahoo answers a second later. For that
    second nothing had answered: too short to say "offline", and Binance, which stays
    unreachable, is then said on its own."""
    run = Run()
    starting = records(down("binance"), connecting("yahoo"))
    run.step(starting)
    run.step(starting)
    for _ in range(10):
        run.step(records(down("binance"), up("yahoo", run.now + 1)))
    assert run.said == [
        Notice("Source down", "binance is down: cannot resolve binance.example", "error")
    ]


def test_a_source_flapping_is_rate_limited_and_merged() -> None:
    """Down and up every few seconds for three minutes, while the rest works: at most one
    notification a minute, the later ones saying how many changes they merged."""
    run = Run()
    run.step(all_ok(run.now))
    for second in range(180):
        health = all_ok(run.now)
        if (second // 7) % 2 == 0:
            health["kraken"] = down("kraken", None, "HTTP 502")
        else:
            health["kraken"] = up("kraken", run.now)
        run.step(health)
    about_kraken = [n for n in run.said if "kraken" in n.message]
    assert 2 <= len(about_kraken) <= 180 / EVERY_S + 1
    assert any("changes since the last notice" in n.message for n in about_kraken[1:])
    times = [t for t, n in zip(run.times, run.said, strict=True) if "kraken" in n.message]
    assert all(later - earlier >= EVERY_S for earlier, later in itertools.pairwise(times))


def test_a_short_drop_inside_the_grace_period_is_not_said() -> None:
    run = Run()
    run.step(all_ok(run.now))
    health = all_ok(run.now)
    health["yahoo"] = down("yahoo", None, "HTTP 500")
    for _ in range(int(GRACE_S) - 2):
        run.step(dict(health))
    for _ in range(30):
        run.step(all_ok(run.now))
    assert run.said == []


def test_summary_records_never_notify() -> None:
    run = Run()
    health = all_ok(run.now)
    health["crypto-feeds"] = SourceHealth(
        "crypto-feeds", "feed", "down", last_error="no exchange serves SOL-USD", summary=True
    )
    for _ in range(30):
        run.step(health)
    assert run.said == []


async def test_the_app_shows_a_handful_of_notifications_over_a_minute_of_retries(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The real app, the states a minute without network posts (every source failing,
    reconnecting, failing again), its own clock ticking: the notifications it shows are
    counted where the app makes them, and the header carries the offline line."""
    clock = FrozenClock(T)
    app = R2kApp(None, Config(), clock=clock)
    shown: list[tuple[str, str]] = []
    notify: Callable[..., Any] = app.notify

    def counting(message: str, **kwargs: Any) -> None:
        shown.append((kwargs.get("title", ""), message))
        notify(message, **kwargs)

    monkeypatch.setattr(app, "notify", counting)

    def snapshot(version: int, health: Mapping[str, SourceHealth]) -> HubSnapshot:
        hub = Hub(clock, simulated=False, symbols=("BTC-USD",))
        for record in health.values():
            hub.push_health(record)
        return hub.snapshot()

    async with app.run_test(size=(120, 30)) as pilot:
        for second in range(60):
            clock.advance(1.0)
            health = {
                name: connecting(name)
                if (second + i) % 4 == 0
                else down(name, DNS, retry_at=clock.now() + 30 - second % 30)
                for i, name in enumerate(NAMES)
            }
            app.post_message(StateUpdated(AppState(snapshot(second, health))))
            await pilot.pause()
        header = screen_text(app).splitlines()[0]
        assert "offline — 0 of 7 sources reachable: DNS failure · retry in" in header
        assert "binance" not in header  # the line, not a chip per source
        assert shown == [("Offline", "offline: 0 of 7 sources reachable (DNS failure)")]


@pytest.mark.timeout(60)
async def test_a_damaged_store_replaced_at_start_is_a_notification(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real runtime on a store with damaged pages: it moves the file aside, starts a
    fresh one and notes it in the alert log; the app says so once (the health view's
    alert log is not the only place a user would learn their history was set aside)."""
    path = tmp_path / "r2kmon.sqlite"
    damaged_store(path)
    config = store_config(tmp_path, path)
    clock = FrozenClock(T0)
    runtime = Runtime(config, demo=False, clock=clock)
    app = R2kApp(runtime, config, clock=clock)
    shown: list[tuple[str, str, str]] = []
    notify: Callable[..., Any] = app.notify

    def counting(message: str, **kwargs: Any) -> None:
        shown.append((kwargs.get("title", ""), kwargs.get("severity", ""), message))
        notify(message, **kwargs)

    monkeypatch.setattr(app, "notify", counting)
    async with app.run_test(size=(120, 30)) as pilot:
        for _ in range(100):
            await pilot.pause(0.1)
            if shown:
                break
        await pilot.pause(0.5)  # and nothing more
        record = runtime.hub.snapshot().health["store"]
        assert record.last_error is not None
        assert "damaged" in record.last_error
        assert shown == [("Store", "warning", record.last_error)]
        await pilot.press("q")
