"""The hub: the one place where live state is kept while r2kmon runs.

Producers (feeds, sources, the simulator) push normalized events into it through the
:class:`~r2kmon.model.Sink` methods; the UI, the report and the analytics read immutable
:class:`~r2kmon.model.HubSnapshot` objects from :meth:`Hub.snapshot`. No widget talks to a
socket and no adapter touches a widget.

Pushes happen per message on the event loop, so they only update a few slots; the work of
building immutable tuples happens in :meth:`Hub.snapshot`, which readers call a few times
a second at most and which is cached while nothing changed.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from types import MappingProxyType

from r2kmon.clock import Clock
from r2kmon.model import (
    BAR_SECONDS,
    Bar,
    ContextValue,
    HubSnapshot,
    Interval,
    Quote,
    SourceHealth,
    Tick,
)
from r2kmon.redact import redact

log = logging.getLogger(__name__)

MINUTE_BARS_KEPT = 24 * 60
"""One day of 1-minute bars per symbol: what the sparklines and intraday charts need."""

DAILY_BARS_KEPT = 40 * 366
"""Daily history deep enough for the Russell 2000 since 1987."""

_ZERO = Decimal(0)

RATE_WINDOW_S = 10.0
"""Messages per second are measured over this many seconds."""


class _Series:
    """Bars of one symbol and interval: closed bars plus the one still forming.

    The forming bar is kept as plain mutable numbers and becomes a :class:`Bar` only when
    a reader asks (:meth:`as_tuple`). Its numbers stay the ticks' own Decimals: comparing
    and adding Decimals costs a few tens of nanoseconds, converting one to float ten times
    that, so a tick costs no conversion and the bar converts once when read or closed.
    """

    __slots__ = ("_cache", "close", "closed", "high", "low", "open", "seconds", "start", "volume")

    def __init__(self, seconds: int, keep: int) -> None:
        self.seconds = seconds
        self.closed: deque[Bar] = deque(maxlen=keep)
        self.start: float | None = None
        self.open = self.high = self.low = self.close = self.volume = _ZERO
        self._cache: tuple[Bar, ...] | None = None

    @property
    def current(self) -> Bar | None:
        if self.start is None:
            return None
        return Bar(
            self.start,
            float(self.open),
            float(self.high),
            float(self.low),
            float(self.close),
            float(self.volume),
        )

    def add_price(self, ts: float, price: Decimal, size: Decimal | None) -> None:
        start = ts - ts % self.seconds
        if start == self.start:  # the common case first: another tick in the same bar
            try:
                if price > self.high:
                    self.high = price
                elif price < self.low:
                    self.low = price
            except InvalidOperation:
                # A NaN from merged history (Decimal refuses to order it): the tick's
                # price replaces whichever bound is not a number.
                if self.high.is_nan():
                    self.high = price
                if self.low.is_nan():
                    self.low = price
            self.close = price
            if size:
                self.volume += size
        elif self.start is None or start > self.start:
            current = self.current
            if current is not None:
                self.closed.append(current)
            self.start = start
            self.open = self.high = self.low = self.close = price
            self.volume = size or _ZERO
        else:
            return  # a late tick for a bar already closed: keep the bar as it closed
        self._cache = None

    def merge(self, bars: Iterable[Bar]) -> None:
        """Merge history bars; a bar with the same start replaces the older one."""
        by_start = {bar.start: bar for bar in self.closed}
        current = self.current
        if current is not None:
            by_start[current.start] = current
        for bar in bars:
            by_start[bar.start] = bar
        ordered = sorted(by_start.values(), key=lambda bar: bar.start)
        self.closed.clear()
        self.closed.extend(ordered[:-1])
        last = ordered[-1]
        self.start = last.start
        # Decimal(float) is exact, so the bar reads back as the very floats it was given.
        self.open, self.high, self.low, self.close, self.volume = map(Decimal, last[1:])
        self._cache = None

    def as_tuple(self) -> tuple[Bar, ...]:
        if self._cache is None:
            bars = tuple(self.closed)
            current = self.current
            self._cache = bars if current is None else (*bars, current)
        return self._cache


class _Rate:
    """Messages per second of one source, sampled when a snapshot is taken.

    The hot path only counts (:meth:`Hub.push_ticks` adds one per tick to a plain dict); the
    rate is the count's growth over the last window of at least :data:`RATE_WINDOW_S`
    seconds between samples, so a source that goes quiet drops to zero at the next one.
    """

    __slots__ = ("base", "rate", "window_start")

    def __init__(self, now: float) -> None:
        self.window_start = now
        self.base = 0
        self.rate = 0.0

    def sample(self, total: int, now: float) -> float:
        elapsed = now - self.window_start
        if elapsed >= RATE_WINDOW_S:
            self.rate = (total - self.base) / elapsed
            self.window_start = now
            self.base = total
        return self.rate


class Hub:
    """Latest quote per symbol, bars built from ticks, health per source, context values.

    ``symbols`` fixes the display order; symbols that arrive without being configured are
    kept too and listed after them.
    """

    def __init__(self, clock: Clock, *, simulated: bool, symbols: Sequence[str] = ()) -> None:
        self._clock = clock
        self._simulated = simulated
        self._symbols: list[str] = list(dict.fromkeys(symbols))
        self._known = set(self._symbols)
        self._latest: dict[str, Tick] = {}
        self._standby: dict[str, dict[str, Tick]] = {}
        self._refs: dict[str, Decimal] = {}
        self._quotes: dict[str, Quote] = {}
        self._series: dict[tuple[str, Interval], _Series] = {}
        self._minutes: dict[str, _Series] = {}
        self._health: dict[str, SourceHealth] = {}
        self._context: dict[str, ContextValue] = {}
        self._counts: dict[str, int] = {}
        self._rates: dict[str, _Rate] = {}
        self._version = 0
        self._daily_version = 0
        self._snapshot: HubSnapshot | None = None

    @property
    def version(self) -> int:
        """Grows by one with every accepted change."""
        return self._version

    # --- Sink -------------------------------------------------------------------------

    def push_ticks(self, ticks: Sequence[Tick]) -> None:
        """Record observed prices: latest tick, 1-minute bar, message rate of the source.

        The hot path of ingest, called per websocket message: it only stores the tick and
        updates a few numbers; quotes are built in :meth:`snapshot`.
        """
        if not ticks:
            return
        latest = self._latest
        minutes = self._minutes
        counts = self._counts
        for tick in ticks:
            symbol, price, ts, source, _kind, size, ref_price, _simulated = tick
            old = latest.get(symbol)
            # old[2], old[3]: its ts and source (indexing a tuple beats the field names).
            if old is not None and ts < old[2] and source == old[3]:
                continue  # out of order within one source: the newer price stands
            latest[symbol] = tick
            if ref_price is not None:
                self._refs[symbol] = ref_price
            series = minutes.get(symbol)
            if series is None:
                series = self._new_symbol(symbol)
            series.add_price(ts, price, size)
            count = counts.get(source)
            if count is None:
                self._rates[source] = _Rate(self._clock.monotonic())
                count = 0
            counts[source] = count + 1
        self._version += 1

    def _new_symbol(self, symbol: str) -> _Series:
        if symbol not in self._known:
            self._known.add(symbol)
            self._symbols.append(symbol)
        series = self._minutes[symbol] = self._series_for(symbol, "1m")
        return series

    def push_standby(self, ticks: Sequence[Tick]) -> None:
        """Keep the latest price per exchange of symbols another exchange serves."""
        if not ticks:
            return
        standby = self._standby
        for tick in ticks:
            by_source = standby.get(tick.symbol)
            if by_source is None:
                by_source = standby[tick.symbol] = {}
            by_source[tick.source] = tick
        self._version += 1

    def push_bars(self, symbol: str, interval: Interval, bars: Sequence[Bar], source: str) -> None:
        """Merge history bars for ``symbol`` (backfill at start, or polled daily bars)."""
        if not bars:
            return
        self._series_for(symbol, interval).merge(bars)
        if interval == "1d":
            self._daily_version += 1
        log.debug("%d %s bars for %s from %s", len(bars), interval, symbol, source)
        self._changed()

    def push_health(self, health: SourceHealth) -> None:
        """Replace the health record of one source. Its error text is redacted here, where
        every producer's health comes in: a provider echoing an API key in its error
        would otherwise carry it to the screen, snapshot, status file, alert log and store."""
        if health.last_error:
            health = replace(health, last_error=redact(health.last_error))
        if self._health.get(health.name) == health:
            return
        self._health[health.name] = health
        self._changed()

    def push_context(self, value: ContextValue) -> None:
        """Replace one market-context value."""
        if self._context.get(value.name) == value:
            return
        self._context[value.name] = value
        self._changed()

    # --- readers ----------------------------------------------------------------------

    def snapshot(self) -> HubSnapshot:
        """An immutable view of everything; the same object while nothing changed."""
        snap = self._snapshot
        if snap is not None and snap.version == self._version:
            return snap
        snap = HubSnapshot(
            version=self._version,
            taken_at=self._clock.now(),
            simulated=self._simulated,
            quotes=MappingProxyType(self._current_quotes()),
            bars_1m=self._bars("1m"),
            bars_1d=self._bars("1d"),
            health=MappingProxyType(self._measured_health()),
            context=MappingProxyType(dict(self._context)),
            symbols=tuple(self._symbols),
            daily_version=self._daily_version,
            standby=self._standby_quotes(),
        )
        self._snapshot = snap
        return snap

    def _current_quotes(self) -> dict[str, Quote]:
        """A quote per symbol from its latest tick; unchanged quotes are reused."""
        quotes = self._quotes
        for symbol, tick in self._latest.items():
            ref = tick.ref_price if tick.ref_price is not None else self._refs.get(symbol)
            quote = quotes.get(symbol)
            if (
                quote is None
                or quote.ts != tick.ts
                or quote.price != tick.price
                or quote.source != tick.source
                or quote.ref_price != ref
            ):
                quotes[symbol] = Quote(
                    symbol, tick.price, tick.ts, tick.source, ref, tick.simulated
                )
        return dict(quotes)

    def _standby_quotes(self) -> MappingProxyType[str, Mapping[str, Quote]]:
        """Standby prices as quotes, leaving out the exchange that serves the symbol now
        (its price is the quote itself)."""
        out: dict[str, Mapping[str, Quote]] = {}
        for symbol, by_source in self._standby.items():
            serving = self._latest.get(symbol)
            quotes = {
                source: Quote(symbol, t.price, t.ts, source, t.ref_price, t.simulated)
                for source, t in by_source.items()
                if serving is None or source != serving.source
            }
            if quotes:
                out[symbol] = MappingProxyType(quotes)
        return MappingProxyType(out)

    def _bars(self, interval: Interval) -> MappingProxyType[str, tuple[Bar, ...]]:
        return MappingProxyType(
            {
                sym: series.as_tuple()
                for (sym, ivl), series in self._series.items()
                if ivl == interval
            }
        )

    def _measured_health(self) -> dict[str, SourceHealth]:
        """Health as reported, with the hub's own count of messages per second filled in
        where the producer did not measure it."""
        health = dict(self._health)
        mono = self._clock.monotonic()
        for name, record in health.items():
            rate = self._rates.get(name)
            if rate is not None and record.msgs_per_s == 0.0:
                value = rate.sample(self._counts[name], mono)
                health[name] = replace(record, msgs_per_s=round(value, 2))
        return health

    def _series_for(self, symbol: str, interval: Interval) -> _Series:
        key = (symbol, interval)
        series = self._series.get(key)
        if series is None:
            keep = MINUTE_BARS_KEPT if interval == "1m" else DAILY_BARS_KEPT
            series = self._series[key] = _Series(BAR_SECONDS[interval], keep)
        return series

    def _changed(self) -> None:
        self._version += 1
