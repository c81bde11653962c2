"""All-market crypto breadth from Binance's ``!miniTicker@arr`` stream.

Used by the runtime (one :class:`BreadthFeed` when ``crypto.breadth`` is on) and by
``bench/ingest.py``, which measures its CPU cost. The computation (:class:`BreadthState`)
is pure; :class:`BreadthFeed` runs it over the shared connection manager and pushes two
:class:`~r2kmon.model.ContextValue` records once per ``interval``:

* ``crypto_breadth_up_pct``: share of USDT pairs whose last price is above their 24 h open;
* ``alts_beating_btc_pct``: share of the top alts by 24 h quote volume (stablecoins
  excluded) whose 24 h change beats Bitcoin's.

The stream sends, about once a second, one array holding the mini-ticker of every symbol
that changed in that second (``fixtures/exchanges/README.md`` §1), so the state keeps the
latest entry per symbol and computes over all of them.

One element of the array::

    {"e":"24hrMiniTicker","E":1749183266025,"s":"BTCUSDT","c":"102492.27000000",
     "o":"105121.06000000","h":"105909.71000000","l":"100372.26000000",
     "v":"24032.63625000","q":"2472261593.19821790"}
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from r2kmon.clock import Clock, SystemClock
from r2kmon.feeds.base import (
    HEARTBEAT,
    MAX_NUMBER,
    MIN_PRICE,
    OTHER,
    FeedError,
    Parsed,
    plain,
)
from r2kmon.feeds.binance import BinanceAdapter
from r2kmon.feeds.connection import FeedConnection, FeedSettings
from r2kmon.model import ContextValue, Sink

_LOW, _HIGH = float(MIN_PRICE), float(MAX_NUMBER)

UP_PCT = "crypto_breadth_up_pct"
ALTS_PCT = "alts_beating_btc_pct"

# Dollar-pegged and fiat bases: their "24 h change" says nothing about risk appetite.
STABLE_BASES = frozenset(
    [
        "USDC",
        "FDUSD",
        "TUSD",
        "BUSD",
        "DAI",
        "USDP",
        "USDE",
        "PYUSD",
        "USD1",
        "RLUSD",
        "USDS",
        "BFUSD",
        "XUSD",
        "EUR",
        "AEUR",
        "EURI",
        "GBP",
        "TRY",
        "BRL",
    ]
)


@dataclass(frozen=True, slots=True)
class BreadthReading:
    """One computation: shares in percent, counts behind them, exchange time (s)."""

    up_pct: float | None
    alts_beating_btc_pct: float | None
    pairs: int
    alts: int
    as_of: float | None


class BreadthState:
    """Latest (close, open, quote volume) per USDT pair, and the two shares over them."""

    def __init__(self, quote: str = "USDT", top_alts: int = 50) -> None:
        self.quote = quote
        self.top_alts = top_alts
        self.latest: dict[str, tuple[float, float, float]] = {}
        self.as_of: float | None = None
        self.latest_ts = math.inf
        """The latest exchange time taken (the feed sets it from its clock and the allowed
        skew): ``as_of`` only grows, so one far-future time would freeze it."""

    def update(self, items: Sequence[Any]) -> int:
        """Take one array from the stream; returns how many entries were used."""
        quote, cut = self.quote, len(self.quote)
        used = 0
        for item in items:
            if not isinstance(item, dict):
                raise FeedError("all-market mini-ticker entry is not an object")
            symbol = item.get("s")
            if not isinstance(symbol, str) or not symbol.endswith(quote) or len(symbol) <= cut:
                continue
            c, o, q = item.get("c"), item.get("o"), item.get("q")
            # The number rule of feeds.base (as floats: ~2,000 entries a second).
            if not (
                isinstance(c, str)
                and isinstance(o, str)
                and isinstance(q, str)
                and plain(c)
                and plain(o)
                and plain(q)
            ):
                raise FeedError(f"all-market mini-ticker entry for {symbol[:20]!r}")
            close, open_, volume = float(c), float(o), float(q)
            if not (open_ > 0 and close > 0):
                continue  # not trading (a zero price): no 24 h change to count
            if not (_LOW <= close <= _HIGH and _LOW <= open_ <= _HIGH and volume <= _HIGH):
                raise FeedError(f"all-market mini-ticker entry for {symbol[:20]!r} out of range")
            event = item.get("E")
            if isinstance(event, int) and not isinstance(event, bool):
                ts = event / 1000
                if ts > self.latest_ts:
                    # Only the future is refused here: as_of is the newest time seen, so an
                    # old one changes nothing, and the entries are not bars.
                    raise FeedError(
                        f"all-market mini-ticker entry for {symbol[:20]!r} stamped {event} ms, "
                        "further ahead of this machine's clock than max_clock_skew_s"
                    )
                if self.as_of is None or ts > self.as_of:
                    self.as_of = ts
            self.latest[symbol[:-cut]] = (close, open_, volume)
            used += 1
        return used

    def reading(self) -> BreadthReading:
        latest = self.latest
        pairs = [v for base, v in latest.items() if base not in STABLE_BASES]
        up = sum(1 for close, open_, _ in pairs if close > open_)
        up_pct = 100.0 * up / len(pairs) if pairs else None
        btc = latest.get("BTC")
        alts_pct: float | None = None
        alts: list[tuple[float, float, float]] = []
        if btc is not None:
            btc_change = btc[0] / btc[1]
            alts = sorted(
                (v for base, v in latest.items() if base not in STABLE_BASES and base != "BTC"),
                key=lambda v: v[2],
                reverse=True,
            )[: self.top_alts]
            if alts:
                beating = sum(1 for close, open_, _ in alts if close / open_ > btc_change)
                alts_pct = 100.0 * beating / len(alts)
        return BreadthReading(up_pct, alts_pct, len(pairs), len(alts), self.as_of)


class BreadthAdapter(BinanceAdapter):
    """Subscribes ``!miniTicker@arr`` and feeds each array into a :class:`BreadthState`."""

    exchange: ClassVar[str] = "binance"

    def __init__(self, state: BreadthState, **kwargs: Any) -> None:
        super().__init__((), **kwargs)
        self.state = state

    def subscribe_messages(self, symbols: Sequence[str]) -> list[str]:
        return ['{"method":"SUBSCRIBE","params":["!miniTicker@arr"],"id":1}']

    def classify(self, message: Any) -> Parsed:
        data = message.get("data") if isinstance(message, dict) else message
        if isinstance(data, list):
            self.state.update(data)
            # Not prices for the quote table; a sign of life for the connection manager.
            return HEARTBEAT
        if isinstance(message, dict):
            return super().classify(message)
        return OTHER


class BreadthFeed:
    """Runs the breadth stream and pushes the two context values every ``interval``.

    Implements the runtime's ``Producer`` protocol (``name``, ``run(sink)``).
    """

    def __init__(
        self,
        settings: FeedSettings | None = None,
        *,
        interval: float = 1.0,
        top_alts: int = 50,
        clock: Clock | None = None,
    ) -> None:
        self.settings = replace(
            settings or FeedSettings("binance-breadth", "binance", ()),
            symbols=(),
            channel="ticker",
        )
        self.clock: Clock = clock or SystemClock()
        self.state = BreadthState(top_alts=top_alts)
        self.interval = interval
        adapter = BreadthAdapter(
            self.state, source=self.settings.name, url=self.settings.url or None
        )
        self.connection = FeedConnection(self.settings, clock=self.clock, adapter=adapter)

    @property
    def name(self) -> str:
        return self.settings.name

    def values(self) -> list[ContextValue]:
        reading = self.state.reading()
        source = self.settings.name
        return [
            ContextValue(UP_PCT, reading.up_pct, "%", source, reading.as_of),
            ContextValue(ALTS_PCT, reading.alts_beating_btc_pct, "%", source, reading.as_of),
        ]

    def _follow_clock(self) -> None:
        self.state.latest_ts = self.clock.now() + self.settings.max_clock_skew

    async def run(self, sink: Sink) -> None:
        self._follow_clock()
        pusher = asyncio.create_task(self._push(sink))
        try:
            await self.connection.run(sink)
        finally:
            pusher.cancel()
            await asyncio.wait({pusher})

    async def _push(self, sink: Sink) -> None:
        while True:
            await asyncio.sleep(self.interval)
            self._follow_clock()
            if self.state.latest:
                for value in self.values():
                    sink.push_context(value)
