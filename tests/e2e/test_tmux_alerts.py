"""An ``[[alerts]]`` rule end to end: the real app in tmux, live prices from a fake Binance
on loopback, the rule crossing; tmux marks the app's window with the bell, the notification
is on screen, and the alert command ran."""

from __future__ import annotations

import asyncio
import re
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.test_tmux import Tmux, demo_env
from tests.fakes.exchanges import FakeExchange
from tests.fakes.tls import PrivateCA

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    session = Tmux(tmp_path)
    yield session
    session.kill()


@pytest.fixture
def binance(private_ca: PrivateCA) -> Iterator[FakeExchange]:
    """A fake Binance over wss:// in a thread of its own (the app runs in another process):
    prices 100.01, 100.02, ... one every 10 ms, stamped with the time they are sent, as a
    live exchange stamps them (a rule never fires on a stale price)."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    fake = FakeExchange("binance", {"BTCUSDT"}, interval=0.01, clock=time.time)
    tls = private_ca.server_context()
    asyncio.run_coroutine_threadsafe(fake.start(ssl=tls), loop).result(10)
    try:
        yield fake
    finally:
        asyncio.run_coroutine_threadsafe(fake.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def test_a_rule_crossing_rings_the_bell_in_tmux_and_runs_the_command(
    tmux: Tmux, tmp_path: Path, binance: FakeExchange, private_ca: PrivateCA
) -> None:
    out = tmp_path / "alert.txt"
    script = "import sys, pathlib; pathlib.Path(sys.argv[1]).write_text(sys.argv[2])"
    # every HTTP provider refused at once (the shipped https:// defaults, host and port
    # swapped for a closed one): nothing leaves this host
    dead = "https://127.0.0.1:9"
    config = tmp_path / "r2kmon.toml"
    config.write_text(
        f"""
[general]
alert_command = ['{sys.executable}', '-c', '{script}', '{out}', '{{message}}']

[crypto]
symbols = ["BTC-USD"]
exchanges = ["binance"]
breadth = false

[markets]
symbols = ["^RUT"]

[exchanges.binance]
url = "{binance.url}"
rest_url = "{dead}"

[store]
enabled = false

[[alerts]]
symbol = "BTC-USD"
above = 108
note = "from the fake"
"""
        + "".join(
            f'[providers.{name}]\nurl = "{dead}"\n'
            for name in ("yahoo", "fred", "coingecko", "coinpaprika", "ishares", "alternative_me")
        ),
        encoding="utf-8",
    )
    started = time.time()
    tmux.start(
        [sys.executable, "-m", "r2kmon", "--config", str(config)],
        (120, 30),
        demo_env(tmp_path, NO_PROXY="127.0.0.1,localhost", SSL_CERT_FILE=str(private_ca.ca_file)),
    )
    tmux.wait_for(lambda s: "BTC-USD" in s and "binance" in s)
    # Another window in front, as when the user looks elsewhere: the bell must mark ours.
    tmux.tmux("new-window", "-t", "r2k:", "sleep 60")

    def flags() -> dict[str, str]:
        listed = tmux.tmux("list-windows", "-t", "r2k", "-F", "#{window_index} #{window_bell_flag}")
        return dict(line.split() for line in listed.splitlines())

    assert flags() == {"0": "0", "1": "0"}
    deadline = time.monotonic() + 40
    while flags()["0"] != "1":
        assert time.monotonic() < deadline, tmux.tmux("capture-pane", "-p", "-t", "r2k:0")
        time.sleep(0.2)
    # The notification (it wraps: the rest is on the next lines); the bell can reach tmux
    # before the frame that draws it.
    deadline = time.monotonic() + 10
    while "BTC-USD above 108.00" not in tmux.tmux("capture-pane", "-p", "-t", "r2k:0"):
        assert time.monotonic() < deadline, tmux.tmux("capture-pane", "-p", "-t", "r2k:0")
        time.sleep(0.1)
    deadline = time.monotonic() + 10
    while not (out.exists() and out.read_text()):
        assert time.monotonic() < deadline, "the alert command did not run"
        time.sleep(0.1)
    # The price that crossed (rules are checked every 2 s and the fake's rises about 1 per
    # second, so how far past 108 depends on the machine's load), at the time the fake
    # stamped it: some second while this test ran.
    pattern = r"BTC-USD above 108\.00: 1\d\d\.\d\d \(binance, (\d\d:\d\d:\d\d) UTC\)"
    pattern += " — from the fake"
    said = re.fullmatch(pattern, out.read_text())
    assert said is not None, out.read_text()
    seconds = range(int(started), int(time.time()) + 1)
    assert said[1] in {time.strftime("%H:%M:%S", time.gmtime(t)) for t in seconds}
    tmux.tmux("send-keys", "-t", "r2k:0", "q")
    assert tmux.wait_exit() == 0
