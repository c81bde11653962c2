"""Frozen value types shared by every layer, and symbol canonicalisation.

Producers (``feeds/``, ``sources/``, ``sim/``) create these; the hub stores them; the
analytics, the report and the UI read them. Nothing here does I/O or imports anything of
ours, so every layer can depend on it.

Time is always UTC epoch seconds as ``float`` (cheap to compare and to subtract on the hot
path); prices keep the exchange's exact decimal text as :class:`~decimal.Decimal` until they
reach a chart or an analytic, where ``float`` is good enough.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Literal, NamedTuple, Protocol

TickKind = Literal["trade", "ticker", "bar"]
"""How a price was observed: a single trade, a ticker update, or a bar close (HTTP polls)."""

HealthStatus = Literal["ok", "connecting", "stale", "down"]
"""The four states a source can be in, as shown in ``health`` and the header."""

SourceKind = Literal["feed", "source"]
"""``feed`` streams over a websocket; ``source`` is polled over HTTP."""

Interval = Literal["1m", "1d"]
"""Bar lengths the hub keeps: one minute (live sparklines) and one day (analytics)."""

BAR_SECONDS: Mapping[Interval, int] = MappingProxyType({"1m": 60, "1d": 86_400})


class Tick(NamedTuple):
    """One observed price of one symbol, already in canonical form.

    ``ref_price`` is what the change is measured against: the 24 h open for a crypto
    ticker, the previous close for an index. It is ``None`` when the wire does not carry
    it (a bare trade), and the hub then keeps the last one it saw.

    A ``NamedTuple`` rather than a frozen dataclass: one is built per websocket message,
    and building a frozen dataclass costs several times more (measured in
    ``bench/ingest.py``); it is just as immutable.
    """

    symbol: str
    price: Decimal
    ts: float
    source: str
    kind: TickKind = "trade"
    size: Decimal | None = None
    ref_price: Decimal | None = None
    simulated: bool = False


class Bar(NamedTuple):
    """An OHLC bar starting at ``start`` (UTC epoch seconds) for ``interval``.

    Floats, not decimals: bars feed sparklines, charts and pandas analytics, all float64.
    A ``NamedTuple`` for the same reason as :class:`Tick`: thousands are built at start.
    """

    start: float
    open: float
    high: float
    low: float
    close: float
    volume: float = 0.0

    def with_price(self, price: float, size: float = 0.0) -> Bar:
        """The bar after one more observed price."""
        return Bar(
            self.start,
            self.open,
            max(self.high, price),
            min(self.low, price),
            price,
            self.volume + size,
        )


@dataclass(frozen=True, slots=True)
class Quote:
    """The latest known price of a symbol, with where it came from and when."""

    symbol: str
    price: Decimal
    ts: float
    source: str
    ref_price: Decimal | None = None
    simulated: bool = False

    @property
    def change_pct(self) -> float | None:
        """Change against ``ref_price`` in percent, or ``None`` when there is no reference."""
        if self.ref_price is None or self.ref_price == 0:
            return None
        return float((self.price - self.ref_price) / self.ref_price * 100)

    def age(self, now: float) -> float:
        """Seconds since the price was observed (never negative)."""
        return max(0.0, now - self.ts)


@dataclass(frozen=True, slots=True)
class SourceHealth:
    """How one feed or source is doing, as reported by the producer itself.

    ``retry_at`` is the wall time of the next reconnect or poll attempt after a failure,
    so the UI can show a countdown. ``silent_symbols`` names subscribed symbols that never
    delivered data (Binance acknowledges unknown symbols and then sends nothing).
    """

    name: str
    kind: SourceKind
    status: HealthStatus
    last_ok: float | None = None
    last_error: str | None = None
    msgs_per_s: float = 0.0
    retry_at: float | None = None
    bad_frames: int = 0
    silent_symbols: tuple[str, ...] = ()
    simulated: bool = False
    fault: str | None = None
    """Set while the source cannot reach its server at all: the network's class of the
    failure (``DNS failure``, ``connection refused``, ``certificate rejected``, ...; see
    :mod:`r2kmon.net.failure`). ``None`` once a server answered, even with an error."""
    summary: bool = False
    """The record sums up others (``crypto-feeds`` for the exchanges, ``http-sources`` for
    the providers): it is shown, but never counted as a source of its own (see
    :func:`reachability`), or one outage would be counted twice."""


@dataclass(frozen=True, slots=True)
class ContextValue:
    """A market-context number (BTC dominance, net liquidity, ...) with its provenance."""

    name: str
    value: float | None
    unit: str
    source: str
    as_of: float | None
    simulated: bool = False


@dataclass(frozen=True, slots=True)
class DatedSeries:
    """The history of one value, oldest first: ``values[i]`` was true at ``times[i]`` (UTC
    epoch seconds). What the store keeps of a context series (IWM's shares outstanding, day
    after day), as plain numbers; the analytics turn it into their frames. Iterating it
    gives the values, as iterating a pandas series does."""

    times: tuple[float, ...]
    values: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.times) != len(self.values):
            raise ValueError(f"{len(self.times)} times for {len(self.values)} values")

    def __len__(self) -> int:
        return len(self.values)

    def __iter__(self) -> Iterator[float]:
        return iter(self.values)


@dataclass(frozen=True, slots=True)
class HubSnapshot:
    """Everything the hub knows at one instant; immutable, versioned.

    ``version`` grows by one with every change the hub accepts, so a reader redraws only
    when it differs from the version it last drew. Mappings are read-only views over
    tuples, so handing the snapshot to another thread is safe.
    """

    version: int
    taken_at: float
    simulated: bool
    quotes: Mapping[str, Quote] = field(default_factory=lambda: MappingProxyType({}))
    bars_1m: Mapping[str, tuple[Bar, ...]] = field(default_factory=lambda: MappingProxyType({}))
    bars_1d: Mapping[str, tuple[Bar, ...]] = field(default_factory=lambda: MappingProxyType({}))
    health: Mapping[str, SourceHealth] = field(default_factory=lambda: MappingProxyType({}))
    context: Mapping[str, ContextValue] = field(default_factory=lambda: MappingProxyType({}))
    symbols: tuple[str, ...] = ()
    """Every configured symbol in display order, including those with no quote yet."""
    daily_version: int = 0
    """Grows when daily bars change, so daily analytics are redone only then."""
    standby: Mapping[str, Mapping[str, Quote]] = field(default_factory=lambda: MappingProxyType({}))
    """Symbol → exchange → latest quote from the exchanges streaming the symbol without
    serving it (for the price per exchange and the spread)."""


class Sink(Protocol):
    """Where producers push what they observe. The hub implements it; tests may too.

    Every method is cheap and non-blocking, safe to call per message on the event loop.
    """

    def push_ticks(self, ticks: Sequence[Tick]) -> None:
        """Record observed prices (already canonical)."""

    def push_standby(self, ticks: Sequence[Tick]) -> None:
        """Prices from exchanges that stream a symbol without serving it now (failover's
        hot standbys): kept per exchange for spreads, never the symbol's quote."""

    def push_bars(self, symbol: str, interval: Interval, bars: Sequence[Bar], source: str) -> None:
        """Merge history bars (backfill or polled) for ``symbol``; newer bars win."""

    def push_health(self, health: SourceHealth) -> None:
        """Replace the health record of ``health.name``."""

    def push_context(self, value: ContextValue) -> None:
        """Replace the context value named ``value.name``."""


