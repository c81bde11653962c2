"""Analytics stays pure: importing it loads no network, storage, producer or UI module."""

from __future__ import annotations

import subprocess
import sys

FORBIDDEN = [
    "websockets", "httpx", "sqlite3", "textual", "r2kmon.hub", "r2kmon.feeds",
    "r2kmon.sources", "r2kmon.runtime", "r2kmon.ui", "r2kmon.config",
]  # fmt: skip


def test_import_loads_nothing_forbidden() -> None:
    code = (
        "import sys, r2kmon.analytics, r2kmon.analytics.compute; "
        f"print(','.join(m for m in {FORBIDDEN!r} if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == ""
