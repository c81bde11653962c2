"""The live app (not the demo) end to end in tmux, over TLS, losing its network and getting
it back.

A fake Binance (``wss://``) and one fake HTTPS server for every provider and the REST
backfill (``tests/fakes/providers.py``) run on 127.0.0.1 with certificates from the private
test CA. The app is the real ``r2kmon`` process in a tmux pane with the shipped default
configuration, only each endpoint's host and port swapped (``derived_endpoints``), Binance
as the one exchange (the only fake one) and the breadth stream off; the CA is trusted
through ``SSL_CERT_FILE`` in the app's environment.

Then the fakes stop: the header must say offline in one line, and the minute after must
bring at most a handful of notifications. They are counted in the app's log, where the
app writes each one it shows (``notified: <title>: <text>``), and the screen is read every
second meanwhile. Then the fakes start again on the same ports: the app must find them by
itself (the websocket's reconnect backoff is capped at 60 s, so that is the wait).
"""

from __future__ import annotations

import asyncio
import re
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_tmux import Tmux, demo_env
from tests.fakes.exchanges import FakeExchange
from tests.fakes.http import FakeHTTP
from tests.fakes.providers import script_providers
from tests.fakes.tls import PrivateCA, derived_endpoints, toml_tables

# Start, a minute offline, then up to the websocket backoff's cap (60 s) plus a poll.
pytestmark = pytest.mark.timeout(420)  # the sum of the waits below, at their longest

OFFLINE_WINDOW_S = 60.0
"""How long the fakes stay down while notifications are counted (the issue's minute)."""
HANDFUL = 3
SIZE = (200, 40)
"""Wide enough for the header to show Binance's chip after the market session and, while
some providers still wait out their backoff, the count of unreachable sources."""


@dataclass
class Fakes:
    """The fakes on an event loop in a thread of their own (the app is another process)."""

    loop: asyncio.AbstractEventLoop
    binance: FakeExchange
    http: FakeHTTP
    ca: PrivateCA

    def run(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(10)

    def stop(self) -> None:
        self.run(self.binance.stop())
        self.run(self.http.stop())

    def start_again(self) -> None:
        """Listen again on the same ports (the app's config names them)."""
        tls = self.ca.server_context()
        self.run(self.binance.start(port=self.binance.port, ssl=tls))
        self.run(self.http.start(ssl=tls, port=self.http.port))


@pytest.fixture
def fakes(private_ca: PrivateCA) -> Iterator[Fakes]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    tls = private_ca.server_context()
    binance = FakeExchange("binance", {"BTCUSDT", "ETHUSDT", "SOLUSDT"}, interval=0.05)
    http = FakeHTTP()
    script_providers(http)
    found = Fakes(loop, binance, http, private_ca)
    found.run(binance.start(ssl=tls))
    found.run(http.start(ssl=tls))
    try:
        yield found
    finally:
        found.stop()
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    session = Tmux(tmp_path)
    yield session
    session.kill()


def write_config(tmp_path: Path, fakes: Fakes) -> Path:
    tables: dict[str, Any] = {
        "crypto": {"exchanges": ["binance"], "breadth": False},
        **derived_endpoints({"binance": fakes.binance.port}, fakes.http.port),
    }
    path = tmp_path / "live.toml"
    path.write_text(toml_tables(tables), encoding="utf-8")
    return path


def notified(log: Path) -> list[str]:
    """The notifications the app showed, as it logged them."""
    if not log.exists():
        return []
    return re.findall(r"r2kmon\.ui\.app: notified: (.*)", log.read_text(encoding="utf-8"))


def btc_row(screen: str) -> str:
    return next(
        (line for line in screen.splitlines() if "BTC-USD" in line and "binance" in line), ""
    )


def test_live_app_goes_offline_in_one_line_and_recovers_by_itself(
    tmux: Tmux, tmp_path: Path, fakes: Fakes
) -> None:
    width, height = SIZE
    env = demo_env(
        tmp_path,
        SSL_CERT_FILE=str(fakes.ca.ca_file),
        NO_PROXY="127.0.0.1,localhost",
        # The tmux server inherits this process's environment, where pytest's run has
        # COLUMNS=80 and LINES=24; Textual would believe them over the pane's size.
        COLUMNS=str(width),
        LINES=str(height),
    )
    log = tmp_path / "state" / "r2kmon" / "log" / "r2kmon.log"
    config = write_config(tmp_path, fakes)
    tmux.start([sys.executable, "-m", "r2kmon", "--config", str(config)], SIZE, env)

    # Live: Binance's quotes on screen, its chip ok, the prices moving.
    screen = tmux.wait_for(lambda s: bool(btc_row(s)) and "● binance ok" in s.splitlines()[0])
    assert "offline" not in screen.splitlines()[0]
    assert "SIMULATED" not in screen
    first = btc_row(screen)
    tmux.wait_for(lambda s: bool(btc_row(s)) and btc_row(s) != first, seconds=15)
    assert set(fakes.binance.paths) == {"/stream"}

    # The network goes away.
    before = len(notified(log))
    fakes.stop()
    # Each source is unreachable at its own next try (the pollers' is a minute apart), so
    # on a busy machine the last can take more than a minute to be found out.
    screen = tmux.wait_for(lambda s: "offline — 0 of " in s.splitlines()[0], seconds=150)
    header = screen.splitlines()[0]
    assert "sources reachable: connection refused · retr" in header
    assert "● binance" not in header  # one line, not a chip per source
    gone_at = time.monotonic()
    while time.monotonic() - gone_at < OFFLINE_WINDOW_S:
        # Every second of the minute: still the one line, never the chips.
        header = tmux.screen().splitlines()[0]
        assert "offline — 0 of " in header, header
        assert "Traceback" not in tmux.screen()
        time.sleep(1.0)
    during = notified(log)[before:]
    assert 1 <= len(during) <= HANDFUL, during
    assert during[0].startswith("Offline: offline: 0 of "), during

    # The network comes back on the same ports: the app finds it by itself, Binance within
    # its reconnect backoff (capped at 60 s). The providers come back at their own next
    # poll (Yahoo's backoff is a minute and doubles), so the header may count a few still
    # unreachable meanwhile: that is the truth, not a failure to recover.
    fakes.start_again()
    screen = tmux.wait_for(
        lambda s: "● binance ok" in s.splitlines()[0] and "offline" not in s.splitlines()[0],
        seconds=120,
    )
    first = btc_row(screen)
    tmux.wait_for(lambda s: bool(btc_row(s)) and btc_row(s) != first, seconds=15)
    after = notified(log)[before + len(during) :]
    assert any(line.startswith("Back online: back online: ") for line in after), after
    assert len(notified(log)[before:]) <= 2 * HANDFUL

    tmux.tmux("send-keys", "-t", "r2k", "q")
    assert tmux.wait_exit() == 0
    assert "Traceback" not in tmux.screen()
