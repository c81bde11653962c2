"""A damaged disk and bad local files (issue #12): r2kmon stays up and says what happened.

Alerts are kept once however often the app restarts.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from r2kmon.clock import FrozenClock
from r2kmon.config import Config
from r2kmon.hub import Hub
from r2kmon.runtime import Runtime
from r2kmon.state import Alert
from r2kmon.store import Store

T0 = 1_794_927_600.0  # Tuesday 2026-11-17 15:00:00 UTC


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
