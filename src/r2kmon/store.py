"""The store: SQLite (WAL) under the platform data dir, so a restart starts with history.

Used by the runtime, always from a worker thread (``asyncio.to_thread``): it loads what was
kept into the hub before the producers start, and every ``persist_every_s`` it writes what
is new (closed bars, context values, alerts). Context values are kept as a history, which
is how IWM's shares outstanding build up into implied flows day after day.

Demo mode never opens the store: simulated prices must not mix with real ones.

Every failure of SQLite or the file system comes out of a method as :class:`StoreError`,
so the runtime can keep running without persistence and say why. A file SQLite itself
calls damaged (``SQLITE_CORRUPT``, ``SQLITE_NOTADB``: a torn write, a bad sector, another
program's bytes) is never repaired or deleted here: :func:`replace_damaged` renames it,
with its ``-wal``/``-shm``, to ``r2kmon.sqlite.damaged-<UTC time>`` beside a fresh store,
so whoever wants what it held can still try ``sqlite3 .recover`` on it.

Why over 400 lines: the schema, its reads and writes and the handling of a damaged or
unwritable file share one connection and one error rule, so they are kept in one module.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from r2kmon.model import (
    BAR_SECONDS,
    Alert,
    Bar,
    ContextValue,
    DatedSeries,
    HealthStatus,
    HubSnapshot,
    Interval,
    Sink,
)

# The journal's entry is a model type (the state carries entries to the UI); named here too.
from r2kmon.model.journal import JournalEntry as JournalEntry
from r2kmon.redact import redact

log = logging.getLogger(__name__)


DAMAGED_CODES = frozenset({sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB})
"""SQLite's primary result codes for "this file is broken", as opposed to a full disk, a
lock held by another process or a missing permission, which say nothing of the file."""


class StoreError(Exception):
    """A store operation failed (open, read or write), naming the file and why.

    ``damaged`` is true when SQLite says the file itself is broken: only then is it
    moved aside (:func:`replace_damaged`); other failures (a full disk, no permission)
    leave the file alone and may pass.
    """

    def __init__(self, message: str, *, damaged: bool = False) -> None:
        super().__init__(message)
        self.damaged = damaged


def _store_error(path: Path, doing: str, exc: sqlite3.Error | OSError) -> StoreError:
    code = getattr(exc, "sqlite_errorcode", None)
    # Extended codes carry the primary one in their low byte (SQLITE_CORRUPT_INDEX, ...).
    damaged = isinstance(code, int) and (code & 0xFF) in DAMAGED_CODES
    return StoreError(f"cannot {doing} the store {path}: {exc}", damaged=damaged)


SCHEMA = """
CREATE TABLE IF NOT EXISTS bars (
    symbol TEXT NOT NULL, interval TEXT NOT NULL, start REAL NOT NULL,
    open REAL NOT NULL, high REAL NOT NULL, low REAL NOT NULL, close REAL NOT NULL,
    volume REAL NOT NULL,
    PRIMARY KEY (symbol, interval, start)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS context (
    name TEXT NOT NULL, as_of REAL NOT NULL, value REAL NOT NULL, unit TEXT NOT NULL,
    source TEXT NOT NULL,
    PRIMARY KEY (name, as_of)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS alerts (
    ts REAL NOT NULL, level TEXT NOT NULL, source TEXT NOT NULL, message TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS journal (
    ts REAL NOT NULL, kind TEXT NOT NULL, subject TEXT NOT NULL, level TEXT NOT NULL,
    old TEXT, new TEXT NOT NULL, value REAL, reference REAL, message TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS journal_once ON journal (ts, kind, subject, level, new);
CREATE INDEX IF NOT EXISTS journal_subject ON journal (subject, ts);
"""

ALERTS_UNIQUE = """
DELETE FROM alerts WHERE rowid NOT IN (
    SELECT MIN(rowid) FROM alerts GROUP BY ts, level, source, message
);
CREATE UNIQUE INDEX IF NOT EXISTS alerts_once ON alerts (ts, level, source, message);
"""
"""An alert is kept once. Stores written before this index existed hold each alert once
per restart (the alerts loaded at start were saved again at the next write), so the
copies are removed, in one transaction with the index, the first time such a store is
opened."""


@contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[None]:
    """One transaction, committed at the end or rolled back on any error. The connection
    is in autocommit mode (``isolation_level=None``), where ``with db:`` would not begin
    one: each statement would be kept on its own, and a failure half-way would leave the
    first half written while the caller thinks nothing was."""
    db.execute("BEGIN")
    try:
        yield
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            try:
                db.execute("ROLLBACK")
            except sqlite3.Error as exc:  # the original error is the one worth raising
                log.warning("rolling back a failed write: %s", exc)
        raise


MINUTE_BARS_LOADED_S = 24 * 3600
"""At start, the last day of 1-minute bars (the sparklines' span) is loaded."""

STORE_SOURCE = "store"


class Store:
    """One SQLite file. Every method blocks: call it from a thread, never the event loop."""

    def __init__(self, path: Path) -> None:
        """Open (or create) the store at ``path``; :class:`StoreError` if that fails (not a
        database or damaged, no permission, a full disk), naming the file. Use
        :func:`open_store` to have a damaged file replaced instead."""
        self.path = path
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # One connection used from whichever worker thread runs the call, one call at a
            # time (the lock), so check_same_thread is relaxed on purpose.
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            with self._lock:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
                self._db.executescript(SCHEMA)
                if not self._db.execute(
                    "SELECT 1 FROM sqlite_schema WHERE name = 'alerts_once'"
                ).fetchone():
                    # IMMEDIATE: a second instance opening the same old store waits for
                    # this one's write lock, then finds nothing left to do.
                    self._db.executescript(f"BEGIN IMMEDIATE; {ALERTS_UNIQUE} COMMIT;")
        except (sqlite3.Error, OSError) as exc:
            self.close()  # a damaged file is moved aside next: no handle may stay on it
            raise _store_error(path, "open", exc) from exc
        self._saved_bars: dict[tuple[str, str], float] = {}
        self._saved_context: dict[str, float] = {}
        self._saved_alerts = float("-inf")

    def close(self) -> None:
        """Close the file (again is harmless: a store replaced after a failure is closed
        by whoever replaced it and may be closed once more at exit)."""
        with self._lock:
            if self._db is not None:
                try:
                    self._db.close()
                except sqlite3.Error as exc:
                    log.warning("closing the store %s: %s", self.path, exc)
                self._db = None

    @contextmanager
    def _using(self, doing: str) -> Iterator[sqlite3.Connection]:
        """The connection, under the lock; any failure becomes a :class:`StoreError`."""
        with self._lock:
            try:
                if self._db is None:
                    raise sqlite3.ProgrammingError("the store is closed")
                yield self._db
            except (sqlite3.Error, OSError) as exc:
                raise _store_error(self.path, doing, exc) from exc

    # --- writing ----------------------------------------------------------------------

    def save(self, snapshot: HubSnapshot, alerts: Sequence[Alert] = ()) -> int:
        """Write what is new since the last call: closed bars (the forming one is left
        for later), context values, alerts. Returns the number of rows written.

        Nothing counts as saved until the transaction commits, so rows a failed write
        (a full disk) could not keep are written by the next call that succeeds."""
        marks: dict[tuple[str, str], float] = {}
        bar_rows = list(self._new_bars("1m", snapshot.bars_1m, marks))
        bar_rows += self._new_bars("1d", snapshot.bars_1d, marks)
        context_rows = [
            (v.name, v.as_of, v.value, v.unit, v.source)
            for v in snapshot.context.values()
            if v.value is not None
            and v.as_of is not None
            and not v.simulated
            and v.as_of > self._saved_context.get(v.name, float("-inf"))
        ]
        # ">=": an alert noted later with the same time as the last one saved is still
        # new; those already kept are ignored by the unique index.
        alert_rows = [
            (a.ts, a.level, a.source, redact(a.message))
            for a in alerts
            if a.ts >= self._saved_alerts
        ]
        with self._using("write to") as db, _transaction(db):
            db.executemany("INSERT OR REPLACE INTO bars VALUES (?, ?, ?, ?, ?, ?, ?, ?)", bar_rows)
            db.executemany("INSERT OR REPLACE INTO context VALUES (?, ?, ?, ?, ?)", context_rows)
            written = sum(
                db.execute("INSERT OR IGNORE INTO alerts VALUES (?, ?, ?, ?)", row).rowcount
                for row in alert_rows
            )
        self._saved_bars.update(marks)
        for name, as_of, *_ in context_rows:
            self._saved_context[name] = as_of
        if alert_rows:
            self._saved_alerts = max(row[0] for row in alert_rows)
        return len(bar_rows) + len(context_rows) + written

    def _new_bars(
        self,
        interval: Interval,
        series: Mapping[str, tuple[Bar, ...]],
        marks: dict[tuple[str, str], float],
    ) -> Iterable[tuple[str, str, float, float, float, float, float, float]]:
        for symbol, bars in series.items():
            if len(bars) < 2:
                continue
            key = (symbol, interval)
            last = self._saved_bars.get(key, float("-inf"))
            # The last bar may still be forming; it is written once the next one starts.
            # New bars are at the end: walk back from there instead of over all history.
            first_new = len(bars) - 1
            while first_new > 0 and bars[first_new - 1].start > last:
                first_new -= 1
            for bar in bars[first_new:-1]:
                yield (symbol, interval, *bar)
            marks[key] = max(last, bars[-2].start)

    # --- reading ----------------------------------------------------------------------

    def load_into(self, sink: Sink, now: float, *, daily_since: float | None = None) -> int:
        """Push the kept bars (a day of 1-minute bars, every daily bar, or only those
        from ``daily_since`` on) and the latest context values into ``sink``; return how
        many bars were loaded."""
        since = {"1m": now - MINUTE_BARS_LOADED_S, "1d": daily_since or float("-inf")}
        loaded = 0
        with self._using("read") as db:
            rows = db.execute(
                "SELECT symbol, interval, start, open, high, low, close, volume FROM bars "
                "WHERE (interval = '1m' AND start >= ?) OR (interval = '1d' AND start >= ?) "
                "ORDER BY symbol, interval, start",
                (since["1m"], since["1d"]),
            ).fetchall()
            latest = db.execute(
                "SELECT name, MAX(as_of), value, unit, source FROM context GROUP BY name"
            ).fetchall()
        grouped: dict[tuple[str, str], list[Bar]] = {}
        for symbol, interval, *values in rows:
            grouped.setdefault((symbol, interval), []).append(Bar(*values))
        for (symbol, interval), bars in grouped.items():
            if interval in BAR_SECONDS:
                sink.push_bars(symbol, interval, bars, STORE_SOURCE)  # type: ignore[arg-type]
                self._saved_bars[(symbol, interval)] = bars[-1].start
                loaded += len(bars)
        for name, as_of, value, unit, source in latest:
            sink.push_context(ContextValue(name, value, unit, source, as_of))
            self._saved_context[name] = as_of
        return loaded

    def context_history(self, names: Sequence[str]) -> dict[str, DatedSeries]:
        """Every kept value of each named context series, oldest first (for the analytics,
        which make their own frames of it); a series with nothing kept is left out."""
        out: dict[str, DatedSeries] = {}
        with self._using("read") as db:
            for name in names:
                rows = db.execute(
                    "SELECT as_of, value FROM context WHERE name = ? ORDER BY as_of", (name,)
                ).fetchall()
                if rows:
                    out[name] = DatedSeries(
                        tuple(float(r[0]) for r in rows), tuple(float(r[1]) for r in rows)
                    )
        return out

    def alerts(self, limit: int = 200) -> list[Alert]:
        """The newest ``limit`` alerts, oldest first."""
        with self._using("read") as db:
            rows = db.execute(
                # rowid: alerts of the same second in the order they were noted
                "SELECT ts, level, source, message FROM alerts "
                "ORDER BY ts DESC, rowid DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [Alert(ts, level, source, message) for ts, level, source, message in reversed(rows)]

    # --- the signal journal -------------------------------------------------------------

    def save_journal(self, entries: Sequence[JournalEntry]) -> int:
        """Keep ``entries``; one already kept is ignored, so saving again after a failed
        or repeated write is harmless. Returns how many were new."""
        rows = [
            (e.ts, e.kind, e.subject, e.level, e.old, e.new, e.value, e.reference, e.message)
            for e in entries
        ]
        with self._using("write to") as db, _transaction(db):
            return sum(
                db.execute(
                    "INSERT OR IGNORE INTO journal VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", row
                ).rowcount
                for row in rows
            )

    def journal(
        self, *, since: float | None = None, subject: str | None = None
    ) -> list[JournalEntry]:
        """The journal, oldest first: from ``since`` on, of one ``subject`` only (a symbol,
        ``gauge`` or a source, in any case: ``^rut`` is ``^RUT``)."""
        query = (
            "SELECT ts, kind, subject, level, old, new, value, reference, message "
            "FROM journal WHERE ts >= ?"
        )
        params: list[object] = [since if since is not None else float("-inf")]
        if subject is not None:
            query += " AND subject = ? COLLATE NOCASE"
            params.append(subject)
        with self._using("read") as db:
            rows = db.execute(query + " ORDER BY ts, rowid", params).fetchall()
        return [JournalEntry(*row) for row in rows]

    def journal_recent(self, per_subject: int) -> list[JournalEntry]:
        """The newest ``per_subject`` entries of each subject, oldest first: what the
        board's journal pane starts with, without reading a journal kept for years."""
        with self._using("read") as db:
            rows = db.execute(
                "SELECT ts, kind, subject, level, old, new, value, reference, message FROM ("
                "SELECT *, rowid AS id, ROW_NUMBER() OVER "
                "(PARTITION BY subject ORDER BY ts DESC, rowid DESC) AS n FROM journal"
                ") WHERE n <= ? ORDER BY ts, id",
                (per_subject,),
            ).fetchall()
        return [JournalEntry(*row) for row in rows]

    def journal_states(self) -> dict[tuple[str, str, str], str]:
        """The last state the journal kept of each thing that has one (a level of a symbol,
        the gauge, a source): where a restart picks up, so a change made while nothing
        ran is journaled and an unchanged state is not journaled again."""
        with self._using("read") as db:
            rows = db.execute(
                # SQLite takes the bare columns from the row holding the MAX.
                "SELECT kind, subject, level, new, MAX(ts) FROM journal "
                "WHERE kind != 'alert' GROUP BY kind, subject, level"
            ).fetchall()
        return {(kind, subject, level): new for kind, subject, level, new, _ in rows}


# --- failures -------------------------------------------------------------------------

COMPANIONS = ("-wal", "-shm", "-journal")
"""SQLite's files beside a database: its write-ahead log, the log's index, the rollback
journal."""


@dataclass(frozen=True, slots=True)
class StoreEvent:
    """Something that happened to the store, to be told once: the ``store`` source's
    health, a line in the alert log and one in the log file.

    ``status`` is ``ok`` when the store works again (a damaged file was replaced by a
    fresh one), ``down`` while nothing is being kept."""

    status: HealthStatus
    message: str


def move_aside(path: Path, when: float) -> Path:
    """Rename the store at ``path`` and its companions to ``<name>.damaged-<UTC time>``
    beside it (never delete: what it held may still be recovered); return the new path.

    Each companion keeps its suffix after the new name, so SQLite opening the moved file
    still finds its WAL. The companions go first: a fresh store at ``path`` must never
    pick up the damaged one's WAL, which SQLite would replay into it."""
    stamp = datetime.fromtimestamp(when, UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.damaged-{stamp}")
    count = 1
    while any(Path(f"{target}{suffix}").exists() for suffix in ("", *COMPANIONS)):
        count += 1  # damaged twice within a second: keep both
        target = path.with_name(f"{path.name}.damaged-{stamp}-{count}")
    for suffix in COMPANIONS:
        companion = Path(f"{path}{suffix}")
        if companion.exists():
            companion.rename(f"{target}{suffix}")
    path.rename(target)
    return target


def replace_damaged(path: Path, error: StoreError, when: float) -> tuple[Store | None, StoreEvent]:
    """Move the damaged file at ``path`` aside (:func:`move_aside`) and start a fresh
    store in its place; the store to go on with (none if that failed too) and what to say.
    The damaged store must be closed already."""
    try:
        aside = move_aside(path, when)
    except OSError as exc:
        return None, StoreEvent(
            "down",
            f"{error}; the file is damaged and could not be moved aside ({exc}): "
            "running without stored history",
        )
    try:
        fresh = Store(path)
    except StoreError as exc:
        return None, StoreEvent(
            "down",
            f"{error}; the damaged file was moved aside to {aside}, but a fresh store "
            f"could not be started ({exc}): running without stored history",
        )
    return fresh, StoreEvent(
        "ok",
        f"{error}; the file is damaged: moved aside to {aside}, and a fresh store started",
    )


def open_store(path: Path, when: float) -> tuple[Store | None, StoreEvent | None]:
    """The store at ``path``, a fresh one in place of a damaged file, or none (with why)
    when it cannot be opened at all (no permission, a directory that cannot be made)."""
    try:
        return Store(path), None
    except StoreError as exc:
        if exc.damaged:
            return replace_damaged(path, exc, when)
        return None, StoreEvent("down", f"{exc}; running without stored history")


def after_failure(store: Store, error: StoreError, when: float) -> tuple[Store | None, StoreEvent]:
    """The store to go on with after ``error`` from ``store``, and what to say.

    A damaged file is replaced (:func:`replace_damaged`); any other failure (a full disk,
    a lock held too long, a permission taken away) may pass, so the same store is kept
    and tried again at the next write, with the store source ``down`` meanwhile."""
    if not error.damaged:
        return store, StoreEvent("down", f"{error}; trying again at the next write")
    store.close()
    return replace_damaged(store.path, error, when)
