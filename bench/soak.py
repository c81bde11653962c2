"""An accelerated soak: the app's runtime against a fake Binance at a high message rate,
with a fault every few seconds, printing memory, open files and tasks over time.

    python bench/soak.py                  # 5 minutes (from the repository root)
    python bench/soak.py --minutes 3 --rate 2000 --fault-every 10

What runs: in a child process, the fake exchange and providers of the test suite
(``tests/fakes``: Binance's combined stream over ``wss://`` on its real path, every
provider over ``https://``, a private CA made at start) streaming ``--rate`` messages a
second over 20 pairs, and every ``--fault-every`` seconds one fault in turn: every
connection reset (TCP RST), a burst of 1,000 garbage frames, a frame stamped a year
ahead, prices spelled ``inf`` / ``9e999`` / ``1_0000``. In this process, the app as
``r2kmon snapshot`` builds it (:class:`r2kmon.runtime.Runtime` from a config of the
shipped defaults with host and port swapped, the store in a temporary directory, the
poller, the analysis), so what is measured is the app alone, not the fake.

Every ``--sample-every`` seconds one line: RSS (``/proc/self/status``), open file
descriptors (``/proc/self/fd``), asyncio tasks, messages/s and bad frames seen. At the
end, the growth per hour of each (a least-squares slope over the samples after the first
minute, when history, TLS and caches have settled; a third of the run if shorter). The
log goes to the run's temporary directory. Linux only (``/proc``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.fakes, when run as a script

PAIRS = [
    "BTC", "ETH", "SOL", "XRP", "BNB", "ADA", "DOGE", "AVAX", "DOT", "LINK",
    "LTC", "TRX", "ATOM", "UNI", "BCH", "XLM", "NEAR", "APT", "FIL", "ETC",
]  # fmt: skip
GARBAGE_BURST = 1000
FAULTS = ("reset", "garbage", "future", "numbers")


# --- the child: the fakes and their faults ---------------------------------------------------


async def serve(ca_dir: Path, rate: float, fault_every: float) -> None:
    import socket
    import ssl
    import struct

    import trustme
    from tests.fakes.exchanges import FakeExchange
    from tests.fakes.http import FakeHTTP
    from tests.fakes.providers import script_providers

    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(ca_dir / "ca.pem"))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    listed = {f"{base}USDT" for base in PAIRS}
    # One frame per subscribed pair per interval.
    binance = FakeExchange("binance", listed, interval=len(listed) / rate, clock=time.time)
    await binance.start(ssl=context)
    http = FakeHTTP()
    await http.start(ssl=context)
    script_providers(http)
    print(json.dumps({"binance": binance.port, "http": http.port}), flush=True)

    def connections() -> list[Any]:
        return list(binance.server.connections) if binance.server is not None else []

    turn = 0
    while True:
        await asyncio.sleep(fault_every)
        kind = FAULTS[turn % len(FAULTS)]
        turn += 1
        now_ms = int(time.time() * 1000)
        for ws in connections():
            try:
                if kind == "reset":
                    sock = ws.transport.get_extra_info("socket")
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    ws.transport.abort()
                elif kind == "garbage":
                    for i in range(GARBAGE_BURST):
                        await ws.send("}{ not json" if i % 2 else b"\xff\xfe binary")
                elif kind == "future":
                    await ws.send(_frame("99999.00", now_ms + 365 * 86_400_000))
                else:
                    for price in ("inf", "9e999", "1_0000", "1e308", "NaN"):
                        await ws.send(_frame(price, now_ms))
            except Exception as exc:  # a connection that went away meanwhile
                print(f"fault {kind}: {type(exc).__name__}", file=sys.stderr, flush=True)
        print(f"fault {kind} on {len(connections())} connection(s)", file=sys.stderr, flush=True)


def _frame(price: str, ms: int) -> str:
    data = {"e": "24hrMiniTicker", "E": ms, "s": "BTCUSDT", "c": price, "o": "99.00"}
    return json.dumps({"stream": "btcusdt@miniTicker", "data": data})


# --- the parent: the app, measured ----------------------------------------------------------


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def open_files() -> int:
    return len(os.listdir("/proc/self/fd"))


def slope_per_hour(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, value), per hour."""
    n = len(points)
    if n < 2:
        return float("nan")
    mean_t = sum(t for t, _ in points) / n
    mean_v = sum(v for _, v in points) / n
    var = sum((t - mean_t) ** 2 for t, _ in points)
    if var == 0:
        return float("nan")
    cov = sum((t - mean_t) * (v - mean_v) for t, v in points)
    return cov / var * 3600.0


