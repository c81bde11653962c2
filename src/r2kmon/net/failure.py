"""A failed connection attempt, told in words a person can act on.

Used by the websocket feeds, the HTTP poller, the REST backfill and ``doctor``. The
clients wrap the real cause differently (websockets raises the ``OSError`` itself; httpx
wraps it twice, ``httpx.ConnectError`` ← ``httpcore.ConnectError`` ← the ``OSError``),
so the chain of causes is searched for the most telling one::

    ssl.SSLCertVerificationError   certificate verify failed: unable to get local issuer
                                   certificate / certificate has expired / ... mismatch
    socket.gaierror                cannot resolve stream.binance.com
    ConnectionRefusedError         connection refused by 127.0.0.1:9443
    ConnectionResetError, EOF      connection reset by host:443 during the TLS handshake
    TimeoutError                   no answer from host:443 within 10 s
    ssl.SSLError (others)          TLS handshake with host failed: wrong version number
    OSError (unreachable network)  network unreachable: host
    anything else                  its type and message (``fault`` None: not a network class)

:func:`is_reset` tells a connection the other end cut (a TCP reset, a websocket ended with
no close frame: websockets' 1006, "no close frame received or sent") from one it closed;
the feeds and ``doctor`` then both say :data:`RESET_BY_SERVER`.

``Failure.fault`` is the short class the header's offline line counts (``DNS failure``,
``connection refused``, ...); it is ``None`` when the failure is not the network's (the
server answered, but not as hoped).
"""

from __future__ import annotations

import errno
import socket
import ssl
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

DNS: Final = "DNS failure"
REFUSED: Final = "connection refused"
RESET: Final = "connection reset"
TIMEOUT: Final = "timeout"
CERTIFICATE: Final = "certificate rejected"
TLS: Final = "TLS failure"
UNREACHABLE: Final = "network unreachable"
CONNECT: Final = "connection failed"

RESET_BY_SERVER: Final = "connection reset by the server"
"""What a connection cut after it opened is called (:func:`is_reset`), wherever it is said."""

_RESETS: Final = (ConnectionResetError, ConnectionAbortedError, ssl.SSLEOFError)
_DEFAULT_PORTS: Final = {"https": 443, "wss": 443, "http": 80, "ws": 80}
_UNREACHABLE_ERRNOS: Final = frozenset({errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN})


@dataclass(frozen=True, slots=True)
class Failure:
    """Why a connection attempt failed: a sentence, and the network class if it is one."""

    reason: str
    fault: str | None = None


def describe_failure(
    exc: BaseException, url: str, *, timeout: float | None = None, connecting: bool = True
) -> Failure:
    """``exc``, raised while reaching ``url``, as a :class:`Failure`.

    ``connecting``: the failure happened before the connection was established (a reset
    then happened during the TLS handshake of a secure URL). ``timeout`` is named in the
    sentence when given.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = parts.hostname or "?"
    where = f"{host}:{parts.port or _DEFAULT_PORTS.get(scheme, 0)}"
    chain = list(_causes(exc))

    for cause in chain:
        if isinstance(cause, ssl.SSLCertVerificationError):
            detail = (cause.verify_message or cause.reason or str(cause)).rstrip(".")
            return Failure(f"certificate verify failed: {detail}", CERTIFICATE)
    for cause in chain:
        if isinstance(cause, socket.gaierror):
            return Failure(f"cannot resolve {host}", DNS)
    for cause in chain:
        if isinstance(cause, ConnectionRefusedError):
            return Failure(f"connection refused by {where}", REFUSED)
    for cause in chain:
        if isinstance(cause, _RESETS):
            secure = scheme in ("https", "wss")
            during = " during the TLS handshake" if connecting and secure else ""
            return Failure(f"connection reset by {where}{during}", RESET)
    for cause in chain:
        if isinstance(cause, TimeoutError):
            within = f" within {timeout:g} s" if timeout is not None else ""
            return Failure(f"no answer from {where}{within}", TIMEOUT)
    for cause in chain:
        if isinstance(cause, ssl.SSLError) and not isinstance(
            cause, (ssl.SSLWantReadError, ssl.SSLWantWriteError)
        ):
            detail = (cause.reason or str(cause)).replace("_", " ").lower()
            return Failure(f"TLS handshake with {host} failed: {detail}", TLS)
    for cause in chain:
        if isinstance(cause, OSError) and cause.errno in _UNREACHABLE_ERRNOS:
            return Failure(f"network unreachable: {host}", UNREACHABLE)
    for cause in chain:
        # A plain OSError without errno is a wrapper's summary ("All connection attempts
        # failed"); the real cause, if any, sits further down the chain.
        if isinstance(cause, OSError) and (cause.errno is not None or type(cause) is not OSError):
            detail = cause.strerror or str(cause) or type(cause).__name__
            return Failure(f"cannot connect to {where}: {detail}", CONNECT)
    text = str(exc) or type(exc).__name__
    return Failure(f"{type(exc).__name__}: {text}")


def is_reset(exc: BaseException) -> bool:
    """Whether ``exc`` says the other end cut the connection instead of closing it: a TCP
    reset or abort, a TLS stream ended without close_notify, or a websocket that ended
    with no close frame received or sent (a FIN or a RST under it: websockets' 1006).

    A websocket closed with a close frame, any code, is not a reset; nor is one whose
    close frame this side sent and the server never answered (that is a timeout here).
    """
    # Only a websockets exception can say how a websocket ended, and none can exist
    # before websockets is loaded: HTTP-only callers never load it for this.
    if "websockets" in sys.modules:
        from websockets.exceptions import ConnectionClosed

        if isinstance(exc, ConnectionClosed):
            return exc.rcvd is None and exc.sent is None
    return any(isinstance(cause, _RESETS) for cause in _causes(exc))


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and what it was raised from, nearest first (cycles and depth bounded)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(seen) < 10:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__
