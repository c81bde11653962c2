"""The command line, run as a user runs it: a real subprocess of the installed script."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from r2kmon import __version__
from r2kmon.config import DEFAULT_EXCHANGES
from tests.fakes.tls import derived_endpoints, toml_tables


def r2kmon(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "r2kmon", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
    )


def test_version() -> None:
    out = r2kmon("--version")
    assert out.returncode == 0
    assert out.stdout.strip() == f"r2kmon {__version__}"


def test_demo_snapshot_json_is_the_documented_document() -> None:
    out = r2kmon("snapshot", "--demo", "--json", "--wait", "5")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert set(doc) >= {
        "generated_at",
        "simulated",
        "quotes",
        "board",
        "gauge",
        "correlation",
        "context",
        "health",
    }
    assert doc["simulated"] is True
    assert list(doc["quotes"]) == ["BTC-USD", "ETH-USD", "SOL-USD", "^RUT", "IWM", "SPY", "^VIX"]
    btc = doc["quotes"]["BTC-USD"]
    assert set(btc) == {"price", "change_pct", "source", "ts", "age_s", "freshness", "stale"}
    assert btc["source"] == "demo-binance"  # the first of the simulated exchanges
    assert btc["price"] > 0
    assert btc["stale"] is False
    assert btc["freshness"] == "live"
    # the analytics ran on the (simulated) history that the demo producers pushed
    assert [row["symbol"] for row in doc["board"]] == ["^RUT", "IWM", "SPY", "BTC-USD", "ETH-USD"]
    states = {"below", "testing", "breakout", "confirmed", "failed", "retest"}
    assert all(row["state"] in states for row in doc["board"])
    for row in doc["board"]:  # every level of the row, one of them the row's own
        assert [level["matters"] for level in row["levels"]].count(True) == 1
        assert all(level["state"] in states for level in row["levels"])
        assert all(level["resistance_date"].endswith("+00:00") for level in row["levels"])
    assert 0 <= doc["gauge"]["score"] <= 100
    assert 0 < doc["gauge"]["coverage"] < 1  # no liquidity, sentiment or dominance in demo
    # coverage on the scores' 0-100 scale as well, and every unit named
    assert doc["gauge"]["coverage_pct"] == pytest.approx(100 * doc["gauge"]["coverage"], abs=1e-3)
    assert doc["schema_version"] == 2
    assert doc["units"]["gauge.score"].startswith("points, 0-100")
    total = sum(c["contribution"] or 0 for c in doc["gauge"]["components"])
    assert abs(total - doc["gauge"]["score"]) < 1e-6
    assert {(c["a"], c["b"], c["window_days"]) for c in doc["correlation"]} >= {
        ("^RUT", "BTC-USD", 30),
        ("^RUT", "BTC-USD", 90),
    }
    # the simulated liquidity series went through the same analytics as FRED's would
    assert doc["context"]["net_liquidity"]["value"] > 0
    assert doc["context"]["fear_greed"]["source"] == "demo-context"
    assert doc["context"]["flows"]["label"] == "money-flow proxy — not fund flows"
    assert doc["analytics"]["state"] == "ready"
    assert doc["health"]["demo-crypto"]["status"] == "ok"
    assert doc["health"]["demo-markets"]["simulated"] is True
    assert out.stderr == ""


def test_options_work_before_and_after_the_command(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[crypto]\nsymbols = ["BTC-USD"]\n[markets]\nsymbols = ["IWM"]\n')
    for args in (
        ("--demo", "--config", str(config), "snapshot", "--json", "--wait", "5"),
        ("snapshot", "--json", "--wait", "5", "--demo", "--config", str(config)),
    ):
        out = r2kmon(*args)
        assert out.returncode == 0, out.stderr
        doc = json.loads(out.stdout)
        assert list(doc["quotes"]) == ["BTC-USD", "IWM"]
        assert doc["simulated"] is True


def dead_endpoints_config(tmp_path: Path) -> Path:
    """The shipped defaults (``wss://``, ``https://``) with every host and port swapped for
    a loopback port nobody listens on: every connection is refused at once, and nothing
    reaches the internet."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    tables = derived_endpoints({name: port for name in DEFAULT_EXCHANGES}, port)
    path = tmp_path / "dead.toml"
    path.write_text(toml_tables(tables))
    return path


def test_snapshot_with_nothing_reachable_returns_at_once_and_says_why(tmp_path: Path) -> None:
    """With every source refused, snapshot does not sit out its --wait: it returns when
    each source has failed (this test's own timeout is far below the 600 s it may wait),
    with one line per failed source on stderr and exit code 1."""
    config = dead_endpoints_config(tmp_path)
    out = r2kmon("snapshot", "--json", "--wait", "600", "--config", str(config), timeout=60)
    assert out.returncode == 1
    lines = out.stderr.splitlines()
    for name in ("binance", "coinbase", "kraken", "yahoo", "fred", "coingecko"):
        line = next((x for x in lines if x.startswith(f"r2kmon: {name} down: ")), None)
        assert line is not None, (name, out.stderr)
        assert "connection refused by 127.0.0.1:" in line, line
    assert "Traceback" not in out.stderr


def test_nothing_fetched_is_a_non_zero_exit_with_nulls(tmp_path: Path) -> None:
    config = dead_endpoints_config(tmp_path)
    out = r2kmon("snapshot", "--json", "--wait", "3", "--config", str(config))
    assert out.returncode == 1
    doc = json.loads(out.stdout)
    assert doc["simulated"] is False
    assert all(quote is None for quote in doc["quotes"].values())
    assert doc["board"] == []
    # schema 2: the gauge object is always there, without a score when none can be had
    assert doc["schema_version"] == 2
    assert doc["gauge"]["score"] is None
    assert doc["gauge"]["label"] is None
    assert doc["gauge"]["coverage"] == doc["gauge"]["coverage_pct"] == 0
    assert doc["gauge"]["components"] == []
    # no history, and every source of it refused: said, not "waiting" forever
    assert doc["analytics"]["state"] == "unavailable"
    assert doc["analytics"]["detail"].startswith("no daily history: yahoo unreachable")
    # every source says why it has nothing
    assert doc["health"]
    for name, health in doc["health"].items():
        assert health["status"] in ("connecting", "down", "stale"), name


@pytest.mark.parametrize("command", [("snapshot", "--json"), ("config", "check"), ()])
def test_a_broken_config_is_one_clear_line_and_exit_2(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[crypto]\nsymbol = ["BTC-USD"]\n')
    out = r2kmon("--config", str(config), *command)
    assert out.returncode == 2
    assert out.stdout == ""
    assert out.stderr == (
        f"r2kmon: Bad config: {config}:2: key 'crypto.symbol': unknown key. "
        "Did you mean 'symbols'?\n"
    )


def test_config_example_path_and_check(tmp_path: Path) -> None:
    example = r2kmon("config", "example")
    assert example.returncode == 0
    assert "[crypto]" in example.stdout
    assert "[providers.yahoo]" in example.stdout
    saved = tmp_path / "mine.toml"
    saved.write_text(example.stdout)
    check = r2kmon("config", "check", "--config", str(saved))
    assert check.returncode == 0
    assert f"config: {saved}" in check.stdout
    assert "config OK" in check.stdout

    xdg = tmp_path / "xdg"
    path = r2kmon("config", "path", env={"XDG_CONFIG_HOME": str(xdg)})
    assert path.returncode == 0
    assert f"config file: {xdg / 'r2kmon' / 'config.toml'}" in path.stdout
    env = r2kmon("config", "path", env={"R2KMON_CONFIG": str(saved)})
    assert f"config file: {saved} ($R2KMON_CONFIG)" in env.stdout


def test_the_app_refuses_a_non_terminal_with_a_message() -> None:
    out = r2kmon("--demo")
    assert out.returncode == 1
    assert "not a terminal" in out.stderr
    assert "Traceback" not in out.stderr


def test_logging_goes_to_the_log_file_not_the_terminal(tmp_path: Path) -> None:
    state = tmp_path / "state"
    config = dead_endpoints_config(tmp_path)
    out = r2kmon(
        "snapshot", "--json", "--wait", "1", "--config", str(config),
        env={"XDG_STATE_HOME": str(state)},
    )  # fmt: skip
    # stderr carries only the command's own lines, one per failed source; no log record
    lines = out.stderr.splitlines()
    assert lines
    assert all(re.fullmatch(r"r2kmon: \S+ down: .+", line) for line in lines), out.stderr
    assert "WARNING" not in out.stderr
    log = (state / "r2kmon" / "log" / "r2kmon.log").read_text()
    assert "Connect call failed" in log or "connection refused" in log.lower()


def test_config_check_rejects_an_unknown_theme_naming_the_themes(tmp_path: Path) -> None:
    config = tmp_path / "theme.toml"
    config.write_text('[general]\ntheme = "solarized"\n')
    out = r2kmon("config", "check", "--config", str(config))
    assert out.returncode == 2
    assert out.stderr.startswith(
        f"r2kmon: Bad config: {config}:2: key 'general.theme': unknown theme 'solarized' "
        "(did you mean 'solarized-dark'?); the themes are textual-dark, textual-light, nord,"
    )
