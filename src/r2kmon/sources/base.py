"""What every HTTP provider module shares: the endpoint protocol, errors and parse helpers.

Used by the provider modules (``yahoo``, ``fred``, ``coingecko``, ``exchange_candles``, ...)
to build requests and check responses, and by :mod:`r2kmon.sources.scheduler`, which sends
the requests, classifies the failures below and decides when to retry. A provider module
never sends anything itself.

::

    SourceError                 a provider answered, but not with usable data
    ├── RateLimited             HTTP 429 (or a "Too Many Requests" page); ``retry_after`` if given
    ├── ServerError             HTTP 5xx
    ├── BadBody                 HTML, plain text, truncated or non-JSON body where data was expected
    ├── ErrorPayload            a well-formed error object, often inside an HTTP 200
    ├── UnknownSymbol           the provider does not know the symbol / series / coin id
    │   └── NoData              it answered, with nothing for this series (no candles)
    ├── Redirected              a redirect not followed: another origin while carrying a key
    └── Unreachable             timeout or connection failure (raised by the scheduler from httpx)

A body past the provider's ``max_body`` is a :class:`BadBody` ("answer larger than ...").

Every class except :class:`UnknownSymbol` is *transient*: the poller backs off and retries.
An unknown symbol will not heal by retrying soon, so the poller retries it only slowly.
"""

from __future__ import annotations

import email.utils
import math
from datetime import datetime, timezone
from typing import ClassVar, Protocol, TypeVar

import httpx
import orjson

from r2kmon.model import Bar, clean_text

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)

BROWSER_HEADERS: dict[str, str] = {
    # Yahoo answers 429 to the default python User-Agent (yfinance#2284); the fixtures
    # README recommends the desktop Chrome UA that yfinance's plain-requests fallback sends.
    "User-Agent": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
    ),
    "Accept": "application/json,text/csv,*/*;q=0.8",
    "Accept-Language": "en-US,en;q=0.9",
}
"""Headers sent to every provider; polite and accepted by all of them."""

_MAX_RETRY_AFTER = 3600.0
"""A Retry-After longer than an hour is treated as an hour: we still want to try again today."""


class Endpoint(Protocol[T_co]):
    """One provider request and the parser for its answer.

    ``provider`` names the provider (``"yahoo"``); it is the ``source`` on everything the
    answer becomes and the key of its rate budget and health record.
    """

    @property
    def provider(self) -> str: ...

    def request(self) -> httpx.Request:
        """The request to send (no I/O happens here)."""
        ...

    def parse(self, response: httpx.Response) -> T_co:
        """Turn a response into data, or raise a :class:`SourceError`."""
        ...


class Fetch(Protocol):
    """How the scheduler sends one request for a job: ``endpoint``'s parsed answer, or a
    :class:`SourceError`. Paged answers (the exchanges' candles) call it once per page, so
    every page keeps the provider's rate budget."""

    async def __call__(self, endpoint: Endpoint[T], /) -> T: ...


class SourceError(Exception):
    """A provider answered, or failed to, without usable data. ``str()`` is safe to show."""

    transient: ClassVar[bool] = True
    kind: ClassVar[str] = "error"

    def __init__(self, provider: str, message: str) -> None:
        self.provider = provider
        self.message = clean_text(message)
        super().__init__(f"{provider}: {self.message}")


