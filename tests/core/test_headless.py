"""The core/UI split, checked at run time as import-linter checks it statically: importing
any headless module, or running the snapshot command, never loads Textual."""

from __future__ import annotations

import subprocess
import sys

HEADLESS = [
    "r2kmon.model",
    "r2kmon.clock",
    "r2kmon.config",
    "r2kmon.paths",
    "r2kmon.errors",
    "r2kmon.hub",
    "r2kmon.runtime",
    "r2kmon.report",
    "r2kmon.statusline",
    "r2kmon.state",
    "r2kmon.analysis",
    "r2kmon.store",
    "r2kmon.logsetup",
    "r2kmon.cli",
    "r2kmon.doctor",
    "r2kmon.sim.feed",
    "r2kmon.sim.market",
]


def test_headless_modules_do_not_load_textual() -> None:
    code = (
        "import importlib, sys\n"
        f"for name in {HEADLESS!r}: importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('textual', 'textual_plotext', 'plotext') or m.startswith('r2kmon.ui'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == ""


def test_the_ui_package_does_load_textual() -> None:
    """The check above can fail: importing the UI really does bring Textual in."""
    code = "import sys, r2kmon.ui.app; print('textual' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "True"


# What the first screen must not wait for: the UI, the runtime module and the store are
# imported before the first paint (the UI) or before the stored history is drawn (runtime,
# store); the analytics, the HTTP and websocket clients and the calendar come later, in a
# thread (bench/render.py measures the time to the first screen with stored history).
HEAVY = ("pandas", "numpy", "httpx", "websockets", "exchange_calendars", "msgspec")


def _loaded_after(modules: list[str]) -> set[str]:
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(','.join(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return set(out.stdout.strip().split(","))


def test_the_ui_and_the_stored_history_load_no_heavy_module() -> None:
    loaded = _loaded_after(["r2kmon.cli", "r2kmon.ui.app", "r2kmon.runtime", "r2kmon.store"])
    assert "textual" in loaded
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))
    # The views other than the dashboard are imported when first shown (charts: plotext).
    assert "plotext" not in loaded


def test_building_the_engine_does_load_them() -> None:
    """The check above can fail: the analytics and the feeds really do need them."""
    loaded = _loaded_after(
        [
            "r2kmon.analysis",
            "r2kmon.feeds.producers",
            "r2kmon.sources.poller",
            "r2kmon.ui.views.charts",
        ]
    )
    assert {"pandas", "httpx", "websockets", "msgspec", "plotext"} <= loaded
