"""The import contracts catch a wrong-way import: the real tree passes, and a copy of it
with one import planted against the layers (or between two independent producers) fails.

The contracts themselves are in pyproject.toml (``[tool.importlinter]``); CI runs
``lint-imports`` on the real tree. This test runs it on a copy, so it shows the contracts
are not vacuous: they fail on exactly the arrows the architecture forbids.

One rule is also checked here without import-linter, by reading the source with ``ast``:
pandas, numpy and exchange_calendars are imported only under ``r2kmon/analytics`` (at
module level, inside a function or under ``TYPE_CHECKING`` alike), so every other layer
hands the analytics plain values and gets plain values back.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

from tests.paths import REPO

pytestmark = pytest.mark.timeout(120)

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _copy(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "src" / "r2kmon", tmp_path / "src" / "r2kmon")
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=100,
    )


def _plant(root: Path, module: str, line: str) -> None:
    path = root / "src" / Path(*module.split(".")).with_suffix(".py")
    path.write_text(path.read_text() + f"\n{line}  # planted by the test\n")


def test_the_tree_as_it_is_keeps_every_contract(tmp_path: Path) -> None:
    out = _lint(_copy(tmp_path))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "0 broken" in out.stdout


def test_a_lower_layer_importing_a_higher_one_breaks_the_layers(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _plant(root, "r2kmon.hub", "import r2kmon.runtime.state")
    out = _lint(root)
    assert out.returncode == 1
    assert "Layers: cli, ui, runtime" in out.stdout
    assert "BROKEN" in out.stdout
    assert "r2kmon.hub -> r2kmon.runtime.state" in out.stdout


def test_a_producer_importing_another_breaks_their_independence(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _plant(root, "r2kmon.feeds.okx", "import r2kmon.sources.base")
    out = _lint(root)
    assert out.returncode == 1
    assert "Producers are independent" in out.stdout
    assert "r2kmon.feeds.okx -> r2kmon.sources.base" in out.stdout


def test_the_model_importing_pandas_breaks_its_contract(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _plant(root, "r2kmon.model.core", "import pandas")
    out = _lint(root)
    assert out.returncode == 1
    assert "The model is plain values" in out.stdout


# --- pandas, numpy and exchange_calendars stay in the analytics ----------------------------

HEAVY = frozenset({"pandas", "numpy", "exchange_calendars"})
"""The packages only ``r2kmon.analytics`` imports."""

FRAMES_HOME = "analytics"
"""The one package of ``r2kmon`` allowed to import them."""


def _imported(node: ast.AST) -> list[str]:
    """The modules ``node`` imports: an ``import`` statement, or a call of ``__import__``
    or ``import_module`` with the name written out."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        return [node.module] if node.module and node.level == 0 else []
    if isinstance(node, ast.Call) and node.args:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        first = node.args[0]
        if name in ("__import__", "import_module") and isinstance(first, ast.Constant):
            return [str(first.value)]
    return []


def heavy_imports(package: Path) -> list[str]:
    """Every import of :data:`HEAVY` in the package at ``package`` outside its
    :data:`FRAMES_HOME`, as ``path:line module`` (empty: the rule holds)."""
    found: list[str] = []
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package)
        if relative.parts[0] == FRAMES_HOME:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            for module in _imported(node):
                if module.split(".")[0] in HEAVY:
                    found.append(f"{relative.as_posix()}:{getattr(node, 'lineno', 0)} {module}")
    return found


def test_only_the_analytics_import_pandas_numpy_or_exchange_calendars() -> None:
    assert heavy_imports(REPO / "src" / "r2kmon") == []


def test_the_check_walks_the_analytics_too_and_finds_their_imports() -> None:
    """Not vacuous: with the analytics counted as any other package, their imports show."""
    found = heavy_imports(REPO / "src")  # from src/, the analytics are "r2kmon/analytics"
    assert "r2kmon/analytics/frames.py" in {entry.split(":")[0] for entry in found}
    assert any(entry.endswith(" exchange_calendars") for entry in found)


def test_a_planted_heavy_import_is_caught_wherever_it_hides(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    package = root / "src" / "r2kmon"
    _plant(root, "r2kmon.store", "import pandas as pd")
    _plant(root, "r2kmon.runtime.persist", "def _frame() -> None:\n    from numpy import nan")
    _plant(
        root,
        "r2kmon.ui.format",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import exchange_calendars.xnys",
    )
    _plant(root, "r2kmon.model.core", "__import__('pandas')")
    found = heavy_imports(package)
    assert [entry.split(":")[0] + " " + entry.split(" ")[1] for entry in found] == [
        "model/core.py pandas",
        "runtime/persist.py numpy",
        "store.py pandas",
        "ui/format.py exchange_calendars.xnys",
    ]


def test_the_contract_lists_every_module_outside_the_analytics() -> None:
    """The import-linter contract names its source modules one by one (the package itself
    would take in the analytics): a new top-level module must be added to it."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    (contract,) = [
        c
        for c in config["tool"]["importlinter"]["contracts"]
        if c["name"] == "Only the analytics import pandas, numpy and exchange_calendars"
    ]
    assert set(contract["forbidden_modules"]) == HEAVY
    package = REPO / "src" / "r2kmon"
    top = {
        f"r2kmon.{path.stem}"
        for path in package.iterdir()
        if (path.suffix == ".py" and path.stem != "__init__") or (path / "__init__.py").exists()
    }
    assert set(contract["source_modules"]) == top - {f"r2kmon.{FRAMES_HOME}"}


def test_a_planted_heavy_import_breaks_the_contract(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _plant(root, "r2kmon.store", "import numpy")
    out = _lint(root)
    assert out.returncode == 1
    assert "Only the analytics import pandas, numpy and exchange_calendars" in out.stdout
    assert "r2kmon.store -> numpy" in out.stdout


def test_a_module_over_400_lines_says_why_at_its_top() -> None:
    """The house rule (issue 13): no module over about 400 lines without a sentence at its
    top saying why."""
    root = REPO / "src" / "r2kmon"
    silent = []
    for path in sorted(root.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if text.count("\n") <= 400:
            continue
        doc = ast.get_docstring(ast.parse(text)) or ""
        if not re.search(r"Why (over 400 lines|one module)", doc):
            silent.append(str(path.relative_to(root)))
    assert silent == []
