"""What ``r2kmon doctor`` finds about one endpoint (:class:`Check`, its :class:`Step` s) and
about the whole run (:class:`Report`): the record the probe and the real clients fill in,
and the advice and the report read."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final, Literal
from urllib.parse import urlsplit

from r2kmon.model import clean_text
from r2kmon.net import Failure
from r2kmon.net.failure import (
    CONNECT,
    REFUSED,
    RESET,
    TIMEOUT,
    UNREACHABLE,
)
from r2kmon.net.policy import Proxy
from r2kmon.sources.equity_check import PathResult

DOCUMENT_VERSION: Final = 1
DEFAULT_TIMEOUT: Final = 5.0
SKEW_NOTE_S: Final = 5
"""A clock this many seconds off a server's gets a note: ages and staleness depend on it."""

Kind = Literal["websocket", "rest", "http"]
StepStatus = Literal["ok", "failed", "skipped"]

PROBE_STEPS: Final = ("dns", "tcp", "tls")
NETWORK_FAULTS: Final = frozenset({REFUSED, RESET, TIMEOUT, UNREACHABLE, CONNECT})
DEFAULT_PORTS: Final = {"https": 443, "wss": 443, "http": 80, "ws": 80}
_STATUS_WORDS: Final = {
    400: "bad request",
    401: "unauthorized",
    403: "forbidden",
    404: "not found",
    408: "request timeout",
    418: "IP banned",
    429: "rate limited",
    451: "restricted location",
}


# --- what a check found ---------------------------------------------------------------------


@dataclass
class Step:
    """One step of a check; ``skipped`` means not reached or not applicable (``detail``)."""

    name: str
    status: StepStatus = "skipped"
    detail: str = ""
    ms: float | None = None

    def ok(self, detail: str, ms: float | None = None) -> None:
        self.status, self.detail, self.ms = "ok", clean_text(detail), round_ms(ms)

    def fail(self, detail: str, ms: float | None = None) -> None:
        self.status, self.detail, self.ms = "failed", clean_text(detail), round_ms(ms)


@dataclass(frozen=True)
class Certificate:
    """The server certificate the probe's handshake verified."""

    subject: str
    issuer: str
    expires: str
    """Expiry date, ``YYYY-MM-DD`` (UTC)."""
    protocol: str


@dataclass
class Check:
    """Everything found about one endpoint."""

    name: str
    kind: Kind
    section: str
    """The config table that sets this endpoint (``exchanges.binance``)."""
    url: str
    """What the real client asks (the request's URL once one was sent)."""
    exchange: str | None = None
    api_key_env: str = ""
    steps: dict[str, Step] = field(init=False)
    proxy: Proxy | None = None
    addresses: list[str] = field(default_factory=list)
    certificate: Certificate | None = None
    http_status: int | None = None
    result: str | None = None
    """What the endpoint gave, short: ``BTC-USD 100.01``, ``BTC dom 54.1%``."""
    price: tuple[str, Decimal] | None = None
    rtt_ms: float | None = None
    skew_s: int | None = None
    error: str | None = None
    """Why the real client failed (its first failure)."""
    fault: str | None = None
    """The network's class of that failure (:mod:`r2kmon.net.failure`); None if it is
    not the network's (the server answered, but not as hoped)."""
    unknown_symbol: bool = False
    fix: str | None = None
    works: bool = False
    """Set by the real client only: the endpoint gave data."""
    probe_failure: Failure | None = None
    """Where the probe's connection failed (it can say what a client's timeout hid)."""

    def __post_init__(self) -> None:
        names = list(PROBE_STEPS)
        names += (
            ["handshake", "subscribe", "data"] if self.kind == "websocket" else ["http", "data"]
        )
        self.steps = {name: Step(name) for name in names}

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or "?"

    @property
    def port(self) -> int:
        parts = urlsplit(self.url)
        return parts.port or DEFAULT_PORTS.get(parts.scheme.lower(), 0)

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def answer(self) -> Step:
        """The step where the server answers: the websocket handshake, or the HTTP status."""
        return self.steps["handshake" if self.kind == "websocket" else "http"]

    def failed(self, step: str, failure: Failure | str, ms: float | None = None) -> None:
        """The real client failed at ``step``; the first such reason is the check's error."""
        if isinstance(failure, str):
            failure = Failure(failure)
        self.steps[step].fail(failure.reason, ms)
        if self.error is None:
            self.error, self.fault = clean_text(failure.reason), failure.fault


@dataclass
class Report:
    """The whole run."""

    checks: list[Check]
    not_checked: list[tuple[str, str]]
    timeout: float
    trust: str
    config: str | None
    generated_at: float
    simulated: bool = False
    notes: list[str] = field(default_factory=list)
    equity: list[PathResult] = field(default_factory=list)
    """Each configured path to the Russell 2000 and whether it served it
    (:mod:`r2kmon.sources.equity_check`)."""
    equity_fix: str | None = None
    """When none served it: why, and what to do."""

    @property
    def ok(self) -> bool:
        return all(check.works for check in self.checks)

    @property
    def first_failure(self) -> Check | None:
        return next((check for check in self.checks if not check.works), None)


def round_ms(ms: float | None) -> float | None:
    return None if ms is None else round(ms, 1)


def ms_since(start: float) -> float:
    return (time.perf_counter() - start) * 1000.0


def plain_number(value: Decimal) -> str:
    """A price as its digits, without the trailing zeros exchanges pad it with."""
    return format(value.normalize(), "f")


# --- which endpoints the app uses -----------------------------------------------------------


def status_words(status: int) -> str:
    words = _STATUS_WORDS.get(status) or ("server error" if status >= 500 else "")
    return f"HTTP {status} ({words})" if words else f"HTTP {status}"
