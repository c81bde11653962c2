"""A scripted HTTP/1.1 server on 127.0.0.1 (port 0), for the poller and integration tests.

The real ``httpx.AsyncClient`` connects to it over a real socket. Each path has a script of
replies served in order (the last one repeats), so a test can say "429, then 500, then the
recorded body" and watch the poller back off and recover. Every request is logged with its
arrival time (``time.monotonic``) so tests can check that backoffs and ``Retry-After`` were
honoured.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl as _ssl
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Reply:
    """One scripted answer. ``delay`` is waited before anything is sent (a slow server)."""

    status: int = 200
    body: bytes = b""
    content_type: str = "application/json;charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    content_length: int | None = None
    """Declare this length instead of the real one (a body cut off mid-transfer)."""
    trickle: float = 0.0
    """Send the body 1000 bytes at a time with this pause between (a dribbling server)."""
    endless: bool = False
    """After ``body``, send 64 kB chunks of it without end and no Content-Length, until the
    client goes away (a hostile or broken server filling the reader's memory)."""

    @classmethod
    def file(cls, path: Path, status: int = 200, content_type: str | None = None) -> Reply:
        """The bytes of a fixture file, with a content type guessed from its suffix."""
        if content_type is None:
            content_type = {
                ".csv": "application/csv",
                ".txt": "text/plain",
            }.get(path.suffix, "application/json;charset=utf-8")
        return cls(status, path.read_bytes(), content_type)


@dataclass(frozen=True)
class Seen:
    """One request as the server saw it."""

    at: float
    path: str
    query: str
    headers: dict[str, str]


_REASONS = {
    200: "OK",
    404: "Not Found",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


class FakeHTTP:
    """Serve scripted replies per path until :meth:`stop`."""

    def __init__(self) -> None:
        self._scripts: dict[str, list[Reply]] = {}
        self._gates: dict[str, tuple[str, Reply]] = {}
        self.seen: list[Seen] = []
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.base = ""
        self.port = 0
        self.body_bytes_sent = 0
        """Body bytes written to clients so far (those the kernel took)."""
        self.hung_up = 0
        """Answers the client stopped reading before their end (it closed the connection)."""

    def script(self, route: str, *replies: Reply) -> None:
        """Replace the replies for ``route``: a raw (still quoted) path, optionally with
        ``?name=value&...`` that the request's query must contain (``...csv?id=WALCL``)."""
        self._scripts[route] = list(replies)

    def gate(self, path: str, header: str, refusal: Reply) -> None:
        """Answer ``refusal`` to every request on ``path`` without ``header`` (a server that
        tells clients apart, as Yahoo tells browsers from scripts); the script otherwise."""
        self._gates[path] = (header.lower(), refusal)

    def hits(self, path: str) -> list[Seen]:
        """The requests that asked for ``path``."""
        return [seen for seen in self.seen if seen.path == path]

    async def start(self, ssl: _ssl.SSLContext | None = None, port: int = 0) -> str:
        """Listen on 127.0.0.1 (``port`` 0: any free one); with ``ssl``, serve HTTPS.
        Returns the base URL."""
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", port, ssl=ssl)
        self.port = self._server.sockets[0].getsockname()[1]
        self.base = f"{'https' if ssl is not None else 'http'}://127.0.0.1:{self.port}"
        return self.base

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.ensure_future(self._serve(reader, writer))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _next_reply(self, path: str, query: str) -> Reply:
        params = set(query.split("&")) if query else set()
        script = None
        for route, replies in self._scripts.items():
            route_path, _, route_query = route.partition("?")
            wanted = set(route_query.split("&")) if route_query else set()
            if route_path == path and wanted <= params:
                script = replies
                if wanted:
                    break  # a query-specific route wins over a bare path
        if not script:
            return Reply(404, b'{"error": "no such path in the fake server"}')
        return script.pop(0) if len(script) > 1 else script[0]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            _method, target, _version = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    name, value = line.split(":", 1)
                    headers[name.strip().lower()] = value.strip()
            url = urlsplit(target)
            self.seen.append(Seen(time.monotonic(), url.path, url.query, headers))
            gate = self._gates.get(url.path)
            if gate is not None and gate[0] not in headers:
                reply = gate[1]
            else:
                reply = self._next_reply(url.path, url.query)
            if reply.delay:
                await asyncio.sleep(reply.delay)
            reason = _REASONS.get(reply.status, "Status")
            length = (
                []
                if reply.endless
                else [f"Content-Length: {reply.content_length or len(reply.body)}"]
            )
            out = [
                f"HTTP/1.1 {reply.status} {reason}",
                f"Content-Type: {reply.content_type}",
                *length,
                "Connection: close",
                *(f"{k}: {v}" for k, v in reply.headers.items()),
            ]
            writer.write(("\r\n".join(out) + "\r\n\r\n").encode("latin-1"))
            step = 1000 if reply.trickle else max(len(reply.body), 1)
            for start in range(0, len(reply.body), step):
                writer.write(reply.body[start : start + step])
                await writer.drain()
                self.body_bytes_sent += len(reply.body[start : start + step])
                if reply.trickle:
                    await asyncio.sleep(reply.trickle)
            await writer.drain()
            chunk = (reply.body or b"0") * (65_536 // max(len(reply.body), 1) + 1)
            while reply.endless:
                writer.write(chunk[:65_536])
                await writer.drain()
                self.body_bytes_sent += 65_536
        except (ConnectionError, asyncio.IncompleteReadError):
            # The client gave up (a timeout test) or went away; nothing left to answer.
            self.hung_up += 1
            return
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
