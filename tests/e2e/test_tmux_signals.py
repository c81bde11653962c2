"""SIGTERM and SIGHUP to the real ``r2kmon`` process in a tmux pane (issue 12, item 9).

The pane runs the app, then an interactive shell once it exited. After the signal the pane
must be out of the alternate screen with mouse reporting off and the cursor shown (tmux's
own view of the pane's modes), the shell must echo a typed command as usual (the tty's
modes are back), the exit code must be 0, and the live app's store must hold what it had
in memory: the signal comes before its first periodic save (a minute after the start), so
only the final save can have written the bars. Headless, ``snapshot`` stopped by either
signal saves its store too and exits 128 + the signal's number without a traceback.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import test_tmux_live
from tests.e2e.test_tmux import Tmux, demo_env
from tests.e2e.test_tmux_live import Fakes, btc_row, write_config
from tests.fakes.exchanges import FakeExchange
from tests.fakes.providers import chart_path
from tests.fakes.tls import derived_endpoints, toml_tables

pytestmark = pytest.mark.timeout(120)

fakes = test_tmux_live.fakes
"""The live app's fakes (a TLS Binance and every provider), shared with that test."""
SIGNALS = [signal.SIGTERM, signal.SIGHUP]
SIZE = (160, 40)


class SignalPane(Tmux):
    """A pane that writes the app's pid, runs it, then keeps a shell to type into."""

    def __init__(self, tmp_path: Path) -> None:
        super().__init__(tmp_path)
        self.pid_file = tmp_path / "pid"

    def start_app(self, args: list[str], env: dict[str, str]) -> None:
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        # `exec` keeps the pid the shell wrote: the signal goes to r2kmon itself.
        run = f"echo $$ > {shlex.quote(str(self.pid_file))}; exec {shlex.join(args)}"
        line = (
            f"env -u COLUMNS -u LINES {exports} sh -c {shlex.quote(run)}; "
            f"echo $? > {shlex.quote(str(self.exit_file))}; "
            "exec env PS1='shell$ ' sh -i"
        )
        width, height = SIZE
        self.tmux(
            "new-session", "-d", "-x", str(width), "-y", str(height), "-s", "r2k", "sh", "-c", line
        )

    def pid(self) -> int:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            text = self.pid_file.read_text().strip() if self.pid_file.exists() else ""
            if text:
                return int(text)
            time.sleep(0.1)
        raise AssertionError("the pane never started r2kmon")

    def modes(self) -> tuple[str, str, str]:
        """(alternate screen on, any mouse reporting on, cursor shown) as tmux sees them."""
        out = self.tmux(
            "display", "-p", "-t", "r2k", "#{alternate_on} #{mouse_any_flag} #{cursor_flag}"
        )
        alternate, mouse, cursor = out.split()
        return alternate, mouse, cursor


@pytest.fixture
def pane(tmp_path: Path) -> Iterator[SignalPane]:
    session = SignalPane(tmp_path)
    yield session
    session.kill()


def assert_terminal_restored(pane: SignalPane) -> None:
    assert pane.modes() == ("0", "0", "1")
    pane.wait_for(lambda s: "shell$" in s, seconds=10)
    pane.tmux("send-keys", "-t", "r2k", "echo typed-$((6*7))", "Enter")
    screen = pane.wait_for(lambda s: "typed-42" in s, seconds=10)
    # Echoed as typed (the tty's echo is on), and run (canonical input, Enter is a newline).
    assert "echo typed-$((6*7))" in screen
    assert "Traceback" not in screen


@pytest.mark.parametrize("signum", SIGNALS, ids=[s.name for s in SIGNALS])
def test_a_signal_to_the_demo_app_restores_the_terminal_and_exits_0(
    pane: SignalPane, tmp_path: Path, signum: signal.Signals
) -> None:
    pane.start_app([sys.executable, "-m", "r2kmon", "--demo"], demo_env(tmp_path))
    pane.wait_for(lambda s: "BTC-USD" in s and "demo-" in s)
    assert pane.modes()[:2] == ("1", "1")  # the app's own modes, to be undone
    sent_at = time.time()
    os.kill(pane.pid(), signum)
    assert pane.wait_exit() == 0
    assert_terminal_restored(pane)
    # The status file's last write is the exit's (the periodic one comes every 5 s).
    status = json.loads((tmp_path / "data" / "r2kmon" / "status-demo.json").read_text())
    assert status["written_at"] >= sent_at
    log = (tmp_path / "state" / "r2kmon" / "log" / "r2kmon.log").read_text(encoding="utf-8")
    assert f"{signum.name} received: quitting" in log


