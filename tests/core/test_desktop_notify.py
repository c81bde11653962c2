"""Desktop notifications (``[general] desktop_notify``): off by default; when on, each rule
that fires goes through the ``notify-send`` found on PATH (here a fake one that records its
arguments), cleaned and redacted; a notifier that is missing or fails is said once."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path

import pytest

from r2kmon.config import Config, describe, parse_config
from r2kmon.model import Alert
from r2kmon.redact import forget_secrets, register_secret
from r2kmon.runtime import Runtime
from r2kmon.runtime.desktop import DESKTOP_SOURCE, DesktopNotifier, desktop_notifier
from tests.core.test_alert_rules import T0, Feed

pytestmark = pytest.mark.timeout(30)

ALERT = Alert(T0, "alert", "BTC-USD", "BTC-USD above 100,000.00: 100,012.34 (binance)")

# Each call appends its arguments, one per line, then a blank line; exits with $FAKE_EXIT.
FAKE = """#!/bin/sh
for arg in "$@"; do printf '%s\\n' "$arg" >> "{out}"; done
printf '\\n' >> "{out}"
exit {code}
"""


def fake_notify_send(directory: Path, out: Path, code: int = 0) -> Path:
    directory.mkdir(exist_ok=True)
    path = directory / "notify-send"
    path.write_text(FAKE.format(out=out, code=code))
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def calls(out: Path) -> list[list[str]]:
    """The argument lists the fake was called with."""
    if not out.exists():
        return []
    return [block.splitlines() for block in out.read_text().split("\n\n") if block]


@pytest.fixture
def on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fake notify-send first on PATH; yields the file its calls are recorded in."""
    out = tmp_path / "calls.txt"
    bin_dir = tmp_path / "bin"
    fake_notify_send(bin_dir, out)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    return out


def config_with(tmp_path: Path, general: str) -> Config:
    return parse_config(
        f"""
[general]
{general}

[store]
enabled = false

[[alerts]]
symbol = "^RUT"
below = 2400
""",
        tmp_path / "r2kmon.toml",
    )


async def settle(notifier: DesktopNotifier) -> None:
    async with asyncio.timeout(10):
        await notifier.wait()


def test_off_by_default_even_with_a_notifier_on_path(on_path: Path, tmp_path: Path) -> None:
    assert Config().general.desktop_notify is False
    runtime = Runtime(config_with(tmp_path, ""), demo=False, producers=[])
    assert runtime.desktop_notifier is None
    assert desktop_notifier(True, lambda alert: None) is not None  # it is there to be used


async def test_a_rule_that_fires_is_shown_on_the_desktop(on_path: Path, tmp_path: Path) -> None:
    feed = Feed()
    config = config_with(tmp_path, "desktop_notify = true")
    runtime = Runtime(config, demo=False, clock=feed.clock, producers=[], hub=feed.hub)
    notifier = runtime.desktop_notifier
    assert notifier is not None
    feed.tick("2410", symbol="^RUT")
    await runtime.analysis.step()
    assert calls(on_path) == []  # the first look only tells the side
    feed.tick("2390", symbol="^RUT")
    await runtime.analysis.step()
    await settle(notifier)
    assert calls(on_path) == [
        [
            "--app-name=r2kmon",
            "--",
            "r2kmon: ^RUT",
            "^RUT below 2,400.00: 2,390.00 (binance, 15:00:02 UTC)",
        ]
    ]
    assert [alert.level for alert in runtime.state().alerts] == ["alert"]  # no warning


async def test_the_text_is_cleaned_redacted_and_shown_as_written(
    on_path: Path, tmp_path: Path
) -> None:
    secret = "sk-live-0123456789abcdef"
    register_secret(secret)
    try:
        notifier = desktop_notifier(True, lambda alert: None)
        assert notifier is not None
        notifier(
            Alert(
                T0,
                "alert",
                "\x1b]0;pwned\x07BTC-USD",
                f"-5 % \x1b[2Jwithin 1h; key={secret} <b>bold</b> & co",
            )
        )
        await settle(notifier)
    finally:
        forget_secrets()
    [args] = calls(on_path)
    # "--" ends the options: the message starting with "-" is not one
    assert args[:2] == ["--app-name=r2kmon", "--"]
    summary, body = args[2:]
    assert "\x1b" not in summary + body
    assert "\x07" not in summary + body
    assert secret not in body
    assert body == "-5 % [2Jwithin 1h; key=*** &lt;b&gt;bold&lt;/b&gt; &amp; co"
    assert summary == "r2kmon: ]0;pwnedBTC-USD"


async def test_a_failing_notifier_is_reported_once(tmp_path: Path) -> None:
    """No D-Bus session (over SSH) fails every notification: one warning, not one each."""
    out = tmp_path / "calls.txt"
    program = fake_notify_send(tmp_path / "bin", out, code=1)
    reports: list[Alert] = []
    notifier = DesktopNotifier(str(program), reports.append)
    notifier(ALERT)
    await settle(notifier)
    notifier(ALERT)
    await settle(notifier)
    assert len(calls(out)) == 2
    assert [(a.level, a.source) for a in reports] == [("warning", DESKTOP_SOURCE)]
    assert reports[0].message.startswith("desktop notification failed:")


async def test_on_without_a_notifier_is_said_once_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    feed = Feed()
    config = config_with(tmp_path, "desktop_notify = true")
    runtime = Runtime(config, demo=False, clock=feed.clock, producers=[], hub=feed.hub)
    assert runtime.desktop_notifier is None
    assert any("notify-send is not on PATH" in line for line in describe(config))
    task = asyncio.create_task(runtime.run())
    try:
        assert await runtime.wait_answered(20)  # running: past the start's notes
        # Rules firing after that say nothing more about the missing notifier.
        feed.tick("2410", symbol="^RUT")
        await runtime.analysis.step()
        feed.tick("2390", symbol="^RUT")
        await runtime.analysis.step()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    said = [(a.level, a.source) for a in runtime.state().alerts]
    assert said == [("warning", DESKTOP_SOURCE), ("alert", "^RUT")]
    assert "notify-send is not on PATH" in runtime.state().alerts[0].message
