"""The store: SQLite (WAL) under the platform data dir, so a restart starts with history.

Used by the runtime, always from a worker thread (``asyncio.to_thread``): it loads what was
kept into the hub before the producers start, and every ``persist_every_s`` it writes what
is new (closed bars, context values, alerts). Context values are kept as a history, which
is how IWM's shares outstanding build up into implied flows day after day.

Demo mode never opens the store: simulated prices must not mix with real ones.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from r2kmon.model import BAR_SECONDS, Bar, ContextValue, HubSnapshot, Interval, Sink
from r2kmon.state import Alert

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)


class StoreError(Exception):
    """The store file cannot be opened: the app runs without stored history and says so."""


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

MINUTE_BARS_LOADED_S = 24 * 3600
"""At start, the last day of 1-minute bars (the sparklines' span) is loaded."""

STORE_SOURCE = "store"


class Store:
    """One SQLite file. Every method blocks: call it from a thread, never the event loop."""

    def __init__(self, path: Path) -> None:
        """Open (or create) the store at ``path``; :class:`StoreError` if that fails (not a
        database, no permission, a full disk), naming the file."""
        self.path = path
        self._lock = threading.Lock()
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
            raise StoreError(f"cannot open the store {path}: {exc}") from exc
        self._saved_bars: dict[tuple[str, str], float] = {}
        self._saved_context: dict[str, float] = {}
        self._saved_alerts = float("-inf")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # --- writing ----------------------------------------------------------------------

    def save(self, snapshot: HubSnapshot, alerts: Sequence[Alert] = ()) -> int:
        """Write what is new since the last call: closed bars (the forming one is left
        for later), context values, alerts. Returns the number of rows written."""
        bar_rows = list(self._new_bars("1m", snapshot.bars_1m))
        bar_rows += self._new_bars("1d", snapshot.bars_1d)
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
            (a.ts, a.level, a.source, a.message) for a in alerts if a.ts >= self._saved_alerts
        ]
        with self._lock, self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO bars VALUES (?, ?, ?, ?, ?, ?, ?, ?)", bar_rows
            )
            self._db.executemany(
                "INSERT OR REPLACE INTO context VALUES (?, ?, ?, ?, ?)", context_rows
            )
            written = sum(
                self._db.execute("INSERT OR IGNORE INTO alerts VALUES (?, ?, ?, ?)", row).rowcount
                for row in alert_rows
            )
        for name, as_of, *_ in context_rows:
            self._saved_context[name] = as_of
        if alert_rows:
            self._saved_alerts = max(row[0] for row in alert_rows)
        return len(bar_rows) + len(context_rows) + written

    def _new_bars(
        self, interval: Interval, series: Mapping[str, tuple[Bar, ...]]
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
            self._saved_bars[key] = max(last, bars[-2].start)

    # --- reading ----------------------------------------------------------------------

    def load_into(self, sink: Sink, now: float, *, daily_since: float | None = None) -> int:
        """Push the kept bars (a day of 1-minute bars, every daily bar, or only those
        from ``daily_since`` on) and the latest context values into ``sink``; return how
        many bars were loaded."""
        since = {"1m": now - MINUTE_BARS_LOADED_S, "1d": daily_since or float("-inf")}
        loaded = 0
        with self._lock:
            rows = self._db.execute(
                "SELECT symbol, interval, start, open, high, low, close, volume FROM bars "
                "WHERE (interval = '1m' AND start >= ?) OR (interval = '1d' AND start >= ?) "
                "ORDER BY symbol, interval, start",
                (since["1m"], since["1d"]),
            ).fetchall()
            latest = self._db.execute(
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

    def context_history(self, names: Sequence[str]) -> dict[str, pd.Series]:
        """Every kept value of each named context series, by date (for the analytics)."""
        import pandas as pd  # here, not at import: the UI opens the store before pandas loads

        out: dict[str, pd.Series] = {}
        with self._lock:
            for name in names:
                rows = self._db.execute(
                    "SELECT as_of, value FROM context WHERE name = ? ORDER BY as_of", (name,)
                ).fetchall()
                if rows:
                    index = pd.to_datetime([r[0] for r in rows], unit="s")
                    out[name] = pd.Series([r[1] for r in rows], index=index, dtype=float)
        return out

    def alerts(self, limit: int = 200) -> list[Alert]:
        """The newest ``limit`` alerts, oldest first."""
        with self._lock:
            rows = self._db.execute(
                # rowid: alerts of the same second in the order they were noted
                "SELECT ts, level, source, message FROM alerts "
                "ORDER BY ts DESC, rowid DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [Alert(ts, level, source, message) for ts, level, source, message in reversed(rows)]
