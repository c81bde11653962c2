"""Fake Binance ``!miniTicker@arr`` server for the breadth part of ``bench/ingest.py``.

    python bench/ingest_breadth_server.py --symbols 2000 --rate 1

Listens on 127.0.0.1 (port printed as one JSON line on stdout), answers ``SUBSCRIBE``
with the Binance ack and then sends, ``--rate`` times a second, one combined frame holding
a mini-ticker for every symbol: the real stream's shape at its real rate (one array per
second with every symbol that changed). Frames are pre-encoded so the server costs almost
nothing; prices move a little from one frame to the next.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random

from websockets.asyncio.server import ServerConnection, serve


def frames(symbols: int, count: int = 8) -> list[str]:
    rng = random.Random(7)
    names = ["BTCUSDT", "ETHUSDT"] + [f"C{i:04d}USDT" for i in range(symbols - 2)]
    opens = {name: 10 + rng.random() * 100 for name in names}
    out = []
    for k in range(count):
        data = []
        for name in names:
            o = opens[name]
            c = o * (1 + rng.gauss(0, 0.03))
            data.append(
                {
                    "e": "24hrMiniTicker",
                    "E": 1_767_225_600_000 + k * 1000,
                    "s": name,
                    "c": f"{c:.8f}",
                    "o": f"{o:.8f}",
                    "h": f"{max(o, c) * 1.01:.8f}",
                    "l": f"{min(o, c) * 0.99:.8f}",
                    "v": f"{rng.random() * 1e6:.8f}",
                    "q": f"{rng.random() * 1e8:.8f}",
                }
            )
        out.append(json.dumps({"stream": "!miniTicker@arr", "data": data}, separators=(",", ":")))
    return out


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--symbols", type=int, default=2000)
    ap.add_argument("--rate", type=float, default=1.0)
    args = ap.parse_args()
    encoded = frames(args.symbols)

    async def handler(ws: ServerConnection) -> None:
        request = json.loads(await ws.recv())
        await ws.send(json.dumps({"result": None, "id": request.get("id")}))
        k = 0
        while True:
            await ws.send(encoded[k % len(encoded)])
            k += 1
            await asyncio.sleep(1.0 / args.rate)

    async with serve(handler, "127.0.0.1", 0, compression=None, max_size=None) as server:
        port = server.sockets[0].getsockname()[1]
        print(json.dumps({"ready": True, "port": port, "bytes": len(encoded[0])}), flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main())
