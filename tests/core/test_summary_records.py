"""The summary records (``crypto-feeds``, ``http-sources``) are marked as such by the
producers that push them, and ``snapshot --json``'s health says so, so a script counting
sources does not count one outage twice either."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import pytest

from r2kmon.config import DEFAULT_EXCHANGES, load_config
from r2kmon.model import reachability
from r2kmon.runtime import Runtime, market_hours
from r2kmon.runtime.snapshot import build_document
from tests.fakes.tls import PrivateCA, closed_port, derived_endpoints, toml_tables

pytestmark = pytest.mark.timeout(60)


async def test_the_real_producers_mark_their_summaries_and_the_report_shows_it(
    tmp_path: Path, trusted: PrivateCA
) -> None:
    market_hours()  # loaded once up front (see tests/ui/test_offline.py)
    port = closed_port()
    tables: dict[str, Mapping[str, object]] = {"store": {"enabled": False}}
    tables.update(derived_endpoints({name: port for name in DEFAULT_EXCHANGES}, port))
    path = tmp_path / "refused.toml"
    path.write_text(toml_tables(tables), encoding="utf-8")
    runtime = Runtime(load_config(path), demo=False)
    async with runtime_running(runtime):
        assert await runtime.wait_answered(30)
        state = runtime.state()
    health = build_document(state, state.hub.taken_at)["health"]
    summaries = {name for name, record in health.items() if record["summary"]}
    assert summaries == {"crypto-feeds", "http-sources"}
    assert all(
        record["summary"] is False for name, record in health.items() if name not in summaries
    )
    reach = reachability(state.hub.health.values(), state.hub.taken_at)
    assert reach.counted == len(health) - 2
    assert reach.offline


@contextlib.asynccontextmanager
async def runtime_running(runtime: Runtime) -> AsyncIterator[Runtime]:
    """Run the runtime in a task for the ``async with`` block, then stop it."""
    task = asyncio.create_task(runtime.run())
    try:
        yield runtime
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
