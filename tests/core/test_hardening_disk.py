"""A damaged disk and bad local files (issue #12): r2kmon stays up and says what happened.

The store: a file whose pages are damaged is moved aside (never deleted) and a fresh
store started, whether the damage is met at open, at the first read or at a write; the
runtime starts all the same and the ``store`` source says what happened. Alerts are kept
once however often the app restarts.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from r2kmon.clock import FrozenClock
from r2kmon.config import EXCHANGES, PROVIDERS, Config, parse_config
from r2kmon.hub import Hub
from r2kmon.model import Alert, Bar, Sink, SourceHealth, Tick
from r2kmon.runtime import Runtime, open_history
from r2kmon.runtime.statusline import fallback_path, read_status, status_file
from r2kmon.store import Store, StoreError, move_aside
from tests.core.test_cli import dead_endpoints_config, r2kmon
from tests.fakes.sinks import wait_until

T0 = 1_794_927_600.0  # Tuesday 2026-11-17 15:00:00 UTC
DAY = 86_400.0
PAGE = 4096
STAMP = "20261117T150000Z"  # T0 as the moved-aside file's suffix
SYMBOLS = ("^RUT", "IWM", "SPY", "BTC-USD", "ETH-USD")


def write_store(path: Path, alerts: tuple[Alert, ...] = ()) -> None:
    """A real store with five years of daily bars for five symbols (about 100 pages)."""
    hub = Hub(FrozenClock(T0), simulated=False)
    for symbol in SYMBOLS:
        bars = [Bar(T0 - (1800 - i) * DAY, 1.0, 2.0, 0.5, 1.0 + i, 10.0) for i in range(1800)]
        hub.push_bars(symbol, "1d", bars, "yahoo")
    store = Store(path)
    store.save(hub.snapshot(), alerts)
    store.close()


def damage_pages(path: Path, pages: range) -> None:
    """Overwrite the page header of each of ``pages`` (numbered from 1, as SQLite does),
    as a torn write or a bad sector would; the file header (page 1) stays intact."""
    assert 1 not in pages
    data = bytearray(path.read_bytes())
    for page in pages:
        data[(page - 1) * PAGE : (page - 1) * PAGE + 8] = b"\x5a" * 8
    path.write_bytes(bytes(data))


def damaged_store(path: Path) -> bytes:
    """A store whose header is intact and whose middle pages are damaged; its bytes."""
    write_store(path)
    count = path.stat().st_size // PAGE
    assert count > 50
    damage_pages(path, range(count // 3, 2 * count // 3))
    db = sqlite3.connect(path)
    try:
        # The file still opens as a database; reading its bars meets the damage.
        assert db.execute("PRAGMA page_count").fetchone() == (count,)
        with pytest.raises(sqlite3.DatabaseError) as meeting:
            db.execute("SELECT count(*) FROM bars").fetchall()
        assert meeting.value.sqlite_errorname == "SQLITE_CORRUPT"
    finally:
        db.close()
    return path.read_bytes()


def store_config(tmp_path: Path, path: Path) -> Config:
    """A config keeping its store at ``path``, with every exchange and provider off (the
    runtime then starts no producer: nothing here may reach the internet)."""
    lines = [f"[exchanges.{name}]\nenabled = false" for name in EXCHANGES]
    lines += [f"[providers.{name}]\nenabled = false" for name in PROVIDERS]
    lines.append(f'[store]\npath = "{path}"')
    return parse_config("\n".join(lines) + "\n", tmp_path / "c.toml")


def assert_fresh_store_beside_the_damaged_one(path: Path, damaged: bytes) -> None:
    aside = path.with_name(f"{path.name}.damaged-{STAMP}")
    assert aside.read_bytes() == damaged  # moved, not repaired, not deleted
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        db.close()


def test_damaged_pages_met_at_the_first_read_give_a_fresh_store(tmp_path: Path) -> None:
    path = tmp_path / "r2kmon.sqlite"
    damaged = damaged_store(path)
    hub, store = open_history(store_config(tmp_path, path), demo=False, clock=FrozenClock(T0))
    assert store is not None  # a fresh store, so the app keeps what it gets from now on
    health = hub.snapshot().health["store"]
    assert health.status == "ok"
    assert health.last_error is not None
    assert "database disk image is malformed" in health.last_error
    assert f"moved aside to {path}.damaged-{STAMP}" in health.last_error
    store.close()
    assert_fresh_store_beside_the_damaged_one(path, damaged)


def test_a_file_that_is_no_database_is_moved_aside_at_open(tmp_path: Path) -> None:
    path = tmp_path / "r2kmon.sqlite"
    damaged = b"this is not a database" * 100
    path.write_bytes(damaged)
    hub, store = open_history(store_config(tmp_path, path), demo=False, clock=FrozenClock(T0))
    assert store is not None
    store.close()
    health = hub.snapshot().health["store"]
    assert health.status == "ok"
    assert health.last_error is not None
    assert "file is not a database" in health.last_error
    assert_fresh_store_beside_the_damaged_one(path, damaged)


def test_moving_aside_takes_the_companions_and_never_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "r2kmon.sqlite"
    for n in (1, 2):
        path.write_text(f"main {n}")
        Path(f"{path}-wal").write_text(f"wal {n}")
        Path(f"{path}-shm").write_text(f"shm {n}")
        moved = move_aside(path, T0)
        # The companions keep their suffix after the new name: SQLite opening the moved
        # file finds its write-ahead log.
        assert moved.read_text() == f"main {n}"
        assert Path(f"{moved}-wal").read_text() == f"wal {n}"
        assert Path(f"{moved}-shm").read_text() == f"shm {n}"
    assert sorted(f.name for f in tmp_path.iterdir()) == [
        f"r2kmon.sqlite.damaged-{STAMP}",
        f"r2kmon.sqlite.damaged-{STAMP}-2",
        f"r2kmon.sqlite.damaged-{STAMP}-2-shm",
        f"r2kmon.sqlite.damaged-{STAMP}-2-wal",
        f"r2kmon.sqlite.damaged-{STAMP}-shm",
        f"r2kmon.sqlite.damaged-{STAMP}-wal",
    ]


def test_a_store_that_cannot_be_opened_leaves_the_app_without_persistence(
    tmp_path: Path,
) -> None:
    # The store's directory cannot be made: its parent is a regular file (this holds
    # for root too, unlike a read-only directory).
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file")
    path = blocker / "r2kmon.sqlite"
    hub, store = open_history(store_config(tmp_path, path), demo=False, clock=FrozenClock(T0))
    assert store is None
    health = hub.snapshot().health["store"]
    assert health.status == "down"
    assert health.last_error is not None
    assert str(path) in health.last_error
    assert "running without stored history" in health.last_error
    assert blocker.read_text() == "a file"


class Prices:
    """A producer that pushes one BTC-USD tick a minute apart twice (a closed bar) and
    then idles, like a feed that answered."""

    name = "test-feed"

    async def run(self, sink: Sink) -> None:
        for i in range(2):
            sink.push_ticks([Tick("BTC-USD", Decimal(100 + i), T0 - 60 + 60 * i, "test-feed")])
        sink.push_health(SourceHealth(self.name, "feed", "ok", last_ok=T0))
        await asyncio.Event().wait()


async def test_the_runtime_starts_on_a_damaged_store(tmp_path: Path) -> None:
    path = tmp_path / "r2kmon.sqlite"
    damaged = damaged_store(path)
    # The runtime opens the store the config names, as the app does.
    runtime = Runtime(store_config(tmp_path, path), demo=False, clock=FrozenClock(T0))
    assert runtime.producers == ()
    task = asyncio.create_task(runtime.run())
    try:
        async with asyncio.timeout(20):
            assert await runtime.wait_answered(20)  # the runtime came up
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)  # saves as it stops
    state = runtime.state()
    assert state.market is not None
    health = state.hub.health["store"]
    assert health.status == "ok"
    assert health.last_error is not None
    assert "damaged" in health.last_error
    # said once in the alert log (the health view's alert pane, saved with the rest)
    said = [a for a in state.alerts if a.source == "store"]
    assert [a.message for a in said] == [health.last_error]
    assert_fresh_store_beside_the_damaged_one(path, damaged)
    kept = Store(path)
    try:
        assert kept.alerts() == said  # the fresh store keeps what happens from now on
    finally:
        kept.close()


async def test_damage_met_at_a_write_gives_a_fresh_store_with_what_the_hub_holds(
    tmp_path: Path,
) -> None:
    path = tmp_path / "r2kmon.sqlite"
    before = (Alert(T0 - DAY, "info", "binance", "back to ok"),)
    write_store(path, before)
    db = sqlite3.connect(path)
    (root,) = db.execute("SELECT rootpage FROM sqlite_schema WHERE name = 'alerts'").fetchone()
    db.close()
    damage_pages(path, range(root, root + 1))  # the alerts table, not its index
    # Reading at start does not meet the damage (the newest alerts come from the index):
    probe = Store(path)
    assert probe.alerts() == list(before)
    probe.close()
    runtime = Runtime(
        Config(),
        demo=False,
        clock=FrozenClock(T0),
        producers=[Prices()],
        store=Store(path),
        persist_every_s=0.01,
    )
    task = asyncio.create_task(runtime.run())
    try:
        async with asyncio.timeout(20):
            assert await runtime.wait_answered(20)
            runtime.analysis.note(Alert(T0, "error", "kraken", "down: refused"))
            # the next write meets the damaged page
            await wait_until(lambda: "store" in runtime.hub.snapshot().health, timeout=20)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    health = runtime.hub.snapshot().health["store"]
    assert health.status == "ok", health
    assert health.last_error is not None
    assert "database disk image is malformed" in health.last_error
    assert f"moved aside to {path}.damaged-{STAMP}" in health.last_error
    assert Path(f"{path}.damaged-{STAMP}").exists()  # noqa: ASYNC240 - a test's check
    fresh = Store(path)
    try:
        # What the runtime held went into the fresh store: the alerts loaded at start,
        # the new one, the store's own line; the bars loaded at start and the feed's
        # closed minute bar (a bar still forming is never written).
        messages = [a.message for a in fresh.alerts()]
        assert sorted(messages) == sorted(["back to ok", "down: refused", health.last_error])
        restored = Hub(FrozenClock(T0), simulated=False)
        fresh.load_into(restored, T0)
        held, kept = runtime.hub.snapshot(), restored.snapshot()
        assert kept.bars_1m["BTC-USD"] == held.bars_1m["BTC-USD"][:-1]
        assert set(kept.bars_1d) == set(SYMBOLS)
        for symbol in SYMBOLS:
            assert kept.bars_1d[symbol] == held.bars_1d[symbol][:-1]
    finally:
        fresh.close()


def test_snapshot_runs_on_a_damaged_store_and_says_what_happened(tmp_path: Path) -> None:
    path = tmp_path / "data" / "r2kmon.sqlite"
    path.parent.mkdir()
    damaged = damaged_store(path)
    config = dead_endpoints_config(tmp_path)
    with config.open("a") as file:
        file.write(f'[store]\npath = "{path}"\n')
    out = r2kmon("snapshot", "--json", "--wait", "3", "--config", str(config), timeout=60)
    assert "Traceback" not in out.stderr
    doc = json.loads(out.stdout)
    assert doc["market"] is not None  # the runtime ran (it was never reached before)
    assert doc["health"]["binance"]["status"] in ("connecting", "down")
    store = doc["health"]["store"]
    assert store["status"] == "ok"
    assert "database disk image is malformed" in store["last_error"]
    [aside] = path.parent.glob("r2kmon.sqlite.damaged-*")
    assert f"moved aside to {aside}" in store["last_error"]
    assert aside.read_bytes() == damaged
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        db.close()


# --- alerts are kept once ------------------------------------------------------------


async def test_restarts_keep_each_alert_once(tmp_path: Path) -> None:
    path = tmp_path / "r2kmon.sqlite"
    noted: list[Alert] = []
    for restart in range(5):
        runtime = Runtime(
            Config(), demo=False, clock=FrozenClock(T0), producers=[], store=Store(path)
        )
        task = asyncio.create_task(runtime.run())
        try:
            async with asyncio.timeout(20):
                assert await runtime.wait_answered(20)  # the stored alerts are loaded
            assert list(runtime.analysis.alerts) == noted
            for n in range(3):
                alert = Alert(T0 + 10 * restart + n, "warning", "src", f"stale: run {restart}")
                runtime.analysis.note(alert)
                noted.append(alert)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)  # saves as it stops
    db = sqlite3.connect(path)
    try:
        rows = db.execute("SELECT ts, level, source, message FROM alerts ORDER BY rowid").fetchall()
    finally:
        db.close()
    assert len(rows) == len(noted) == 15
    assert [Alert(*row) for row in rows] == noted


def test_a_store_with_doubled_alerts_is_cleaned_when_opened(tmp_path: Path) -> None:
    path = tmp_path / "r2kmon.sqlite"
    alerts = [Alert(T0, "error", "binance", "down: refused"), Alert(T0 + 5, "info", "x", "ok")]
    # A store as written before alerts were kept once: the same rows many times over.
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE alerts (ts REAL NOT NULL, level TEXT NOT NULL, source TEXT NOT NULL,"
        " message TEXT NOT NULL)"
    )
    for _ in range(8):
        db.executemany(
            "INSERT INTO alerts VALUES (?, ?, ?, ?)",
            [(a.ts, a.level, a.source, a.message) for a in alerts],
        )
    db.commit()
    db.close()
    store = Store(path)
    try:
        assert store.alerts() == alerts
        assert store.save(Hub(FrozenClock(T0), simulated=False).snapshot(), alerts) == 0
    finally:
        store.close()
    db = sqlite3.connect(path)
    try:
        assert db.execute("SELECT count(*) FROM alerts").fetchone() == (2,)
    finally:
        db.close()


async def test_a_write_that_fails_for_a_while_is_said_and_retried(tmp_path: Path) -> None:
    path = tmp_path / "r2kmon.sqlite"
    runtime = Runtime(
        Config(),
        demo=False,
        clock=FrozenClock(T0),
        producers=[Prices()],
        store=Store(path),
        persist_every_s=0.05,
    )
    task = asyncio.create_task(runtime.run())
    # Another program holds the write lock: every write waits SQLite's busy timeout (5 s)
    # and fails. Nothing is wrong with the file, so it stays where it is.
    other = sqlite3.connect(path, isolation_level=None)
    try:
        async with asyncio.timeout(40):
            assert await runtime.wait_answered(20)
            other.execute("BEGIN EXCLUSIVE")
            # a bar closes: there is something to write
            runtime.hub.push_ticks([Tick("BTC-USD", Decimal(102), T0 + 60, "test-feed")])
            await wait_until(lambda: "store" in runtime.hub.snapshot().health, timeout=20)
            down = runtime.hub.snapshot().health["store"]
            assert down.status == "down"
            assert down.last_error is not None
            assert "database is locked" in down.last_error
            assert str(path) in down.last_error
            other.execute("COMMIT")  # the lock is released: the next write gets through
            await wait_until(
                lambda: runtime.hub.snapshot().health["store"].status == "ok", timeout=20
            )
    finally:
        other.close()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    said = [a for a in runtime.analysis.alerts if a.source == "store"]
    assert [(a.level, a.message) for a in said][:1] == [("error", down.last_error)]
    assert not list(tmp_path.glob("*.damaged-*"))  # noqa: ASYNC240 - a test's check


async def test_a_store_that_could_not_be_opened_is_opened_when_the_fault_ends(
    tmp_path: Path,
) -> None:
    # The data dir cannot be made at the start: its path is a regular file (this stops
    # root too, unlike a read-only directory). Once it can, the next write opens the
    # store and keeps what the app holds, with no restart.
    data = tmp_path / "data"
    data.write_text("not a directory")
    path = data / "r2kmon.sqlite"
    runtime = Runtime(
        store_config(tmp_path, path), demo=False, clock=FrozenClock(T0), persist_every_s=0.05
    )
    task = asyncio.create_task(runtime.run())
    try:
        async with asyncio.timeout(40):
            assert await runtime.wait_answered(20)
            down = runtime.hub.snapshot().health["store"]
            assert down.status == "down"
            assert down.last_error is not None
            assert str(path) in down.last_error
            data.unlink()  # the fault ends
            data.mkdir()
            await wait_until(
                lambda: runtime.hub.snapshot().health["store"].status == "ok", timeout=20
            )
            assert runtime.store is not None
            assert runtime.store.path == path
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)  # saves as it stops
    kept = Store(path)
    try:
        # written again: the alert log's line of the failure is in the store
        assert down.last_error in [a.message for a in kept.alerts()]
    finally:
        kept.close()


def test_what_a_failed_write_could_not_keep_is_written_by_the_next(tmp_path: Path) -> None:
    path = tmp_path / "r2kmon.sqlite"
    store = Store(path)
    hub = Hub(FrozenClock(T0), simulated=False)
    hub.push_ticks([Tick("BTC-USD", Decimal(100), T0 - 60, "test-feed")])
    hub.push_ticks([Tick("BTC-USD", Decimal(101), T0, "test-feed")])  # the first bar closed
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")  # another program holds the write lock
        with pytest.raises(StoreError, match="database is locked") as failed:
            store.save(hub.snapshot())
        assert not failed.value.damaged
        other.execute("COMMIT")
        assert store.save(hub.snapshot()) == 1
    finally:
        other.close()
        store.close()
    kept = Store(path)
    try:
        restored = Hub(FrozenClock(T0), simulated=False)
        assert kept.load_into(restored, T0) == 1
        assert restored.snapshot().bars_1m["BTC-USD"] == hub.snapshot().bars_1m["BTC-USD"][:1]
    finally:
        kept.close()


# --- config files --------------------------------------------------------------------

DEEP = 100_000

BAD_CONFIGS: dict[str, tuple[bytes, str]] = {
    # name: (the file's bytes, what the one line must say)
    "binary": (bytes(range(256)) * 40, "not a text file (it holds NUL bytes)"),
    "latin-1": ("[general]\ntheme = 'café'\n".encode("latin-1"), ":2: not UTF-8 text (byte 0xe9)"),
    "utf-16": ('[general]\nlog_level = "INFO"\n'.encode("utf-16"), "saved as UTF-16"),
    "utf-16 without BOM": ('[general]\nlog_level = "INFO"\n'.encode("utf-16-le"), "UTF-16"),
    "deep array": (
        ("x = " + "[" * DEEP + "]" * DEEP + "\n").encode(),
        ":1: arrays or inline tables nested more than 16 deep",
    ),
    "deep inline table": (
        ("x = " + "{a=" * DEEP + "1" + "}" * DEEP + "\n").encode(),
        ":1: arrays or inline tables nested more than 16 deep",
    ),
    # the file: 400 KB, one key of 200,000 parts (past 120 s and 8.4 GB before)
    "200,000-part dotted key": (
        ("a." * 200_000 + "a = 1\n").encode(),
        ":1: a dotted key of more than 16 parts",
    ),
    "deep table header": (
        ("[general]\n[" + "x." * 1000 + "y]\n").encode(),
        ":2: a dotted key of more than 16 parts",
    ),
    "2 MB": (b"# a comment\n" * 170_000, "more than 1,000,000 bytes"),
    "1,001 crypto symbols": (
        ("[crypto]\nsymbols = [" + ",".join(f'"C{i}-USD"' for i in range(1001)) + "]\n").encode(),
        ":2: key 'crypto.symbols': 1,001 symbols; at most 1,000",
    ),
    "101 market symbols": (
        ("[markets]\nsymbols = [" + ",".join(f'"T{i}"' for i in range(101)) + "]\n").encode(),
        ":2: key 'markets.symbols': 101 symbols; at most 100",
    ),
    # TOML allows escapes in quoted keys: the message shows them, the terminal gets none
    "escape sequence in a key": (
        b'"bad\\u001b]0;pwned\\u0007key" = 1\n',
        "key 'bad\\x1b]0;pwned\\x07key': unknown section",
    ),
}


@pytest.mark.parametrize("name", list(BAD_CONFIGS))
def test_a_bad_config_file_is_one_line_and_exit_2(tmp_path: Path, name: str) -> None:
    content, said = BAD_CONFIGS[name]
    config = tmp_path / "config.toml"
    config.write_bytes(content)
    # The subprocess timeout bounds the run: a parser gone quadratic fails the test.
    out = r2kmon("config", "check", "--config", str(config), timeout=30)
    assert out.returncode == 2
    assert out.stdout == ""
    assert "Traceback" not in out.stderr
    [line] = out.stderr.splitlines()
    assert line.startswith(f"r2kmon: Bad config: {config}")
    assert said in line
    assert "\x1b" not in out.stderr
    assert "\x07" not in out.stderr


def test_the_shape_check_counts_only_structure(tmp_path: Path) -> None:
    # Brackets and dots inside strings and comments are text, not structure: a config
    # full of them is fine, and so are r2kmon's own deepest keys.
    config = tmp_path / "config.toml"
    config.write_text(
        "# [[[[[[[[[[[[[[[[[[[[ a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r\n"
        "[general]\n"
        # (braces in a literal string: the theme, where they once were, is now checked)
        f'alert_command = ["echo", "{"[" * 40}", "{"a." * 40}", \'{"{" * 40}\']\n'
        '[exchanges.binance]\nurl = "wss://a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t:9443"\n'
        '[breakout.symbols."BTC-USD"]\nconfirm_closes = 3\n'
        "[gauge]\n"
        "weights = {  }\n"
    )
    out = r2kmon("config", "check", "--config", str(config), timeout=30)
    assert out.returncode == 0, out.stderr
    assert "config OK" in out.stdout


# --- the log, the status file ---------------------------------------------------------


def test_snapshot_with_a_log_dir_that_cannot_be_made_logs_elsewhere_and_says_so(
    tmp_path: Path,
) -> None:
    state = tmp_path / "state"
    state.write_text("a file where the log dir's parent should be")  # as root too
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    config = dead_endpoints_config(tmp_path)
    out = r2kmon(
        "snapshot", "--json", "--wait", "2", "--config", str(config),
        env={"XDG_STATE_HOME": str(state), "TMPDIR": str(temporary)},
    )  # fmt: skip
    assert "Traceback" not in out.stderr
    json.loads(out.stdout)  # the command ran to the end
    about_the_log = [line for line in out.stderr.splitlines() if "log file" in line]
    [log] = temporary.glob("r2kmon-log-*/r2kmon.log")
    assert about_the_log == [
        f"r2kmon: cannot write the log file {state}/r2kmon/log/r2kmon.log (Not a directory); "
        f"logging to {log}"
    ]
    assert "connection refused" in log.read_text()  # the records went there


def test_snapshot_with_a_full_log_disk_says_it_once(tmp_path: Path) -> None:
    state = tmp_path / "state"
    folder = state / "r2kmon" / "log"
    folder.mkdir(parents=True)
    # Every write to the log file fails as on a full disk (ENOSPC), for root too.
    (folder / "r2kmon.log").symlink_to("/dev/full")
    config = dead_endpoints_config(tmp_path)
    out = r2kmon(
        "snapshot", "--json", "--wait", "2", "--config", str(config),
        env={"XDG_STATE_HOME": str(state)},
    )  # fmt: skip
    assert "Traceback" not in out.stderr
    assert "Logging error" not in out.stderr
    json.loads(out.stdout)
    about_the_log = [line for line in out.stderr.splitlines() if "log file" in line]
    assert about_the_log == [
        f"r2kmon: cannot write the log file {folder / 'r2kmon.log'} (No space left on device);"
        " logging stops"
    ]


FULL_DISK = """
import resource, sys
from pathlib import Path
from r2kmon.runtime.statusline import write_status
# From here no file of this process may grow: every write fails as on a full disk.
resource.setrlimit(resource.RLIMIT_FSIZE, (0, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
try:
    write_status(Path(sys.argv[1]), {"written_at": 2.0, "quotes": {}})
except OSError as exc:
    print(exc.strerror)
"""


def test_a_status_write_on_a_full_disk_leaves_no_partial_file(tmp_path: Path) -> None:
    path = tmp_path / "data" / "status.json"
    path.parent.mkdir()
    path.write_text(json.dumps({"written_at": 1.0, "quotes": {}}))
    out = subprocess.run(
        [sys.executable, "-c", FULL_DISK, str(path)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert out.stdout.strip() == "File too large", out.stderr
    assert sorted(p.name for p in path.parent.iterdir()) == ["status.json"]
    assert read_status(path) == {"written_at": 1.0, "quotes": {}}  # the last good one
    fallback = fallback_path(path)
    assert not fallback.parent.exists() or list(fallback.parent.iterdir()) == []


async def test_status_line_finds_the_app_when_the_data_dir_cannot_be_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The data dir cannot be made: its parent is a regular file (a read-only directory
    # would not stop root).
    blocked = tmp_path / "data-home"
    blocked.write_text("a file")
    monkeypatch.setenv("XDG_DATA_HOME", str(blocked))  # for status-line below, too
    path = status_file(demo=True)
    runtime = Runtime(Config(), demo=True, status_file=path)
    task = asyncio.create_task(runtime.run())
    try:
        async with asyncio.timeout(30):
            await wait_until(
                lambda: "BTC-USD" in (read_status(path) or {}).get("quotes", {}), timeout=30
            )
            shown = await asyncio.to_thread(r2kmon, "--demo", "status-line", "--symbols", "BTC-USD")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert shown.returncode == 0, shown.stdout
    assert shown.stdout.startswith("BTC-USD ")
    assert "SIMULATED" in shown.stdout


def test_the_newer_of_the_two_status_files_wins(tmp_path: Path) -> None:
    path = tmp_path / "status.json"
    fallback = fallback_path(path)
    assert fallback.parent != path.parent
    fallback.parent.mkdir(parents=True)
    old, new = {"written_at": 1.0, "quotes": {}}, {"written_at": 2.0, "quotes": {}}
    path.write_text(json.dumps(old))  # left by a run when the data dir was writable
    fallback.write_text(json.dumps(new))
    assert read_status(path) == new
    path.write_text(json.dumps({"written_at": 3.0}))  # writable again
    assert read_status(path) == {"written_at": 3.0}
    path.unlink()
    assert read_status(path) == new