# --- symbols ---------------------------------------------------------------------------

_CRYPTO = re.compile(r"^[A-Z0-9]{2,12}-[A-Z]{3,5}$")
_MARKET = re.compile(r"^\^?[A-Z0-9][A-Z0-9.=\-]{0,14}$")
_SEPARATORS = re.compile(r"[/_: ]")


class SymbolError(ValueError):
    """A symbol that cannot be put in canonical form."""


_CRYPTO_PAIR = re.compile(r"^[A-Z0-9]{2,12}-[A-Z]{3,5}$")


def is_crypto_pair(symbol: str) -> bool:
    """Whether ``symbol`` is a canonical crypto pair (``BTC-USD``), which trades every
    calendar day; ``^RUT``, ``IWM`` and ``DX-Y.NYB`` are not."""
    return bool(_CRYPTO_PAIR.match(symbol))


def canonical_crypto(text: str) -> str:
    """Canonical ``BASE-QUOTE`` for a crypto pair written as ``btc/usd``, ``BTC_USD``, ...

    >>> canonical_crypto(" eth/usd ")
    'ETH-USD'
    """
    symbol = _SEPARATORS.sub("-", text.strip().upper())
    if not _CRYPTO.match(symbol):
        raise SymbolError(
            f"{text!r} is not a crypto pair; write it as BASE-QUOTE, for example BTC-USD"
        )
    return symbol


