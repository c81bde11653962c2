"""``r2kmon watch`` end to end: the real command in a subprocess, a fake Binance over TLS
(the private test CA trusted through ``SSL_CERT_FILE``), every HTTP provider refused.

One JSON line per signal: the refused providers are ``source`` lines going ``down``; a
price crossing an ``[[alerts]]`` rule is an ``alert`` line; the exchange stopping is
``binance`` going down. SIGTERM ends it with exit code 0, and what it printed is in the
journal afterwards (``r2kmon journal``)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.exchanges import FakeExchange
from tests.fakes.tls import PrivateCA

pytestmark = pytest.mark.timeout(150)

DEAD = "https://127.0.0.1:9"
"""Every HTTP provider here: a closed port, refused at once (nothing leaves this host)."""
PROVIDERS = ("yahoo", "fred", "coingecko", "coinpaprika", "ishares", "alternative_me")


@pytest.fixture
async def binance(private_ca: PrivateCA) -> AsyncIterator[FakeExchange]:
    """Prices 100.01, 100.02, ... one every 10 ms, stamped with the time they are sent
    (a rule never fires on a stale price)."""
    fake = FakeExchange("binance", {"BTCUSDT"}, interval=0.01, clock=time.time)
    await fake.start(ssl=private_ca.server_context())
    try:
        yield fake
    finally:
        await fake.stop()


def write_config(tmp_path: Path, binance: FakeExchange) -> Path:
    config = tmp_path / "r2kmon.toml"
    config.write_text(
        f"""
[crypto]
symbols = ["BTC-USD"]
exchanges = ["binance"]
breadth = false

[markets]
symbols = ["^RUT"]

[exchanges.binance]
url = "{binance.url}"
rest_url = "{DEAD}"

[store]
path = "{tmp_path / "store.sqlite"}"

[[alerts]]
symbol = "BTC-USD"
above = 108
note = "from the fake"
"""
        + "".join(f'[providers.{name}]\nurl = "{DEAD}"\n' for name in PROVIDERS),
        encoding="utf-8",
    )
    return config


def environment(tmp_path: Path, private_ca: PrivateCA) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env.pop("SSL_CERT_DIR", None)
    env |= {
        "SSL_CERT_FILE": str(private_ca.ca_file),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    return env


class Lines:
    """The JSON lines a running ``watch`` printed, read as they come."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.seen: list[dict[str, Any]] = []

    async def wait_for(
        self, check: Callable[[dict[str, Any]], bool], timeout: float = 60
    ) -> dict[str, Any]:
        for earlier in self.seen:
            if check(earlier):
                return earlier
        assert self.process.stdout is not None
        async with asyncio.timeout(timeout):
            while True:
                raw = await self.process.stdout.readline()
                assert raw, f"watch ended; it printed {self.seen}"
                line: dict[str, Any] = json.loads(raw)  # every line of stdout is one JSON object
                self.seen.append(line)
                if check(line):
                    return line


async def test_watch_prints_source_and_alert_lines_and_stops_cleanly_on_sigterm(
    tmp_path: Path, binance: FakeExchange, private_ca: PrivateCA
) -> None:
    config = write_config(tmp_path, binance)
    env = environment(tmp_path, private_ca)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "r2kmon", "watch", "--config", str(config),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL, env=env,
    )  # fmt: skip
    lines = Lines(process)
    try:
        yahoo = await lines.wait_for(lambda x: x["type"] == "source" and x["subject"] == "yahoo")
        assert yahoo["to"] == "down"
        assert "refused" in yahoo["message"], yahoo
        alert = await lines.wait_for(lambda x: x["type"] == "alert")
        assert alert["subject"] == "BTC-USD"
        assert alert["to"] == "fired"
        assert alert["message"].startswith("BTC-USD above 108.00: 1")
        assert alert["message"].endswith("— from the fake")
        # the exchange goes away: binance, seen working, is now down
        await binance.stop()
        down = await lines.wait_for(
            lambda x: x["type"] == "source" and x["subject"] == "binance" and x["to"] == "down"
        )
        assert down["from"] == "up"
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(60):
            rest, err = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, err.decode()
    printed = lines.seen + [json.loads(x) for x in rest.decode().splitlines()]
    assert sum(1 for x in printed if x["type"] == "alert") == 1  # fired once, on its edge
    assert "Traceback" not in err.decode()

    # What it printed was kept: the journal lists the same lines, after the process ended.
    journal = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "r2kmon", "journal", "--format", "json", "--config", str(config),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL, env=env,
    )  # fmt: skip
    async with asyncio.timeout(60):
        out, err = await journal.communicate()
    assert journal.returncode == 0, err.decode()
    kept = [json.loads(x) for x in out.decode().splitlines()]
    assert sorted(map(json.dumps, kept)) == sorted(map(json.dumps, printed))
