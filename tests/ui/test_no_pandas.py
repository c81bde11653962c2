"""The UI formats, it does not compute: no module under ``r2kmon.ui`` loads pandas or
numpy. Checked at run time in a fresh interpreter, one module after another, so the
first one that brings pandas in is named. The runtime the app starts does load them
(in a thread, after the first screen): this is about the UI's own modules.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import r2kmon.ui

HEAVY = ("pandas", "numpy")


def ui_modules() -> list[str]:
    """Every module of the UI package, found by walking it (a new view is checked too)."""
    found = pkgutil.walk_packages(r2kmon.ui.__path__, prefix="r2kmon.ui.")
    return ["r2kmon.ui", *sorted(module.name for module in found)]


def first_to_load(modules: list[str], heavy: tuple[str, ...] = HEAVY) -> str:
    """The first of ``modules`` whose import loads one of ``heavy`` ('' if none does)."""
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        f"    loaded = sorted(m for m in {heavy!r} if m in sys.modules)\n"
        "    if loaded:\n"
        "        print(name, ','.join(loaded))\n"
        "        break\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return out.stdout.strip()


def test_the_list_holds_the_app_and_every_view() -> None:
    modules = ui_modules()
    assert "r2kmon.ui.app" in modules
    for view in ("dashboard", "board", "crypto", "charts", "correlation", "macro", "health"):
        assert f"r2kmon.ui.views.{view}" in modules
    assert "r2kmon.ui.views.portfolio" in modules


def test_no_ui_module_loads_pandas_or_numpy() -> None:
    assert first_to_load(ui_modules()) == ""


def test_the_check_can_fail() -> None:
    """The analytics do load pandas: the same check names the module that brought it."""
    loaded = first_to_load(["r2kmon.ui.format", "r2kmon.analytics.compute"])
    assert loaded == "r2kmon.analytics.compute numpy,pandas"