def stored_bars(store: Path) -> dict[str, int]:
    with sqlite3.connect(store) as db:
        rows = db.execute("SELECT symbol, count(*) FROM bars GROUP BY symbol").fetchall()
    return {symbol: count for symbol, count in rows}


@pytest.mark.timeout(180)
@pytest.mark.parametrize("signum", SIGNALS, ids=[s.name for s in SIGNALS])
def test_a_signal_to_the_live_app_saves_the_store_and_restores_the_terminal(
    pane: SignalPane, tmp_path: Path, fakes: Fakes, signum: signal.Signals
) -> None:
    env = demo_env(tmp_path, SSL_CERT_FILE=str(fakes.ca.ca_file), NO_PROXY="127.0.0.1,localhost")
    config = write_config(tmp_path, fakes)
    pane.start_app([sys.executable, "-m", "r2kmon", "--config", str(config)], env)
    started = time.monotonic()
    # Live prices, and the daily history in memory (the ^RUT row has a price).
    pane.wait_for(
        lambda s: (
            bool(btc_row(s)) and any("^RUT" in line and "yahoo" in line for line in s.splitlines())
        ),
        seconds=60,
    )
    store = tmp_path / "data" / "r2kmon" / "r2kmon.sqlite"
    assert not store.exists() or stored_bars(store) == {}  # nothing saved yet
    os.kill(pane.pid(), signum)
    assert pane.wait_exit(seconds=30) == 0
    # Meaningful only before the first periodic save (60 s after the start).
    assert time.monotonic() - started < 60, "too slow to tell the final save from a periodic one"
    assert_terminal_restored(pane)
    bars = stored_bars(store)
    assert bars.get("^RUT", 0) > 0, bars
    assert bars.get("BTC-USD", 0) > 0, bars


@pytest.mark.parametrize("signum", SIGNALS, ids=[s.name for s in SIGNALS])
def test_a_signal_to_snapshot_saves_the_store_and_exits_128_plus_the_signal(
    tmp_path: Path, fakes: Fakes, signum: signal.Signals
) -> None:
    # A Binance that acknowledges and never sends: the snapshot waits for it (its --wait
    # far beyond the test), so only the signal ends the run.
    silent = FakeExchange("binance", set())
    fakes.run(silent.start(ssl=fakes.ca.server_context()))
    try:
        tables: dict[str, Any] = {
            "crypto": {"exchanges": ["binance"], "breadth": False},
            **derived_endpoints({"binance": silent.port}, fakes.http.port),
        }
        config = tmp_path / "silent.toml"
        config.write_text(toml_tables(tables), encoding="utf-8")
        env = demo_env(
            tmp_path, SSL_CERT_FILE=str(fakes.ca.ca_file), NO_PROXY="127.0.0.1,localhost"
        )
        args = ["snapshot", "--json", "--wait", "600", "--config", str(config)]
        proc = subprocess.Popen(
            [sys.executable, "-m", "r2kmon", *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not fakes.http.hits(chart_path("^RUT")):
                time.sleep(0.1)
            assert fakes.http.hits(chart_path("^RUT")), "the history was never asked for"
            assert proc.poll() is None, proc.communicate()
            time.sleep(3)  # the answer parsed into the hub (it is in memory only)
            proc.send_signal(signum)
            _, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate(timeout=10)
    finally:
        fakes.run(silent.stop())
    assert proc.returncode == 128 + signum, err
    assert "Traceback" not in err
    log = tmp_path / "state" / "r2kmon" / "log" / "r2kmon.log"
    assert f"stopped by {signum.name}" in log.read_text(encoding="utf-8")
    store = tmp_path / "data" / "r2kmon" / "r2kmon.sqlite"
    assert stored_bars(store).get("^RUT", 0) > 0, "the final save wrote nothing"
