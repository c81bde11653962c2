"""Fake exchange websocket servers on 127.0.0.1, for the feed and integration tests.

Started with an SSL context (``start(ssl=...)``, see :mod:`tests.fakes.tls`) a fake serves
``wss://`` like the real exchange; without one, plain ``ws://`` for the tests that are about
framing only. Either way it answers only on the exchange's real path (``/stream`` or
``/ws...`` for Binance, ``/v2`` for Kraken, ...) and refuses others with HTTP 404, so a
wrong default path fails the tests instead of passing against a forgiving fake.

Each fake speaks one exchange's protocol as described in
``../shared/fixtures/exchanges/README.md``: its subscribe request and ack (or refusal),
its application keepalive, its data frames. Faults are scripted per connection: close
after N data frames with a close code, a TCP reset (also in the middle of a frame), a TCP
close with no close frame (nor TLS close_notify) before it, a silent
stall, a deaf server that stops reading (so control pings go unanswered), a garbage frame
among good ones, a shutdown notice. The close code each client sent is recorded.
"""

from __future__ import annotations

import asyncio
import json
import socket
import ssl as _ssl
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

FaultKind = Literal[
    "close", "reset", "reset_mid_frame", "drop", "stall", "deaf", "garbage", "shutdown"
]


@dataclass(frozen=True)
class Fault:
    """What one connection does after ``after`` data frames."""

    kind: FaultKind
    after: int = 3
    code: int = 1000
    reason: str = "scripted close"
    """The close frame's reason text (``close`` only)."""


