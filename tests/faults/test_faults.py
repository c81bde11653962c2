"""The fault suite: the whole app, headless, against fakes over TLS — one row per fault.

Each row of :data:`FAULTS` is a failure of the network, of a server or of the disk, driven
for real (:mod:`tests.faults.world`: the runtime as ``r2kmon snapshot`` and the UI build
it, every timer short). For every row the same four things are checked:

1. **the app stays up**: the runtime task never ends, and prices keep coming where they
   can (a failover exchange, the other sources);
2. **it says what is wrong**: the ``health`` section of the ``snapshot --json`` document
   names the source and the reason, in words a user can act on;
3. **affected values carry the right freshness**: a quote whose source cannot vouch for
   it is ``stale``; one served by a healthy fallback stays ``live``; a hostile frame
   never makes a price look fresh;
4. **recovery is by itself**: once the fake heals, the source is ``ok`` again and new
   prices flow from it, with nothing done to the app.

Where memory matters (a stream of garbage frames), the growth of the app's heap over
thousands of them is bounded (``tracemalloc``, a generous bound, never a time).

A fault is a row: give it a name, what to do to the fakes (or the disk, before start),
what the document must say while it lasts, how it heals and what recovery looks like.
"""

from __future__ import annotations

import gc
import json
import sqlite3
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from r2kmon.runtime.statusline import read_status
from tests.core.test_hardening_disk import damaged_store
from tests.fakes.exchanges import Fault, FaultKind
from tests.fakes.http import Reply
from tests.fakes.providers import MARKETS, chart_path
from tests.fakes.tls import PrivateCA
from tests.faults.world import World, running, script_live_providers

pytestmark = pytest.mark.timeout(90)

GARBAGE_FRAMES = 4000
HEAP_GROWTH_BOUND = 2_000_000
"""Bytes the heap may grow over :data:`GARBAGE_FRAMES` bad frames: 500 bytes a frame, far
above what counting them costs (nothing per frame) and far below a frame kept per frame
(the frames alone are 40 to 60 bytes each, their parse errors and log records hundreds)."""

OUTAGE_PAGE = (
    b"<!DOCTYPE html><html><head><title>503 Service Unavailable</title></head><body>"
    b"<h1>Service Unavailable</h1><p>We'll be back soon.</p></body></html>"
)
YEAR_MS = 365 * 86_400_000


# --- what the rows are made of ------------------------------------------------------------


def health(world: World, name: str) -> dict[str, Any]:
    return world.health(name)


def status(world: World, name: str) -> str | None:
    return health(world, name).get("status")


def error(world: World, name: str) -> str:
    return (health(world, name).get("last_error") or "").lower()


def streamed(world: World, symbol: str, source: str, since: float) -> bool:
    """A live quote of ``symbol`` from ``source``, stamped after ``since``."""
    quote = world.quote(symbol)
    if not quote or quote["source"] != source or quote["freshness"] != "live":
        return False
    return bool(quote["ts"] and _epoch(quote["ts"]) > since)


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def all_ok(world: World, *names: str) -> bool:
    return all(status(world, name) == "ok" for name in names)


def binance_frame(price: str, ms: int, symbol: str = "BTCUSDT") -> str:
    """A Binance combined mini-ticker frame, as the fake sends them."""
    data = {"e": "24hrMiniTicker", "E": ms, "s": symbol, "c": price, "o": "99.00"}
    return json.dumps({"stream": symbol.lower() + "@miniTicker", "data": data})


async def every_connection_fails(world: World, exchange: str, kind: FaultKind) -> None:
    """From now on each connection to ``exchange`` fails with ``kind`` at once; the open
    one is reset (so the next one meets the fault)."""
    fake = world.exchanges[exchange]
    spared: list[Fault | None] = [None] * fake.connections
    fake.faults = [*spared, *[Fault(kind, after=0)] * 10_000]
    await world.send_to_clients(exchange, [])
    assert fake.server is not None
    for connection in list(fake.server.connections):
        connection.transport.abort()


