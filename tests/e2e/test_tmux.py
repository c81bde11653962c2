"""End to end in a real terminal: ``r2kmon --demo`` inside tmux, read with capture-pane.

tmux is a test dependency (``.ci/run`` installs it with apt-get). Each wait is bounded, so
a hang fails in seconds instead of stalling CI.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(120)


class Tmux:
    """One private tmux server (its own socket) running one command in one pane."""

    def __init__(self, tmp_path: Path) -> None:
        self.socket = f"r2k-test-{uuid.uuid4().hex[:8]}"
        self.exit_file = tmp_path / "exit-code"

    def tmux(self, *args: str) -> str:
        out = subprocess.run(
            ["tmux", "-L", self.socket, *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        return out.stdout

    def start(self, command: list[str], size: tuple[int, int], env: dict[str, str]) -> None:
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        # COLUMNS and LINES, if the test runner has them, would override the pane's real
        # size for Textual: the app must see the size the test asked tmux for.
        line = (
            f"env -u COLUMNS -u LINES {exports} {shlex.join(command)}; "
            f"echo $? > {shlex.quote(str(self.exit_file))}"
        )
        self.tmux(
            "new-session",
            "-d",
            "-x",
            str(size[0]),
            "-y",
            str(size[1]),
            "-s",
            "r2k",
            "sh",
            "-c",
            f"{line}; sleep 30",
        )

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "r2k")

    def wait_for(self, check: Callable[[str], bool], seconds: float = 30) -> str:
        deadline = time.monotonic() + seconds
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if check(screen):
                return screen
            time.sleep(0.2)
        raise AssertionError(f"screen never matched; last screen:\n{screen}")

    def wait_exit(self, seconds: float = 20) -> int:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.exit_file.exists() and self.exit_file.read_text().strip():
                return int(self.exit_file.read_text())
            time.sleep(0.2)
        raise AssertionError(f"r2kmon did not exit; last screen:\n{self.screen()}")

    def kill(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=10)


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    session = Tmux(tmp_path)
    yield session
    session.kill()


def demo_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        "TERM": "xterm-256color",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "PATH": os.environ.get("PATH", ""),
    }
    return env | extra


def view_shown(title: str, marker: str = "") -> Callable[[str], bool]:
    """A ``wait_for`` check: the screen's first line names ``title`` and ``marker`` is shown."""

    def check(screen: str) -> bool:
        return title in screen.splitlines()[0] and marker in screen

    return check


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
def test_demo_in_tmux_shows_live_quotes_and_quits_cleanly(
    tmux: Tmux, tmp_path: Path, size: tuple[int, int]
) -> None:
    tmux.start([sys.executable, "-m", "r2kmon", "--demo"], size, demo_env(tmp_path))
    first = tmux.wait_for(lambda s: "BTC-USD" in s and "demo-" in s)
    assert "SIMULATED" in first
    # the quote row (the breakout board lists BTC-USD too, without a source)
    btc_row = next(line for line in first.splitlines() if "BTC-USD" in line and "demo-" in line)
    assert any(glyph in btc_row for glyph in "▁▂▃▄▅▆▇█"), btc_row
    assert "Traceback" not in first
    # live: the BTC row changes on its own within a few seconds
    tmux.wait_for(lambda s: btc_row not in s.splitlines(), seconds=15)
    # the running app keeps the status file `r2kmon status-line` prints for tmux
    env = {**os.environ, **demo_env(tmp_path)}
    deadline = time.monotonic() + 20
    while True:
        line = subprocess.run(
            [sys.executable, "-m", "r2kmon", "--demo", "status-line", "--symbols", "BTC-USD"],
            capture_output=True, text=True, timeout=30, env=env, check=False,
        )  # fmt: skip
        if (line.returncode == 0 and "BTC-USD" in line.stdout) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert line.returncode == 0, line.stdout + line.stderr
    assert "BTC-USD" in line.stdout
    assert "SIMULATED" in line.stdout
    tmux.tmux("send-keys", "-t", "r2k", "?")
    tmux.wait_for(lambda s: "[quit]" in s)
    tmux.tmux("send-keys", "-t", "r2k", "Escape")
    tmux.wait_for(lambda s: "[quit]" not in s and "BTC-USD" in s)
    tmux.tmux("send-keys", "-t", "r2k", "q")
    assert tmux.wait_exit() == 0
    assert "Traceback" not in tmux.screen()