@dataclass
class FakeExchange:
    """One fake exchange. ``listed`` are the exchange symbols that have data."""

    protocol: str
    listed: set[str]
    interval: float = 0.02
    faults: Sequence[Fault | None] = ()
    subscribe_deadline: float | None = None
    server_ping_interval: float | None = None
    script: Sequence[str] = ()
    """Frames sent once, on the first connection, as soon as it has subscribed and before
    any regular data frame (a hostile or broken frame, to see what the client makes of
    it)."""
    connections: int = 0
    received: list[list[str]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    """The request path (and query) of every handshake, refused ones included."""
    close_codes: list[int | None] = field(default_factory=list)
    """The close code the client sent, per ended connection (``None``: no close frame)."""
    server: Server | None = None
    port: int = 0
    tls: _ssl.SSLContext | None = None
    clock: Callable[[], float] | None = None
    """Stamps each data frame with this clock's time (``time.time``: as a live exchange
    does); without one, frames are stamped from 2026-01-01 00:00:00 UTC, 1 ms apart."""

    @property
    def url(self) -> str:
        scheme = "wss" if self.tls is not None else "ws"
        return f"{scheme}://127.0.0.1:{self.port}" + PATHS[self.protocol]

    async def start(self, port: int = 0, ssl: _ssl.SSLContext | None = None) -> FakeExchange:
        """Listen on 127.0.0.1 (``port`` 0: any free one; a restart passes the old one);
        with ``ssl``, over TLS."""
        if ssl is not None:
            self.tls = ssl
        self.server = await serve(
            self.handler,
            "127.0.0.1",
            port or self.port,
            ping_interval=self.server_ping_interval,
            compression=None,
            close_timeout=0.2,
            ssl=self.tls,
            process_request=self._check_path,
        )
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    def _check_path(self, connection: ServerConnection, request: Request) -> Response | None:
        self.paths.append(request.path)
        path = request.path.split("?", 1)[0]
        if not REAL_PATHS[self.protocol](path):
            return connection.respond(404, f"no websocket endpoint at {path}\n")
        return None

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None

    async def handler(self, ws: ServerConnection) -> None:
        index = self.connections
        self.connections += 1
        fault = self.faults[index] if index < len(self.faults) else None
        log: list[str] = []
        self.received.append(log)
        subscribed: list[str] = []
        got_subscribe = asyncio.Event()
        if self.protocol == "kraken":
            await ws.send(KRAKEN_STATUS)

        async def read() -> None:
            async for message in ws:
                text = message if isinstance(message, str) else message.decode()
                log.append(text)
                replies, symbols = answer(self.protocol, text, self.listed)
                subscribed.extend(s for s in symbols if s not in subscribed)
                if symbols or replies:
                    got_subscribe.set()
                for reply in replies:
                    await ws.send(reply)

        reader = asyncio.create_task(read())
        try:
            if self.subscribe_deadline is not None:
                try:
                    async with asyncio.timeout(self.subscribe_deadline):
                        await got_subscribe.wait()
                except TimeoutError:
                    await ws.close(1008, "subscribe within the deadline")
                    return
            sent = 0
            script = list(self.script) if index == 0 else []
            while True:
                await asyncio.sleep(self.interval)
                if reader.done():  # the client went away
                    return
                if script and subscribed:
                    for frame in script:
                        await ws.send(frame)
                    script = []
                if fault is not None and sent >= fault.after:
                    await self.misbehave(ws, fault, reader)
                    if fault.kind in ("garbage", "shutdown"):
                        fault = None
                    else:
                        return
                for symbol in list(subscribed):
                    if symbol in self.listed:
                        sent += 1
                        ms = None if self.clock is None else int(self.clock() * 1000)
                        await ws.send(data_frame(self.protocol, symbol, sent, ms))
                if self.protocol == "coinbase":
                    for symbol in subscribed:
                        if symbol in self.listed:
                            await ws.send(coinbase_heartbeat(symbol))
        except ConnectionClosed:
            return
        finally:
            reader.cancel()
            await asyncio.wait({reader})
            rcvd = ws.protocol.close_rcvd
            self.close_codes.append(None if rcvd is None else rcvd.code)

    async def misbehave(
        self, ws: ServerConnection, fault: Fault, reader: asyncio.Task[None]
    ) -> None:
        if fault.kind == "close":
            await ws.close(fault.code, fault.reason)
        elif fault.kind in ("reset", "reset_mid_frame"):
            sock = ws.transport.get_extra_info("socket")
            if fault.kind == "reset_mid_frame":
                # A text frame header announcing 256 bytes, then only three of them.
                ws.transport.write(b"\x81\x7e\x01\x00abc")
                await asyncio.sleep(0.01)
            # SO_LINGER 0 turns the close into a TCP RST.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            ws.transport.abort()
        elif fault.kind == "drop":
            # The TCP connection closed under the websocket (a FIN, no RST): no close
            # frame, and over TLS no close_notify either, as a crashed server or a
            # middlebox dropping the flow does.
            ws.transport.abort()
        elif fault.kind == "stall":
            reader.cancel()
            await ws.wait_closed()
        elif fault.kind == "deaf":
            # Stop reading: client pings (control or application) go unanswered.
            reader.cancel()
            ws.transport.pause_reading()
            await ws.wait_closed()
        elif fault.kind == "garbage":
            await ws.send("}{ this is not json")
            await ws.send(b"\xff\xfe binary garbage")
        elif fault.kind == "shutdown":
            await ws.send(SHUTDOWN[self.protocol])


PATHS = {
    "binance": "",
    "coinbase": "/",
    "kraken": "/v2",
    "okx": "/ws/v5/public",
    "bybit": "/v5/public/spot",
}
REAL_PATHS: dict[str, Callable[[str], bool]] = {
    # ../shared/fixtures/exchanges/README.md: the endpoints each exchange serves.
    "binance": lambda path: path in ("/stream", "/ws") or path.startswith("/ws/"),
    "coinbase": lambda path: path == "/",
    "kraken": lambda path: path == "/v2",
    "okx": lambda path: path == "/ws/v5/public",
    "bybit": lambda path: path == "/v5/public/spot",
}
KRAKEN_STATUS = json.dumps(
    {
        "channel": "status",
        "type": "update",
        "data": [{"version": "2.0.10", "system": "online", "api_version": "v2"}],
    }
)
SHUTDOWN = {
    "binance": json.dumps({"stream": "!serverShutdown", "data": {"e": "serverShutdown", "E": 1}}),
    "okx": json.dumps({"event": "notice", "code": "64008", "msg": "upgrade", "connId": "a"}),
}


def price_of(symbol: str, n: int) -> str:
    """A deterministic price text for frame ``n``: 100.01, 100.02, ..."""
    return f"{100 + n / 100:.2f}"


def data_frame(protocol: str, symbol: str, n: int, ms: int | None = None) -> str:
    """Data frame ``n`` for ``symbol``, stamped ``ms`` (epoch milliseconds; by default
    2026-01-01 plus ``n`` ms: Binance, OKX and Bybit stamp in ms, Coinbase and Kraken
    send a fixed ISO time unless ``ms`` is given)."""
    p = price_of(symbol, n)
    iso = "2026-01-01T00:00:00.000001Z"
    if ms is None:
        ms = 1_767_225_600_000 + n
    else:
        iso = datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if protocol == "binance":
        data = {"e": "24hrMiniTicker", "E": ms, "s": symbol, "c": p, "o": "99.00"}
        return json.dumps({"stream": symbol.lower() + "@miniTicker", "data": data})
    if protocol == "coinbase":
        return json.dumps(
            {
                "type": "ticker",
                "product_id": symbol,
                "price": p,
                "open_24h": "99.00",
                "time": iso,
            }
        )
    if protocol == "kraken":
        # JSON numbers, as Kraken sends them.
        entry = f'{{"symbol":"{symbol}","last":{p},"change":1.00,"timestamp":"{iso}"}}'
        return '{"channel":"ticker","type":"update","data":[' + entry + "]}"
    if protocol == "okx":
        item = {"instId": symbol, "last": p, "open24h": "99.00", "ts": str(ms)}
        return json.dumps({"arg": {"channel": "tickers", "instId": symbol}, "data": [item]})
    if protocol == "bybit":
        item = {"symbol": symbol, "lastPrice": p, "prevPrice24h": "99.00"}
        return json.dumps(
            {"topic": "tickers." + symbol, "ts": ms, "type": "snapshot", "data": item}
        )
    raise AssertionError(protocol)


def coinbase_heartbeat(symbol: str) -> str:
    return json.dumps(
        {"type": "heartbeat", "product_id": symbol, "time": "2026-01-01T00:00:00.000001Z"}
    )


def answer(protocol: str, text: str, listed: set[str]) -> tuple[list[str], list[str]]:
    """(replies, newly subscribed exchange symbols) for one client message."""
    if protocol == "okx" and text == "ping":
        return ["pong"], []
    message: Any = json.loads(text)
    if protocol == "binance" and message.get("method") == "SUBSCRIBE":
        symbols = [stream.split("@")[0].upper() for stream in message["params"]]
        # Binance acknowledges unknown symbols too, then sends nothing for them.
        return [json.dumps({"result": None, "id": message["id"]})], symbols
    if protocol == "coinbase" and message.get("type") == "subscribe":
        products = message["product_ids"]
        bad = [p for p in products if p not in listed]
        if bad:
            error: dict[str, Any] = {
                "type": "error",
                "message": "Failed to subscribe",
                "reason": f"{bad[0]} is not a valid product",
            }
            return [json.dumps(error)], []
        ack: dict[str, Any] = {
            "type": "subscriptions",
            "channels": [{"name": "ticker", "product_ids": products}],
        }
        return [json.dumps(ack)], products
    if protocol == "kraken":
        if message.get("method") == "ping":
            return [json.dumps({"method": "pong", "req_id": message.get("req_id")})], []
        if message.get("method") == "subscribe":
            replies, symbols = [], []
            for symbol in message["params"]["symbol"]:
                if symbol in listed:
                    symbols.append(symbol)
                    result = {"channel": "ticker", "symbol": symbol, "snapshot": True}
                    replies.append(
                        json.dumps({"method": "subscribe", "result": result, "success": True})
                    )
                else:
                    error = {
                        "error": f"Currency pair not supported {symbol}",
                        "method": "subscribe",
                        "success": False,
                        "symbol": symbol,
                    }
                    replies.append(json.dumps(error))
            return replies, symbols
    if protocol == "okx" and message.get("op") == "subscribe":
        replies, symbols = [], []
        for arg in message["args"]:
            if arg["instId"] in listed:
                symbols.append(arg["instId"])
                replies.append(json.dumps({"event": "subscribe", "arg": arg, "connId": "c"}))
            else:
                msg = f"Wrong URL or channel:tickers,instId:{arg['instId']} doesn't exist."
                replies.append(json.dumps({"event": "error", "msg": msg, "code": "60018"}))
        return replies, symbols
    if protocol == "bybit":
        if message.get("op") == "ping":
            return [
                json.dumps({"success": True, "ret_msg": "pong", "conn_id": "c", "op": "ping"})
            ], []
        if message.get("op") == "subscribe":
            args = message["args"]
            req_id = message.get("req_id", "")
            if len(args) > 10:
                refusal = {
                    "success": False,
                    "ret_msg": "args size >10",
                    "req_id": req_id,
                    "op": "subscribe",
                }
                return [json.dumps(refusal)], []
            bad = [a for a in args if a.split(".", 1)[1] not in listed]
            if bad:
                refusal = {
                    "success": False,
                    "ret_msg": f"Invalid symbol :[{bad[0]}]",
                    "req_id": req_id,
                    "op": "subscribe",
                }
                return [json.dumps(refusal)], []
            ack = {
                "success": True,
                "ret_msg": "subscribe",
                "conn_id": "c",
                "req_id": req_id,
                "op": "subscribe",
            }
            return [json.dumps(ack)], [a.split(".", 1)[1] for a in args]
    return [], []
