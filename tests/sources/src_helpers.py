"""Helpers for the ``sources`` tests: where the fixtures live, canned responses.

The shared wire-format fixtures sit in ``../shared/fixtures/http`` beside the repository
(CI clones the repo with ``../shared`` next to it), so they are found relative to this file.
"""

from __future__ import annotations

from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
SHARED_HTTP = REPO / ".." / "shared" / "fixtures" / "http"
LOCAL_FIXTURES = Path(__file__).resolve().parent / "fixtures"


def shared(provider: str, name: str) -> Path:
    """Path of a shared fixture file."""
    return SHARED_HTTP / provider / name


def canned(
    path: Path,
    status: int = 200,
    content_type: str = "application/json;charset=utf-8",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """A response carrying the bytes of ``path`` as a real server would send them."""
    all_headers = {"content-type": content_type, **(headers or {})}
    return httpx.Response(status, content=path.read_bytes(), headers=all_headers)
