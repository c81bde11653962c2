"""A TLS handshake cut short by a cancellation closes its TCP connection.

httpcore's backends close the TCP stream when ``start_tls`` fails with an ``Exception``
(``httpcore/_backends/anyio.py``), not with a cancellation, which is a ``BaseException``:
a poll cancelled during the handshake (the app stopping, a producer restarted, an
``asyncio.timeout`` around a request) left the socket open, registered with the event loop,
until the loop closed and the garbage collector found it. :func:`closing_on_cancel` wraps
the backend of an ``httpx.AsyncHTTPTransport``'s pool so that every stream it opens is
closed on any failure of its handshake, as ``websockets`` does for its own (it aborts the
transport on a cancellation).
"""

from __future__ import annotations

from collections.abc import Iterable
from ssl import SSLContext
from typing import Any

import httpcore
import httpx

SocketOption = (
    tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]
)
"""httpcore's socket option shape (``httpcore._backends.base.SOCKET_OPTION``)."""


class _ClosingStream(httpcore.AsyncNetworkStream):
    """A network stream whose failed ``start_tls`` closes it, whatever ended it."""

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self,
        ssl_context: SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            stream = await self._inner.start_tls(ssl_context, server_hostname, timeout)
        except BaseException:
            # The close of the transport is synchronous (anyio's aclose closes it before
            # its first await), so it happens even while the cancellation unwinds.
            await self._inner.aclose()
            raise
        return _ClosingStream(stream)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _ClosingBackend(httpcore.AsyncNetworkBackend):
    """httpcore's own backend, its streams wrapped in :class:`_ClosingStream`."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend) -> None:
        self._inner = inner

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        return _ClosingStream(stream)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_unix_socket(path, timeout, socket_options)
        return _ClosingStream(stream)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def closing_on_cancel(transport: httpx.AsyncHTTPTransport) -> httpx.AsyncHTTPTransport:
    """``transport`` with its pool's network backend wrapped (see the module's text).

    httpx builds the pool itself and offers no argument for its backend, so the pool's
    attribute is replaced; httpx is pinned below 0.29 and a test fails if the attribute
    moves (``tests/core/test_net.py``)."""
    pool: Any = transport._pool
    pool._network_backend = _ClosingBackend(pool._network_backend)
    return transport
