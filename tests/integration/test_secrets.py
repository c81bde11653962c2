"""A planted API key appears nowhere r2kmon writes (issue 12, item 6b).

A fake CoinGecko over TLS answers every keyed request with ``401 Invalid API key <key>``,
echoing the key in its body and a header, as real services do. The key is planted in
``$COINGECKO_API_KEY`` (the shipped ``api_key_env``) and the whole app runs on it, every
other endpoint on the shipped default paths (host and port swapped): first the UI with its
real runtime under Pilot, which saves a screenshot through its own screenshot key, then
``r2kmon snapshot --json`` and its text form through the command line. Then every file and
output is searched for the key's bytes: the log files, the SQLite store (every file of
it), the status file, the SVG, the snapshot output. The test first shows the fake really
echoes the key, and that the echo reached the app (its masked form is in the log), so it
can fail.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from r2kmon import paths
from r2kmon.cli import main
from r2kmon.config import DEFAULT_EXCHANGES, load_config
from r2kmon.logsetup import configure_logging
from r2kmon.net import NetworkPolicy
from r2kmon.redact import MASK, forget_secrets
from r2kmon.runtime import Runtime, market_hours
from r2kmon.ui.app import R2kApp
from tests.fakes.http import FakeHTTP, Reply
from tests.fakes.providers import script_providers
from tests.fakes.tls import PrivateCA, closed_port, derived_endpoints, toml_tables
from tests.ui.test_app import screen_text

pytestmark = pytest.mark.timeout(90)

KEY = "CG-pLaNtEd0123456789aBcDeFgH"
ECHO = json.dumps(
    {"status": {"error_code": 10002, "error_message": f"Invalid API key {KEY}"}}
).encode()


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        yield
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
            handler.close()
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
        logging.captureWarnings(False)
        forget_secrets()


async def wait_for(pilot: Any, app: R2kApp, check: Callable[[str], bool], seconds: float) -> str:
    text = ""
    for _ in range(int(seconds / 0.1)):
        await pilot.pause(0.1)
        text = screen_text(app)
        if check(text):
            return text
    raise AssertionError(f"never shown; last screen:\n{text}")


async def test_a_planted_key_appears_nowhere(
    tmp_path: Path,
    trusted: PrivateCA,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    restore_logging: None,
) -> None:
    market_hours()  # loaded once before two threads would (see test_offline)
    http = FakeHTTP()
    await http.start(ssl=trusted.server_context())
    try:
        script_providers(http)
        for path in ("/api/v3/global", "/api/v3/coins/markets"):
            http.script(path, Reply(401, ECHO, headers={"X-Echo-Key": KEY}))
        # The fake really echoes the key, in the body and a header.
        async with httpx.AsyncClient(verify=NetworkPolicy().tls_context()) as probe:
            echoed = await probe.get(f"{http.base}/api/v3/global")
        assert KEY in echoed.text
        assert echoed.headers["x-echo-key"] == KEY

        refused = closed_port()  # the websockets refused at once: only HTTP matters here
        tables: dict[str, Any] = derived_endpoints(
            {name: refused for name in DEFAULT_EXCHANGES}, http.port
        )
        tables["store"] = {"path": str(tmp_path / "store" / "r2kmon.sqlite")}
        config_file = tmp_path / "config.toml"
        config_file.write_text(toml_tables(tables), encoding="utf-8")
        monkeypatch.setenv("COINGECKO_API_KEY", KEY)
        config = load_config(config_file)
        log_file = tmp_path / "r2kmon.log"
        assert configure_logging("INFO", log_file) == log_file
        status_file = tmp_path / "status.json"

        # --- the UI with its real runtime, and a screenshot through the app's own key ---
        runtime = Runtime(config, demo=False, status_file=status_file, persist_every_s=0.2)
        app = R2kApp(runtime, config)
        async with app.run_test(size=(160, 48)) as pilot:
            await pilot.press("7")  # the health view, where each source's error is shown
            await wait_for(pilot, app, lambda t: "Invalid API key" in t, 40)
            assert KEY not in screen_text(app)
            for _ in range(200):  # in the alert log, so the store keeps it
                alerts = runtime.state().alerts
                if any("Invalid API key" in a.message for a in alerts):
                    break
                await pilot.pause(0.1)
            else:
                raise AssertionError(f"no alert: {list(runtime.state().alerts)}")
            await pilot.press("s")
            await pilot.pause(0.5)
        (svg,) = paths.screenshot_dir().glob("*.svg")
        screenshot = svg.read_text(encoding="utf-8")
        assert "Invalid" in screenshot  # the error was on the screen that was saved

        # --- r2kmon snapshot, JSON and text, through the command line ---------------------
        capsys.readouterr()
        snap = ["snapshot", "--json", "--wait", "3", "--config", str(config_file)]
        assert await asyncio.to_thread(main, snap) == 0  # main runs its own event loop
        as_json = capsys.readouterr()
        document = json.loads(as_json.out)
        assert "Invalid API key" in (document["health"]["coingecko"]["last_error"] or "")
        assert await asyncio.to_thread(main, [a for a in snap if a != "--json"]) == 0
        as_text = capsys.readouterr()
        assert "coingecko down" in as_text.err
    finally:
        await http.stop()

    logs = [log_file, paths.log_file()]
    written = {
        **{str(p): p.read_bytes() for p in logs},
        **{str(p): p.read_bytes() for p in (tmp_path / "store").iterdir()},
        str(status_file): status_file.read_bytes(),
        str(svg): svg.read_bytes(),
        "snapshot --json": (as_json.out + as_json.err).encode(),
        "snapshot": (as_text.out + as_text.err).encode(),
    }
    # The echo reached the app and was masked where it would have been written.
    log_text = log_file.read_text(encoding="utf-8")
    assert f"Invalid API key {MASK}" in log_text
    assert any(p.endswith("r2kmon.sqlite") for p in written)
    leaked = [where for where, data in written.items() if KEY.encode() in data]
    assert leaked == []
