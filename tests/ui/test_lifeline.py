"""A quit asked by SIGTERM or SIGHUP ends the process even when Textual's shutdown hangs
(seen under ``tmux kill-session`` during the start: the driver stopping a writer thread
that never ran, for good). Armed once per run, by the signal, never by ``q``."""

from __future__ import annotations

import logging
import signal
import threading

import pytest

from r2kmon.clock import FrozenClock
from r2kmon.config import Config
from r2kmon.ui import app as app_module
from r2kmon.ui.app import R2kApp
from r2kmon.ui.lifeline import EXIT_GRACE_S, end_within

pytestmark = pytest.mark.timeout(30)


def test_the_lifeline_ends_the_process_after_its_grace_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ended: list[int] = []
    with caplog.at_level(logging.WARNING, logger="r2kmon.ui.lifeline"):
        thread = end_within(0.05, "SIGHUP", end=ended.append)
        assert thread.daemon
        thread.join(timeout=5)
    assert ended == [0]
    assert "still running 0 s after SIGHUP: ending the process" in caplog.text


async def test_a_signal_arms_the_lifeline_once_and_quits(monkeypatch: pytest.MonkeyPatch) -> None:
    armed: list[tuple[float, str]] = []

    def record(seconds: float, why: str) -> threading.Thread:
        armed.append((seconds, why))
        return threading.current_thread()

    monkeypatch.setattr(app_module, "end_within", record)
    app = R2kApp(None, Config(), clock=FrozenClock(0.0))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("j")  # a key is not a signal: nothing armed
        assert armed == []
        app._quit_on_signal(signal.SIGHUP)
        app._quit_on_signal(signal.SIGTERM)
        await pilot.pause()
    assert armed == [(EXIT_GRACE_S, "SIGHUP")]
    assert app.return_code == 0