def write_config(directory: Path, ports: dict[str, int]) -> Path:
    from tests.fakes.tls import derived_endpoints, toml_tables

    tables: dict[str, Any] = {
        "crypto": {
            "symbols": [f"{base}-USD" for base in PAIRS],
            "exchanges": ["binance"],
            "breadth": False,
        },
        "store": {"path": str(directory / "r2kmon.sqlite")},
        "network": {"ca_file": str(directory / "ca.pem")},
    }
    tables.update(derived_endpoints({"binance": ports["binance"]}, ports["http"]))
    path = directory / "soak.toml"
    path.write_text(toml_tables(tables))
    return path


async def soak(args: argparse.Namespace) -> int:
    from r2kmon.config import load_config
    from r2kmon.logsetup import configure_logging
    from r2kmon.runtime import Runtime

    directory = Path(tempfile.mkdtemp(prefix="r2kmon-soak-"))
    child = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--serve", str(directory),
        "--rate", str(args.rate), "--fault-every", str(args.fault_every),
        stdout=asyncio.subprocess.PIPE, stderr=open(directory / "fake.log", "w"),  # noqa: ASYNC230, SIM115
    )  # fmt: skip
    assert child.stdout is not None
    ports = json.loads(await asyncio.wait_for(child.stdout.readline(), 30))
    config = load_config(write_config(directory, ports))
    configure_logging(config.general.log_level, directory / "r2kmon.log")
    runtime = Runtime(config, demo=False, status_file=directory / "status.json")
    task = asyncio.create_task(runtime.run())
    print(
        f"soak: {args.minutes:g} min, {args.rate:g} msg/s offered over {len(PAIRS)} pairs, "
        f"a fault every {args.fault_every:g} s ({', '.join(FAULTS)}); files in {directory}"
    )
    header = ("t (s)", 6), ("RSS (MB)", 9), ("fds", 5), ("tasks", 6), ("msg/s", 8), ("bad", 7)
    print(" ".join(f"{name:>{width}}" for name, width in header), f"{'status':>10}")
    start = time.monotonic()
    samples: list[tuple[float, int, int, int]] = []
    try:
        while (elapsed := time.monotonic() - start) < args.minutes * 60:
            await asyncio.sleep(args.sample_every)
            if task.done():
                print("the runtime stopped:", task.exception(), file=sys.stderr)
                return 1
            elapsed = time.monotonic() - start
            binance = runtime.hub.snapshot().health.get("binance")
            rate = binance.msgs_per_s if binance is not None else 0.0
            bad = binance.bad_frames if binance is not None else 0
            state = binance.status if binance is not None else "-"
            sample = (elapsed, rss_bytes(), open_files(), len(asyncio.all_tasks()))
            samples.append(sample)
            print(
                f"{elapsed:6.0f} {sample[1] / 1e6:9.1f} {sample[2]:5d} {sample[3]:6d} "
                f"{rate:8.0f} {bad:7d} {state:>10}",
                flush=True,
            )
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        child.terminate()
        await child.wait()
    warmup = min(60.0, args.minutes * 60 / 3)
    settled = [s for s in samples if s[0] >= warmup]
    print(
        f"growth per hour (samples after the first {warmup:.0f} s): "
        f"RSS {slope_per_hour([(s[0], s[1] / 1e6) for s in settled]):+.1f} MB, "
        f"open files {slope_per_hour([(s[0], s[2]) for s in settled]):+.1f}, "
        f"tasks {slope_per_hour([(s[0], s[3]) for s in settled]):+.1f}"
    )
    first, last = samples[0], samples[-1]
    print(
        f"first → last sample: RSS {first[1] / 1e6:.1f} → {last[1] / 1e6:.1f} MB, "
        f"fds {first[2]} → {last[2]}, tasks {first[3]} → {last[3]}"
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--rate", type=float, default=2000.0, help="messages/s offered")
    parser.add_argument("--fault-every", type=float, default=10.0, help="seconds")
    parser.add_argument("--sample-every", type=float, default=10.0, help="seconds")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)  # the child
    args = parser.parse_args()
    if args.serve is not None:
        asyncio.run(serve(args.serve, args.rate, args.fault_every))
        return 0
    return asyncio.run(soak(args))


if __name__ == "__main__":
    sys.exit(main())
