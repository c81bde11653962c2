"""A fake HTTP ``CONNECT`` proxy on 127.0.0.1 (port 0), for the proxy tests.

It does what a company proxy does for TLS traffic: reads ``CONNECT host:port``, opens a
TCP connection to that target, answers ``200 Connection established`` and then copies
bytes both ways without looking at them — so TLS stays end to end between the client and
the server, and the certificate the client checks is the server's. Every ``CONNECT``
target is recorded, so a test can tell which connections went through it.
"""

from __future__ import annotations

import asyncio
import contextlib

from tests.fakes.tcp import TcpServer


class ConnectProxy(TcpServer):
    """Tunnel ``CONNECT`` requests until :meth:`stop`; ``targets`` lists what was asked."""

    def __init__(self) -> None:
        super().__init__()
        self.targets: list[str] = []
        """``host:port`` of every ``CONNECT``, in order."""
        self.refused: list[str] = []
        """Request lines that were not a ``CONNECT`` (answered 405)."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream: asyncio.StreamWriter | None = None
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
            method, target, _version = request_line.split(" ", 2)
            if method != "CONNECT":
                self.refused.append(request_line)
                writer.write(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
                return
            self.targets.append(target)
            host, _, port = target.rpartition(":")
            try:
                up_reader, upstream = await asyncio.open_connection(host.strip("[]"), int(port))
            except OSError:
                writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
                return
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await writer.drain()
            await asyncio.gather(_pipe(reader, upstream), _pipe(up_reader, writer))
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            return
        finally:
            for end in (writer, upstream):
                if end is not None:
                    end.close()
                    with contextlib.suppress(ConnectionError):
                        await end.wait_closed()


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    """Copy ``source`` to ``sink`` until end of file, then half-close ``sink``."""
    try:
        while data := await source.read(65536):
            sink.write(data)
            await sink.drain()
        if sink.can_write_eof():
            sink.write_eof()
    except ConnectionError:
        sink.close()
