"""``r2kmon status-line``: the runtime keeps a small status file, the command prints it as
one line for a tmux status bar, and says when it is simulated, stale or left behind."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from r2kmon.clock import FrozenClock
from r2kmon.config import Config
from r2kmon.runtime import Runtime, statusline
from r2kmon.runtime.statusline import read_status, status_line, write_status
from tests.core.test_cli import r2kmon

NOW = 1_794_927_600.0

DOCUMENT = {
    "written_at": NOW - 3,
    "simulated": False,
    "gauge": {"score": 61.24, "label": "risk-on"},
    "quotes": {
        "^RUT": {"price": 2663.78, "change_pct": -0.051, "stale": False, "state": "testing"},
        "BTC-USD": {"price": 67659.391, "change_pct": 1.5, "stale": True, "state": None},
        "DOGE-USD": {"price": 0.1234567, "change_pct": 0.001, "stale": False, "state": None},
    },
}


def test_one_line_with_the_gauge_and_each_symbol() -> None:
    assert status_line(DOCUMENT, NOW) == (
        "R2K 61 risk-on │ ^RUT 2,663.78 ▼-0.05% testing │ BTC-USD 67,659.39 ▲+1.50% STALE"
    )
    assert status_line(DOCUMENT, NOW, ["DOGE-USD", "ETH-USD"]) == (
        "R2K 61 risk-on │ DOGE-USD 0.123457 =0.00%"  # ETH-USD had no price: left out
    )


def test_simulated_old_and_empty_documents_say_so() -> None:
    assert status_line({**DOCUMENT, "simulated": True}, NOW, ["^RUT"]).endswith(" │ SIMULATED")
    # The app stopped writing 5 minutes ago: the line shows how old it is.
    assert status_line(DOCUMENT, NOW + 300, ["^RUT"]).endswith(
        " │ r2kmon not running (last status 5m old)"
    )
    assert status_line({"written_at": NOW, "quotes": {}}, NOW) == "r2kmon: no data yet"
    # Garbage in the file loses nothing and invents nothing.
    assert status_line({"gauge": "x", "quotes": {"^RUT": {"price": "1"}}}, NOW) == (
        "r2kmon: no data yet"
    )


def test_the_file_is_replaced_whole_and_a_broken_one_reads_as_none(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "status.json"
    write_status(path, DOCUMENT)
    assert read_status(path) == DOCUMENT
    assert not list(path.parent.glob("*.tmp"))
    path.write_text("{not json")
    assert read_status(path) is None
    assert read_status(tmp_path / "missing.json") is None


async def test_a_running_demo_runtime_keeps_the_status_file(tmp_path: Path) -> None:
    path = tmp_path / "status-demo.json"
    runtime = Runtime(Config(), demo=True, status_file=path)
    task = asyncio.create_task(runtime.run())
    try:
        async with asyncio.timeout(30):
            while True:
                document = read_status(path)
                if document is not None and "BTC-USD" in document["quotes"]:
                    break
                await asyncio.sleep(0.1)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert document["simulated"] is True
    btc = document["quotes"]["BTC-USD"]
    assert btc["price"] > 0
    assert btc["stale"] is False
    assert "BTC-USD" in status_line(document, document["written_at"], ["BTC-USD"])


def test_the_command_reads_the_apps_file_and_fails_plainly_without_one(tmp_path: Path) -> None:
    env = {"XDG_DATA_HOME": str(tmp_path)}
    missing = r2kmon("status-line", env=env)
    assert missing.returncode == 1
    assert missing.stdout.strip() == "r2kmon: no status (is r2kmon running?)"
    folder = tmp_path / "r2kmon"
    folder.mkdir()
    (folder / "status-demo.json").write_text(json.dumps({**DOCUMENT, "simulated": True}))
    shown = r2kmon("--demo", "status-line", "--symbols", "^RUT", env=env)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("R2K 61 risk-on │ ^RUT 2,663.78 ▼-0.05% testing")
    assert "SIMULATED" in shown.stdout
    # The live file is another file: the demo's never passes for live data.
    assert r2kmon("status-line", env=env).returncode == 1


async def test_an_unchanged_state_is_still_rewritten_so_age_means_the_app_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(statusline, "STATUS_EVERY_S", 0.02)
    path = tmp_path / "status.json"
    clock = FrozenClock(NOW)
    runtime = Runtime(Config(), demo=False, clock=clock, producers=[], status_file=path)

    async def written_at(expected: float) -> None:
        while (read_status(path) or {}).get("written_at") != expected:  # noqa: ASYNC110 - a file
            await asyncio.sleep(0.02)

    task = asyncio.create_task(runtime.run())
    try:
        async with asyncio.timeout(20):
            await written_at(NOW)
            clock.advance(10)  # nothing moved, not long enough: the file stays
            await asyncio.sleep(0.2)
            assert read_status(path)["written_at"] == NOW  # type: ignore[index]
            clock.advance(25)  # 35 s without a change: rewritten anyway
            await written_at(NOW + 35)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
