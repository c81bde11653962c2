"""Where the tests find their data; every test takes these paths from here.

- ``FIXTURES`` (``tests/fixtures``), ``EXCHANGE_FIXTURES`` and ``HTTP_FIXTURES`` in it: the
  wire-format fixtures, copies of ``../shared/fixtures/{exchanges,http}`` kept in the
  repository so a fresh clone can test (``tests/fixtures/README.md``).
- ``HISTORY``: the real daily price history. Its terms forbid redistribution, so it stays
  outside the repository: ``$R2KMON_HISTORY_DIR``, else ``../shared/data/history`` beside the
  repository. Tests that read it are marked ``@pytest.mark.history``; ``tests/conftest.py``
  skips them, with :func:`history_missing`'s reason, where it is absent, or fails the run
  instead when ``R2KMON_REQUIRE_HISTORY=1`` (CI sets it, so CI never skips them).
"""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
EXCHANGE_FIXTURES = FIXTURES / "exchanges"
HTTP_FIXTURES = FIXTURES / "http"

HISTORY_ENV = "R2KMON_HISTORY_DIR"
REQUIRE_HISTORY_ENV = "R2KMON_REQUIRE_HISTORY"


def _history_dir() -> Path:
    configured = os.environ.get(HISTORY_ENV, "")
    if configured:
        return Path(configured).expanduser().resolve()
    return (REPO.parent / "shared" / "data" / "history").resolve()


HISTORY = _history_dir()


def history_missing() -> str | None:
    """Why the history tests cannot run here, or None when ``HISTORY`` is there."""
    if HISTORY.is_dir():
        return None
    return (
        f"real daily history not found at {HISTORY}: set {HISTORY_ENV} "
        "or clone with ../shared beside the repository"
    )


def history(*parts: str) -> Path:
    """A path inside the real daily history, e.g. ``history("RUT.csv")``.

    Only for tests marked ``history``: an unmarked test that gets here without the history
    fails saying so, rather than with a bare FileNotFoundError.
    """
    reason = history_missing()
    if reason is not None:
        raise RuntimeError(f"{reason} (a test reading it must be marked @pytest.mark.history)")
    return HISTORY.joinpath(*parts)
