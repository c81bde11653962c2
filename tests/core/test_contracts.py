"""The import contracts catch a wrong-way import: the real tree passes, and a copy of it
with one import planted against the layers (or between two independent producers) fails.

The contracts themselves are in pyproject.toml (``[tool.importlinter]``); CI runs
``lint-imports`` on the real tree. This test runs it on a copy, so it shows the contracts
are not vacuous: they fail on exactly the arrows the architecture forbids.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

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