VIEWS = [
    ("1", "1 Dashboard", "RISK-ON GAUGE"),
    ("2", "2 Board", "SYMBOL"),
    ("3", "3 Crypto", "24h breadth"),
    ("4", "4 Charts", "daily close"),
    ("5", "5 Correlation", "SYMBOL"),
    ("6", "6 Macro", "Altcoin season"),
    ("7", "7 Health", "demo-crypto"),
    ("8", "8 Portfolio", "EXAMPLE holdings"),
]


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
def test_every_view_by_key_in_tmux(tmux: Tmux, tmp_path: Path, size: tuple[int, int]) -> None:
    tmux.start([sys.executable, "-m", "r2kmon", "--demo"], size, demo_env(tmp_path))
    tmux.wait_for(lambda s: "BTC-USD" in s and "demo-" in s)
    for key, title, marker in [*VIEWS[1:], VIEWS[0]]:
        tmux.tmux("send-keys", "-t", "r2k", key)
        screen = tmux.wait_for(view_shown(title, marker), seconds=15)
        assert "Traceback" not in screen
    tmux.tmux("send-keys", "-t", "r2k", "/")
    tmux.wait_for(lambda s: "escape clears" in s)
    tmux.tmux("send-keys", "-t", "r2k", "-l", "eth")
    tmux.wait_for(lambda s: "filter: eth" in s and "BTC-USD" not in s)
    tmux.tmux("send-keys", "-t", "r2k", "Escape")
    tmux.wait_for(lambda s: "BTC-USD" in s and "filter:" not in s)
    tmux.tmux("send-keys", "-t", "r2k", "q")
    assert tmux.wait_exit() == 0
    assert "Traceback" not in tmux.screen()


def test_no_color_run_still_reads_right(tmux: Tmux, tmp_path: Path) -> None:
    tmux.start(
        [sys.executable, "-m", "r2kmon", "--demo"], (80, 24), demo_env(tmp_path, NO_COLOR="1")
    )
    screen = tmux.wait_for(lambda s: "BTC-USD" in s and "demo-" in s)
    assert "SIMULATED" in screen
    # direction is in the text, not only in colour
    assert any(arrow in screen for arrow in "▲▼")
    for key, title, _ in VIEWS:
        tmux.tmux("send-keys", "-t", "r2k", key)
        screen = tmux.wait_for(view_shown(title), seconds=15)
        assert "Traceback" not in screen
    tmux.tmux("send-keys", "-t", "r2k", "7")
    health = tmux.wait_for(view_shown("7 Health"), seconds=15)
    assert "● ok" in health  # states in words and marks, readable without colour
    tmux.tmux("send-keys", "-t", "r2k", "q")
    assert tmux.wait_exit() == 0


# 256-colour and true-colour SGR parameters (foreground or background).
RICH_COLOUR = re.compile(r"\x1b\[[0-9;]*[34]8;[25];")
BASIC_FOREGROUND = re.compile(r"\x1b\[(?:[0-9;]*;)?(?:3[0-7]|9[0-7])(?:;[0-9;]*)?m")


def test_a_16_colour_terminal_gets_only_its_16_colours_in_every_view(
    tmux: Tmux, tmp_path: Path
) -> None:
    env = demo_env(tmp_path, TERM="xterm", COLORTERM="")
    tmux.start([sys.executable, "-m", "r2kmon", "--demo"], (80, 24), env)
    tmux.wait_for(lambda s: "BTC-USD" in s and "demo-" in s)
    for key, title, _ in VIEWS:
        tmux.tmux("send-keys", "-t", "r2k", key)
        tmux.wait_for(view_shown(title), seconds=15)
        coloured = tmux.tmux("capture-pane", "-e", "-p", "-t", "r2k")
        assert not RICH_COLOUR.search(coloured), title
        assert BASIC_FOREGROUND.search(coloured), title  # coloured, with the basic palette
        assert "Traceback" not in coloured
    tmux.tmux("send-keys", "-t", "r2k", "q")
    assert tmux.wait_exit() == 0


def test_a_broken_config_in_a_terminal_is_one_line_and_exit_2(tmux: Tmux, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[general]\nrefresh_hz = 0\n")
    tmux.start(
        [sys.executable, "-m", "r2kmon", "--demo", "--config", str(bad)],
        (80, 24),
        demo_env(tmp_path),
    )
    assert tmux.wait_exit() == 2
    screen = tmux.screen()
    assert "general.refresh_hz': must be between 0.2 and 20" in screen
    assert "Traceback" not in screen