class RateLimited(SourceError):
    """HTTP 429 or a rate-limit page; ``retry_after`` (seconds) when the server said so."""

    kind = "rate-limited"

    def __init__(self, provider: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(provider, message)
        self.retry_after = retry_after


class ServerError(SourceError):
    """HTTP 5xx: the provider is having trouble."""

    kind = "server error"

    def __init__(self, provider: str, message: str, status: int) -> None:
        super().__init__(provider, message)
        self.status = status


class BadBody(SourceError):
    """The body is not what was expected: an HTML page, plain text, truncated JSON/CSV."""

    kind = "bad body"


class ErrorPayload(SourceError):
    """The provider sent a well-formed error object (sometimes with HTTP 200)."""

    kind = "error payload"


class UnknownSymbol(SourceError):
    """The symbol, series or coin id does not exist at this provider."""

    transient = False
    kind = "unknown symbol"


class NoData(UnknownSymbol):
    """The answer was well formed and empty for this series: handled as an unknown symbol
    (the next provider is asked, this one again later), said as what it is."""

    kind = "no data"


class Redirected(SourceError):
    """A redirect that was not followed: to another origin while the request carries an
    API key (the key would go to that host), or too many in a row."""

    kind = "redirect refused"


class Unreachable(SourceError):
    """Timeout or connection failure before a complete response arrived.

    ``fault`` is the network's class of it (:mod:`r2kmon.net.failure`) when the server
    could not be reached at all (DNS, refused, certificate, ...)."""

    kind = "unreachable"

    def __init__(self, provider: str, message: str, fault: str | None = None) -> None:
        super().__init__(provider, message)
        self.fault = fault


def join_url(base: str, path: str) -> str:
    """``base`` + ``path`` with exactly one slash between them."""
    return base.rstrip("/") + "/" + path.lstrip("/")


def parse_retry_after(value: str | None, date_header: str | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date).

    An HTTP-date is measured against the response's own ``Date`` header, so no clock is
    read here. Returns ``None`` when absent or unreadable; absurd values are capped at
    an hour.
    """
    if value is None:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        if date_header is None:
            return None
        try:
            when = email.utils.parsedate_to_datetime(text)
            sent = email.utils.parsedate_to_datetime(date_header)
        except (TypeError, ValueError):
            return None
        seconds = (when - sent).total_seconds()
    if math.isnan(seconds):
        return None
    return min(max(seconds, 0.0), _MAX_RETRY_AFTER)


def _snippet(response: httpx.Response) -> str:
    """The first line of a body, for an error message (remote text: cleaned, capped)."""
    text = response.content[:200].decode("utf-8", errors="replace").strip()
    first = text.splitlines()[0] if text else ""
    return clean_text(first, 80)


def looks_like_html(body: bytes, content_type: str) -> bool:
    """True for an HTML page: outage pages, consent walls, proof-of-work interstitials."""
    if "html" in content_type.lower():
        return True
    # Neither JSON nor CSV can start with "<"; every page we have seen does.
    return body[:512].lstrip().startswith(b"<")


def check_status(response: httpx.Response, provider: str) -> None:
    """Raise for the statuses every provider means the same way: 429 and 5xx."""
    status = response.status_code
    if status == 429:
        headers = response.headers
        retry_after = parse_retry_after(headers.get("retry-after"), headers.get("date"))
        raise RateLimited(provider, f"HTTP 429 {_snippet(response)}".strip(), retry_after)
    if status >= 500:
        raise ServerError(provider, f"HTTP {status} {_snippet(response)}".strip(), status)


def check_not_html(response: httpx.Response, provider: str) -> None:
    """Raise :class:`BadBody` (or :class:`RateLimited` for Yahoo's outage page) on HTML."""
    body = response.content
    if b"Will be right back" in body[:4096]:
        # Yahoo's outage / block page, served with HTTP 200 (yfinance checks this string).
        raise RateLimited(provider, "outage page 'Will be right back' instead of data")
    if looks_like_html(body, response.headers.get("content-type", "")):
        raise BadBody(provider, f"HTML page instead of data (HTTP {response.status_code})")


def json_body(response: httpx.Response, provider: str) -> object:
    """The decoded JSON body, or :class:`BadBody` for HTML, plain text and truncated JSON."""
    check_not_html(response, provider)
    body = response.content
    if b"Too Many Requests" in body[:64]:
        # Yahoo's plain-text rate-limit answer ("Edge: Too Many Requests") is sometimes
        # sent with a status other than 429; it means the same thing.
        raise RateLimited(provider, _snippet(response))
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        if not body.strip():
            raise BadBody(provider, f"empty body (HTTP {response.status_code})") from exc
        raise BadBody(
            provider, f"invalid or truncated JSON ({len(body)} bytes): {_snippet(response)}"
        ) from exc


def text_body(response: httpx.Response, provider: str) -> str:
    """The body as text (a UTF-8 BOM removed), or :class:`BadBody` for an HTML page."""
    check_not_html(response, provider)
    return response.content.decode("utf-8-sig", errors="replace")


def require_dict(value: object, provider: str, what: str) -> dict[str, object]:
    """``value`` as a JSON object, or :class:`BadBody` naming what was expected."""
    if not isinstance(value, dict):
        raise BadBody(provider, f"expected a JSON object for {what}, got {type(value).__name__}")
    return value


def require_list(value: object, provider: str, what: str) -> list[object]:
    """``value`` as a JSON array, or :class:`BadBody` naming what was expected."""
    if not isinstance(value, list):
        raise BadBody(provider, f"expected a JSON array for {what}, got {type(value).__name__}")
    return value


def as_float(value: object) -> float | None:
    """A JSON number or numeric string as ``float``; ``None`` for null, ``""``, ``"."``, junk."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        result = float(value)
    elif isinstance(value, str):
        text = value.strip().replace(",", "")
        # float() also reads "1_0000" (as 10000) and Arabic-Indic digits; no provider
        # writes those, so a body that does is not the provider's.
        if text in ("", ".", "-") or "_" in text or not text.isascii():
            return None
        try:
            result = float(text)
        except ValueError:
            return None
    else:
        return None
    # "inf", "9e999" and "NaN" (as text, or a JSON number past float's range) are no value:
    # an infinite price or market cap would reach the screen and the analytics.
    return result if math.isfinite(result) else None


def filled_bar(
    start: float,
    open_: float | None,
    high: float | None,
    low: float | None,
    close: float,
    volume: float | None,
) -> Bar:
    """A bar from a provider's row where only the close is sure: a missing open, high or
    low is the close, a missing volume none (Yahoo's and Twelve Data's illiquid bars)."""
    return Bar(
        start,
        close if open_ is None else open_,
        close if high is None else high,
        close if low is None else low,
        close,
        0.0 if volume is None else volume,
    )


def session_day_start(local: datetime) -> float:
    """Midnight UTC of ``local``'s calendar date: where a ``1d`` bar of that exchange-local
    session starts (the hub's daily convention)."""
    return datetime(local.year, local.month, local.day, tzinfo=timezone.utc).timestamp()