# --- the rows -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One fault. ``during`` and ``healed`` are polled until true (each must become true
    within the deadline); ``inject`` and ``heal`` act on the fakes (``heal`` ``None``: the
    app gets over it alone, e.g. a damaged store replaced at start)."""

    name: str
    inject: Callable[[World], Awaitable[None]]
    during: Callable[[World], bool]
    says: str
    """What ``during`` checks, in words (the failure message)."""
    heal: Callable[[World], Awaitable[None]] | None
    healed: Callable[[World], bool]
    before_start: Callable[[World], None] | None = None
    after_heal: Callable[[World], None] | None = None
    """Checked once when ``healed`` held (what can be asserted once, not polled)."""


async def _nothing(world: World) -> None:
    """No action: a fault whose frames were sent once (nothing to end), or one made on
    the disk before the start."""


# Exchanges ---------------------------------------------------------------------------------


async def resets(world: World) -> None:
    await every_connection_fails(world, "binance", "reset")


async def stalls(world: World) -> None:
    await every_connection_fails(world, "binance", "stall")


async def heal_binance(world: World) -> None:
    await world.restore("binance")


def failed_over(world: World, reason: str) -> bool:
    """Binance says it is not streaming and why; its symbols went to Coinbase, live."""
    since = time.time() - 1.0
    return (
        status(world, "binance") in ("connecting", "stale", "down")
        and reason in error(world, "binance")
        and streamed(world, "BTC-USD", "coinbase", since)
        and streamed(world, "ETH-USD", "coinbase", since)
    )


def binance_back(world: World) -> bool:
    since = time.time() - 1.0
    return (
        all_ok(world, "binance", "coinbase", "crypto-feeds")
        and streamed(world, "BTC-USD", "binance", since)
        and streamed(world, "ETH-USD", "binance", since)
    )


async def blackhole_binance(world: World) -> None:
    await world.blackhole("binance")


async def refuse_both(world: World) -> None:
    for name in world.exchanges:
        await world.refuse(name)


def nothing_streams(world: World) -> bool:
    """Every exchange refused: each says so with the fault set; the crypto quotes have
    aged into stale and say so; the markets are untouched."""
    exchanges = all(
        status(world, name) == "down"
        and "refused" in error(world, name)
        and health(world, name).get("fault")
        for name in world.exchanges
    )
    quotes = all(world.quote(s).get("freshness") == "stale" for s in ("BTC-USD", "ETH-USD"))
    return exchanges and quotes and status(world, "yahoo") == "ok"


async def heal_both(world: World) -> None:
    for name in world.exchanges:
        await world.restore(name)


# Hostile frames ----------------------------------------------------------------------------


async def garbage(world: World) -> None:
    """Thousands of garbage frames among the good ones; the app's heap over them is
    measured (after a first batch, so one-time costs are not counted)."""
    frames: list[str | bytes] = ["}{ not json", b"\xff\xfe binary"]
    warmup = len(frames) * 100
    await world.send_to_clients("binance", frames * 100)
    await world.until(lambda: bad_frames(world) >= warmup, "the first garbage counted")
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(GARBAGE_FRAMES // len(frames) // 100):
            await world.send_to_clients("binance", frames * 100)
        await world.until(
            lambda: bad_frames(world) >= warmup + GARBAGE_FRAMES, "every garbage frame counted"
        )
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < HEAP_GROWTH_BOUND, f"the heap grew {grown:,} bytes over the garbage"


def bad_frames(world: World) -> int:
    return int(health(world, "binance").get("bad_frames") or 0)


def counted_and_streaming(world: World, at_least: int) -> bool:
    """The bad frames are counted, the connection kept, the prices still Binance's and
    live (the fakes send 100.01, 100.02, ...)."""
    price = world.quote("BTC-USD").get("price") or 0.0
    return (
        bad_frames(world) >= at_least
        and status(world, "binance") == "ok"
        and streamed(world, "BTC-USD", "binance", time.time() - 1.0)
        and 100 < price < 200
    )


async def far_future(world: World) -> None:
    ahead = int(time.time() * 1000) + YEAR_MS
    await world.send_to_clients("binance", [binance_frame("99999.00", ahead)])


def far_future_refused(world: World) -> bool:
    quote = world.quote("BTC-USD")
    return (
        counted_and_streaming(world, 1)
        and quote["price"] != 99999.0
        and _epoch(quote["ts"]) <= time.time() + 10
    )


ADVERSARIAL = ["inf", "9e999", "1_0000", "1e308", "NaN", "-1", "1e-300"]


async def adversarial_numbers(world: World) -> None:
    now = int(time.time() * 1000)
    await world.send_to_clients("binance", [binance_frame(p, now) for p in ADVERSARIAL])


def still_streaming(world: World) -> bool:
    return counted_and_streaming(world, 1)


# Providers ---------------------------------------------------------------------------------


async def rate_limited(world: World) -> None:
    """Every Yahoo request answered 429 with a Retry-After, for as long as it lasts."""
    storm = Reply(429, b'{"error": "Too Many Requests"}', headers={"Retry-After": "1"})
    for symbol in MARKETS:
        for interval in ("1m", "1d"):
            world.http.script(chart_path(symbol) + f"?interval={interval}", storm)


def markets_stale(world: World) -> bool:
    """Yahoo says it is rate limited and when it will ask again; the market quotes it can
    no longer vouch for are stale; the crypto quotes are untouched."""
    return (
        status(world, "yahoo") in ("stale", "down")
        and ("429" in error(world, "yahoo") or "rate" in error(world, "yahoo"))
        and health(world, "yahoo").get("retry_at") is not None
        and all(world.quote(s).get("freshness") == "stale" for s in MARKETS)
        and world.quote("BTC-USD").get("freshness") == "live"
    )


async def providers_heal(world: World) -> None:
    script_live_providers(world.http)


def markets_back(world: World) -> bool:
    return status(world, "yahoo") == "ok" and all(
        world.quote(s).get("freshness") in ("live", "closed", "delayed") for s in MARKETS
    )


async def outage_page(world: World) -> None:
    page = Reply(503, OUTAGE_PAGE, content_type="text/html; charset=utf-8")
    for path in ("/api/v3/global", "/api/v3/coins/markets"):
        world.http.script(path, page)


def coingecko_down(world: World) -> bool:
    """CoinGecko says 503; the dominance it gave stays, with its own time, not renewed."""
    dominance = world.doc()["context"].get("btc_dominance") or {}
    return (
        status(world, "coingecko") in ("stale", "down")
        and "503" in error(world, "coingecko")
        and dominance.get("value") is not None
        and dominance.get("source") == "coingecko"
    )


def coingecko_back(world: World) -> bool:
    return status(world, "coingecko") == "ok" and status(world, "http-sources") == "ok"


# The disk ----------------------------------------------------------------------------------


def damage_the_store(world: World) -> None:
    damaged_store(world.store_path)


def fresh_store_beside_the_damaged_one(world: World) -> bool:
    moved = list(world.store_path.parent.glob(world.store_path.name + ".damaged-*"))
    return (
        bool(moved)
        and "damaged" in error(world, "store")
        and streamed(world, "BTC-USD", "binance", time.time() - 1.0)
    )


def store_written(world: World) -> bool:
    """The fresh store is in use: the hub's bars (the REST backfill's, Yahoo's, ...) are
    written to it."""
    if status(world, "store") != "ok" or not world.store_path.exists():
        return False
    db = sqlite3.connect(world.store_path)
    try:
        (count,) = db.execute("SELECT count(*) FROM bars").fetchone()
    except sqlite3.OperationalError:  # not created yet
        return False
    finally:
        db.close()
    return bool(count > 0)


def block_the_data_dir(world: World) -> None:
    """The data dir cannot be made: its path is a regular file (a read-only directory
    would not stop root, whom CI runs as)."""
    directory = world.store_path.parent
    directory.rmdir()
    directory.write_text("not a directory")


async def unblock_the_data_dir(world: World) -> None:
    """The fault ends: the data dir can be made (the file in its place is gone)."""
    directory = world.store_path.parent
    directory.unlink()
    directory.mkdir()


def running_without_history(world: World) -> bool:
    """The store is down, saying which file and why; prices flow; the status line still
    finds the app (its file went to the fallback place)."""
    state = read_status(world.status_path) or {}
    return (
        status(world, "store") == "down"
        and str(world.store_path).lower() in error(world, "store")
        and streamed(world, "BTC-USD", "binance", time.time() - 1.0)
        and "BTC-USD" in state.get("quotes", {})
    )


FAULTS = [
    Row(
        "exchange resets every connection",
        resets,
        lambda w: failed_over(w, "connection reset by the server"),
        "binance says its connection is reset; BTC and ETH live from coinbase",
        heal_binance,
        binance_back,
    ),
    Row(
        "exchange stalls (subscribed, then silent)",
        stalls,
        lambda w: failed_over(w, "no data"),
        "binance says it gets no data; BTC and ETH live from coinbase",
        heal_binance,
        binance_back,
    ),
    Row(
        "exchange blackholed (TCP accepted, nothing answered)",
        blackhole_binance,
        lambda w: failed_over(w, "no answer"),
        "binance says it gets no answer; BTC and ETH live from coinbase",
        heal_binance,
        binance_back,
    ),
    Row(
        "every exchange refuses connections",
        refuse_both,
        nothing_streams,
        "both exchanges down, refused, fault set; BTC and ETH stale",
        heal_both,
        binance_back,
    ),
    Row(
        "garbage frames",
        garbage,
        lambda w: counted_and_streaming(w, GARBAGE_FRAMES),
        "every garbage frame counted; binance ok and live",
        _nothing,
        still_streaming,
    ),
    Row(
        "a frame stamped a year ahead",
        far_future,
        far_future_refused,
        "the frame counted as bad; the price never 99,999 nor from the future",
        _nothing,
        still_streaming,
    ),
    Row(
        "prices spelled inf, 9e999, 1_0000, 1e308, NaN, -1, 1e-300",
        adversarial_numbers,
        lambda w: counted_and_streaming(w, len(ADVERSARIAL)),
        "each counted as a bad frame; the price stays the fake's",
        _nothing,
        still_streaming,
    ),
    Row(
        "429 storm with Retry-After",
        rate_limited,
        markets_stale,
        "yahoo says 429; every market quote stale; crypto live",
        providers_heal,
        markets_back,
    ),
    Row(
        "provider outage page (HTML 503)",
        outage_page,
        coingecko_down,
        "coingecko says 503; its last dominance value kept with its source",
        providers_heal,
        coingecko_back,
    ),
    Row(
        "damaged store file",
        _nothing,
        fresh_store_beside_the_damaged_one,
        "moved aside as .damaged-*, the store says so; prices flow",
        None,
        store_written,
        before_start=damage_the_store,
    ),
    # Met at the start (the store is opened then); once the data dir can be made, the
    # next write opens the store and writes the hub's bars to it, with no restart.
    Row(
        "data dir that cannot be made",
        _nothing,
        running_without_history,
        "store down naming the file; prices flow; status line still finds the app",
        unblock_the_data_dir,
        store_written,
        before_start=block_the_data_dir,
    ),
]


@pytest.mark.parametrize("row", FAULTS, ids=[row.name for row in FAULTS])
async def test_fault(
    row: Row, tmp_path: Path, trusted: PrivateCA, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running(tmp_path, trusted, monkeypatch, row.before_start) as world:
        if row.before_start is None:
            # Healthy first: everything this suite's fakes serve is ok and live.
            await world.until(
                lambda: binance_back(world) and markets_back(world) and coingecko_back(world),
                "the app healthy before the fault",
            )
        await row.inject(world)
        await world.until(lambda: row.during(world), f"{row.name}: {row.says}")
        if row.heal is not None:
            await row.heal(world)
        await world.until(lambda: row.healed(world), f"{row.name}: recovery")
        if row.after_heal is not None:
            row.after_heal(world)
        world.check_running()
