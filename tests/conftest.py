"""Fixtures shared by the whole suite, and the one switch for the real-history tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.paths import HISTORY, REQUIRE_HISTORY_ENV, history_missing

pytest_plugins = ("tests.fakes.tls",)

# Hypothesis profiles. ``ci`` (the default) is what every run of the suite does: enough
# examples per fuzz test to find the usual bad frame, and no deadline (a loaded 2-core CI
# machine makes per-example times meaningless). ``long`` is the soak of the parsers that
# ``bench/fuzz.py`` runs (``HYPOTHESIS_PROFILE=long``). Tests that set ``max_examples``
# themselves keep their own count in either profile.
settings.register_profile("ci", max_examples=200, deadline=None, print_blob=True)
settings.register_profile(
    "long",
    max_examples=20_000,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_report_header() -> str:
    found = "found" if history_missing() is None else "not found: tests marked history skip"
    return f"real daily history: {HISTORY} ({found})"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``history`` are skipped, with the reason, where the real daily history is
    absent (it stays outside the repository); with ``R2KMON_REQUIRE_HISTORY=1`` (CI) the run
    fails instead, so CI can never pass with them skipped."""
    reason = history_missing()
    if reason is None:
        return
    marked = [item for item in items if item.get_closest_marker("history")]
    if not marked:
        return
    if os.environ.get(REQUIRE_HISTORY_ENV) == "1":
        raise pytest.UsageError(
            f"{reason}; {REQUIRE_HISTORY_ENV}=1 forbids skipping the {len(marked)} tests "
            "marked history"
        )
    if any("snap_compare" in getattr(item, "fixturenames", ()) for item in marked):
        # The SVG snapshots of skipped tests are unused on this run, and syrupy cannot tie
        # pytest-textual-snapshot's files ("unknown snapshot collection") to the skipped
        # test that owns them: it would fail the run, and --snapshot-update would delete
        # them. So an update is refused, and unused snapshots only warn on this run; with
        # the history (always in CI) an unused snapshot still fails.
        if getattr(config.option, "update_snapshots", False):
            raise pytest.UsageError(
                f"{reason}; --snapshot-update needs it (it would delete the snapshots of the "
                "history tests)"
            )
        config.option.warn_unused_snapshots = True
    skip = pytest.mark.skip(reason=reason)
    for item in marked:
        item.add_marker(skip)


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets its own config, data and log dirs: nothing reads or writes the
    developer's real files, and no test sees another's."""
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    monkeypatch.delenv("R2KMON_CONFIG", raising=False)
    return