def canonical_market(text: str) -> str:
    """Canonical equity/index ticker: the provider's own, upper-cased (``^RUT``, ``IWM``)."""
    symbol = text.strip().upper()
    if not _MARKET.match(symbol):
        raise SymbolError(
            f"{text!r} is not a market ticker; use the provider's ticker, for example ^RUT or IWM"
        )
    return symbol


def price_text(value: Decimal | float) -> str:
    """A price with digits that suit its size: 93,779.93 · 24.50 · 2.450 · 0.000123."""
    number = float(value)
    if abs(number) >= 1000:
        return f"{number:,.2f}"
    if abs(number) >= 1:
        return f"{number:.2f}" if abs(number) >= 10 else f"{number:.3f}"
    return f"{number:.6f}"


def age_text(seconds: float) -> str:
    """Seconds as 5s · 12m · 3h · 2d."""
    if seconds < 60:
        return f"{int(seconds)}s"
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    if seconds < 86_400:
        return f"{int(seconds // 3600)}h"
    return f"{int(seconds // 86_400)}d"


def split_pair(symbol: str) -> tuple[str, str]:
    """``"BTC-USD"`` → ``("BTC", "USD")`` for a canonical crypto symbol."""
    base, _, quote = symbol.partition("-")
    return base, quote


_UNSAFE_CLASS = (
    # Every character of Unicode's categories Cc (controls: ESC, BEL, NUL, CSI, ...), Cf
    # (format: the bidi embeddings, overrides and isolates U+202A-U+202E and U+2066-U+2069,
    # the zero-width U+200B-U+200D, U+2060 and U+FEFF, the invisible tag characters, ...),
    # Zl and Zp (line and paragraph separators) and Cs (lone surrogates, which a UTF-8 log
    # cannot even write). A test checks this list against unicodedata.
    "\x00-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    "\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ud800-\udfff\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f"
)
_UNSAFE = re.compile(f"[{_UNSAFE_CLASS}]")
_BREAKS = re.compile("[\t\n\v\f\r\u2028\u2029]+")
_UNSAFE_IN_LOG = re.compile(f"(?![\\n\\t])[{_UNSAFE_CLASS}]")


def clean_text(text: str, limit: int = 200) -> str:
    """Remote text made safe to show and to log: control, format (bidi, zero-width) and
    separator characters dropped, line breaks and tabs made spaces, length capped.

    Used for error messages and names that come from the network or a config file; the
    UI additionally renders them as ``rich.text.Text`` so markup in them styles nothing.
    An ESC, BEL or NUL kept would let a server retitle, clear or set the clipboard of a
    terminal showing it (``tail -f`` of the log included); a bidi override would make
    the text read as something else.
    """
    cleaned = _UNSAFE.sub("", _BREAKS.sub(" ", text))
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def escape_controls(text: str) -> str:
    """``text`` with every character :func:`clean_text` drops written as its escape
    (``\\x1b``, ``\\u202e``), line breaks and tabs kept.

    For the log file as a whole (a traceback's lines, a third-party library's message):
    what arrived stays readable for whoever debugs, and nothing in it acts on the
    terminal that shows the file.
    """
    return _UNSAFE_IN_LOG.sub(_escaped, text)


def _escaped(match: re.Match[str]) -> str:
    return match.group().encode("unicode_escape", "backslashreplace").decode("ascii")


# --- reachability: is the network there at all? --------------------------------------


class Producer(Protocol):
    """Anything the runtime runs: a feed, a poller, a simulator.

    ``run`` pushes into the sink until cancelled. It handles the failures of its own
    remote side (reporting them through ``push_health``); an exception that escapes is a
    bug, which the runtime logs, reports and restarts after a growing delay.
    """

    @property
    def name(self) -> str:
        """The name shown in ``health``."""
        ...

    async def run(self, sink: Sink) -> None:
        """Produce until cancelled."""
        ...
