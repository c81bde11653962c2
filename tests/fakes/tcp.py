"""A TCP server on 127.0.0.1 (port 0) that serves each connection in a task of its own,
and cancels them all when stopped: the lifecycle of the fakes that speak raw TCP
(:class:`tests.fakes.proxy.ConnectProxy`, :class:`tests.fakes.tls.ResettingServer`)."""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from typing import Self


class TcpServer(ABC):
    """Subclasses say how one connection is served (:meth:`serve`); ``accepted`` counts
    the connections."""

    def __init__(self) -> None:
        self.accepted = 0
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> Self:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        task = asyncio.ensure_future(self.serve(reader, writer))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @abstractmethod
    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve one connection (cancelled by :meth:`stop`)."""
