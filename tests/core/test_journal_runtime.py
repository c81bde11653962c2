"""The journal kept by the engine itself (the app's runtime and ``watch``'s): written while
it runs, the last look written before the store closes, and picked up by the next run."""

from __future__ import annotations

import asyncio
from pathlib import Path

from r2kmon.config import load_config
from r2kmon.model import SourceHealth
from r2kmon.runtime.recorder import DEMO_KEEPS_NONE, NO_STORE, JournalingRuntime
from r2kmon.store import JournalEntry, Store


class Heard:
    """The entries a runtime's recorder told its listeners, with a way to wait for them."""

    def __init__(self) -> None:
        self.entries: list[JournalEntry] = []
        self.changed = asyncio.Event()

    def __call__(self, entry: JournalEntry) -> None:
        self.entries.append(entry)
        self.changed.set()

    async def wait(self, count: int) -> None:
        async with asyncio.timeout(30):
            while len(self.entries) < count:
                self.changed.clear()
                await self.changed.wait()


def runtime_on(path: Path, tmp_path: Path) -> tuple[JournalingRuntime, Heard]:
    config = tmp_path / "c.toml"
    config.write_text('[crypto]\nsymbols = ["BTC-USD"]\n[markets]\nsymbols = ["^RUT"]\n')
    runtime = JournalingRuntime(
        load_config(config), demo=False, producers=(), store=Store(path), persist_every_s=3600
    )
    heard = Heard()
    runtime.journal.listeners.append(heard)
    return runtime, heard


def down(name: str) -> SourceHealth:
    return SourceHealth(name, "source", "down", last_error="connection refused")


async def stop(task: asyncio.Task[None]) -> None:
    """As the app's exit or a SIGTERM stops the runtime: a cancellation."""
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


def kept(path: Path) -> list[tuple[str, str | None, str]]:
    store = Store(path)
    try:
        return [(e.subject, e.old, e.new) for e in store.journal()]
    finally:
        store.close()


async def test_the_engine_journals_and_a_restart_picks_up(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    runtime, heard = runtime_on(path, tmp_path)
    runtime.hub.push_health(down("yahoo"))
    task = asyncio.create_task(runtime.run())
    await heard.wait(1)
    await stop(task)
    assert [(e.subject, e.new, e.message) for e in heard.entries] == [
        ("yahoo", "down", "connection refused")
    ]
    # written before the engine closed the store: a new store on the file reads it
    assert kept(path) == [("yahoo", None, "down")]

    # The next run: yahoo still down is no new line; fred going down is, and yahoo coming
    # back is one more.
    runtime, heard = runtime_on(path, tmp_path)
    runtime.hub.push_health(down("yahoo"))
    task = asyncio.create_task(runtime.run())
    runtime.hub.push_health(down("fred"))
    await heard.wait(1)
    runtime.hub.push_health(SourceHealth("yahoo", "source", "ok", last_ok=1.0))
    await heard.wait(2)
    await stop(task)
    assert [(e.subject, e.old, e.new) for e in heard.entries] == [
        ("fred", None, "down"),
        ("yahoo", "down", "up"),
    ]
    assert kept(path) == [("yahoo", None, "down"), ("fred", None, "down"), ("yahoo", "down", "up")]


async def test_the_last_look_is_kept_when_the_runtime_stops(tmp_path: Path) -> None:
    """A change made just before the stop, which no periodic look has seen yet, is still
    journaled: the recorder looks once more and writes before the store closes."""
    path = tmp_path / "store.sqlite"
    runtime, heard = runtime_on(path, tmp_path)
    runtime.hub.push_health(down("yahoo"))
    task = asyncio.create_task(runtime.run())
    await heard.wait(1)
    runtime.hub.push_health(down("fred"))
    await stop(task)  # at once: the periodic look is most likely asleep
    assert [e.subject for e in heard.entries] == ["yahoo", "fred"]
    assert kept(path) == [("yahoo", None, "down"), ("fred", None, "down")]


# --- what the state carries for the board's journal pane --------------------------------


def test_the_store_reads_the_newest_entries_of_each_subject(tmp_path: Path) -> None:
    store = Store(tmp_path / "store.sqlite")
    try:
        store.save_journal([
            JournalEntry(float(n), "breakout", "^RUT" if n % 2 else "IWM", "52_week_high",
                         None, f"state {n}")
            for n in range(10)
        ])  # fmt: skip
        recent = store.journal_recent(per_subject=2)
    finally:
        store.close()
    assert [(e.subject, e.new) for e in recent] == [
        ("IWM", "state 6"),
        ("^RUT", "state 7"),
        ("IWM", "state 8"),
        ("^RUT", "state 9"),
    ]


async def test_the_state_carries_the_kept_journal_and_each_entry_once_written(
    tmp_path: Path,
) -> None:
    path = tmp_path / "store.sqlite"
    before = JournalEntry(1.0, "breakout", "^RUT", "52_week_high", "testing", "breakout",
                          2_512.5, 2_500.0, "gauge 61 risk-on")  # fmt: skip
    store = Store(path)
    store.save_journal([before])
    store.close()
    runtime, _ = runtime_on(path, tmp_path)
    recorder = runtime.journal
    journal = runtime.state().journal
    assert journal is not None
    assert journal.status == "loading"
    assert journal.of("^RUT") == ()

    await recorder.start()
    state = runtime.state()
    assert state.journal is not None
    assert state.journal.status == "kept"
    assert state.journal.of("^RUT") == (before,)
    assert state.version == runtime.version  # the poller compares the two
    assert state.version != (state.hub.version, state.analytics_version, journal.version)

    runtime.hub.push_health(down("yahoo"))
    recorder.observe()
    seen = runtime.state()
    assert seen.journal is not None
    assert seen.journal.of("yahoo") == ()  # made, not yet kept
    await recorder.save()
    written = runtime.state()
    assert written.journal is not None
    assert [(e.subject, e.new) for e in written.journal.of("yahoo")] == [("yahoo", "down")]
    assert written.version != seen.version  # the UI redraws for it with no new data
    assert written.version == runtime.version


def test_without_a_store_the_state_says_why_there_is_no_journal(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("[store]\nenabled = false\n")
    demo = JournalingRuntime(load_config(config), demo=True, producers=())
    journal = demo.state().journal
    assert journal is not None
    assert (journal.status, journal.detail) == ("unavailable", DEMO_KEEPS_NONE)
    off = JournalingRuntime(load_config(config), demo=False, producers=())
    journal = off.state().journal
    assert journal is not None
    assert (journal.status, journal.detail) == ("unavailable", NO_STORE)
