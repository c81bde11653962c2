"""Helpers for the ``sources`` tests: where the fixtures live, canned responses.

The wire-format fixtures are the repository's copies of ``../shared/fixtures/http``
(``tests/fixtures/http``, found through ``tests/paths.py``); ``shared`` keeps its name for
where they come from.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from r2kmon.config import DEFAULT_PROVIDERS
from tests.paths import HTTP_FIXTURES

SHARED_HTTP = HTTP_FIXTURES
LOCAL_FIXTURES = Path(__file__).resolve().parent / "fixtures"


def shared(provider: str, name: str) -> Path:
    """Path of a fixture file copied from ``../shared/fixtures/http/<provider>/``."""
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


def default_url(provider: str) -> str:
    """The provider's shipped base URL (the config's default: the one place it is written)."""
    return DEFAULT_PROVIDERS[provider].url
