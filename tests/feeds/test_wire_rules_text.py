"""Remote text never reaches the log file or the health text with bytes that act on a terminal.

Issue 12, item 7: close reasons, OKX notices, Kraken REST errors and provider coin symbols
were written to the log with their ESC, BEL and NUL bytes, so ``tail -f`` of the log could
retitle, clear or set the clipboard of the reader's terminal (OSC 52). Now every remote text
is cleaned before it is logged or put in health, and the log file's formatter escapes
whatever else would act on a terminal. Bidi overrides and zero-width characters, which make
text read as something else, are cleaned too, on screen (health text) as in the log.

"Acts on a terminal" is taken from Unicode itself (``unicodedata``), not from the code under
test: categories Cc (controls), Cf (format: bidi, zero-width, tags), Zl/Zp (separators) and
Cs (lone surrogates).
"""

from __future__ import annotations

import asyncio
import json
import logging
import unicodedata
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from r2kmon.config import DEFAULT_EXCHANGES, DEFAULT_PROVIDERS
from r2kmon.feeds.connection import FeedConnection, FeedSettings
from r2kmon.logsetup import configure_logging
from r2kmon.model import SourceHealth, clean_text, escape_controls
from r2kmon.net import NetworkPolicy
from r2kmon.sources.poller import HISTORY_RECORD, Poller, new_client, settings_from_endpoints
from tests.fakes.exchanges import FakeExchange, Fault
from tests.fakes.http import FakeHTTP, Reply
from tests.fakes.sinks import RecordingSink, wait_until
from tests.fakes.tls import PrivateCA, swap_host

UNSAFE_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Cs"}

# What a hostile server sends: an OSC 52 clipboard write, a title change, screen clear,
# BEL, NUL, a C1 CSI, bidi overrides and isolates, zero-width characters, a line break
# that would forge a log line.
EVIL = (
    "\x1b]52;c;ZWNobyBwd25lZA==\x07\x1b]0;pwned\x07\x1b[2J\x00\x9b31m"
    "\u202egnp.exe\u202c\u2066x\u2069\u200b\u200d\ufeff\u2060\nFORGED LINE"
)


def unsafe(text: str, *, keep: str = "") -> list[str]:
    """The characters of ``text`` that can act on a terminal (``keep`` excepted)."""
    return [
        f"U+{ord(c):04X}"
        for c in text
        if unicodedata.category(c) in UNSAFE_CATEGORIES and c not in keep
    ]


# --- the two functions, against Unicode's own tables -------------------------------------


def every_unsafe_character() -> Iterator[str]:
    for code in range(0x110000):
        char = chr(code)
        if unicodedata.category(char) in UNSAFE_CATEGORIES:
            yield char


def test_clean_text_drops_every_character_that_acts_on_a_terminal() -> None:
    chars = list(every_unsafe_character())
    assert "\u202e" in chars  # the oracle knows what it is about
    assert "\x1b" in chars
    text = "".join(chars)
    assert unsafe(clean_text(text, limit=len(text))) == []
    # ... and keeps every other character, in order.
    ordinary = "BTC-USD 64,312.50 € 中文 العربية é ß ﬁ 🙂 [bold]x[/]"
    assert clean_text(ordinary) == ordinary
    assert clean_text("a\nb\tc") == "a b c"  # a line break would forge a log line


def test_escape_controls_writes_them_as_escapes_and_keeps_lines() -> None:
    text = "".join(every_unsafe_character())
    escaped = escape_controls(text)
    assert unsafe(escaped, keep="\n\t") == []
    assert "\\x1b" in escaped
    assert "\\u202e" in escaped
    assert escape_controls("Traceback:\n  line\tx") == "Traceback:\n  line\tx"


# --- over the wire: every place remote text enters, into a real log file ----------------


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    """The app's real log setup, writing to a file of this test; restored afterwards."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    path = configure_logging("INFO", tmp_path / "r2kmon.log")
    assert path == tmp_path / "r2kmon.log"  # the test's own file, not a fallback
    try:
        yield path
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
            handler.close()
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
        logging.captureWarnings(False)


@pytest.fixture
async def servers(private_ca: PrivateCA) -> AsyncIterator[dict[str, FakeExchange]]:
    context = private_ca.server_context()
    fakes = {
        # Closes before any data (the reason becomes the health error) and, on the next
        # connection, after some (the reason is only logged); refuses in between.
        "binance": FakeExchange(
            "binance",
            {"BTCUSDT"},
            faults=[Fault("close", 0, 1000, EVIL), Fault("close", 2, 4000, EVIL)],
        ),
        # An error frame (Binance wraps the exchange's message). The feed asks for a pair
        # this fake acknowledges and never sends, so no price clears the error from health.
        "binance_us": FakeExchange(
            "binance",
            {"BTCUSDT"},
            script=[json.dumps({"error": {"code": 2, "msg": EVIL}, "id": 9})],
        ),
        # A service-upgrade notice whose text is the hostile one.
        "okx": FakeExchange(
            "okx",
            {"BTC-USDT"},
            script=[json.dumps({"event": "notice", "code": "64008", "msg": EVIL})],
        ),
        "coinbase": FakeExchange(
            "coinbase",
            {"BTC-USD"},
            script=[
                json.dumps({"type": "error", "message": EVIL, "reason": EVIL + " is delisted"})
            ],
        ),
        "bybit": FakeExchange(
            "bybit",
            {"BTCUSDT"},
            script=[json.dumps({"success": False, "ret_msg": EVIL, "op": "subscribe"})],
        ),
    }
    for fake in fakes.values():
        await fake.start(ssl=context)
    yield fakes
    for fake in fakes.values():
        await fake.stop()


def feed(name: str, fake: FakeExchange, ca: PrivateCA) -> FeedConnection:
    settings = FeedSettings(
        name,
        fake.protocol,
        ("ETH-USD",) if name == "binance_us" else ("BTC-USD",),
        health_interval=0.02,
        url=fake.url,
        backoff_initial=0.05,
        backoff_max=0.1,
        min_reconnect_interval=0.05,
        network=NetworkPolicy(ca_file=str(ca.ca_file)),
    )
    return FeedConnection(settings)


async def test_hostile_close_reasons_notices_and_errors_reach_neither_log_nor_health(
    servers: dict[str, FakeExchange], private_ca: PrivateCA, log_file: Path
) -> None:
    feeds = {name: feed(name, fake, private_ca) for name, fake in servers.items()}
    sink = RecordingSink()
    tasks = [asyncio.create_task(f.run(sink)) for f in feeds.values()]

    def seen(name: str, what: str) -> bool:
        return any(what in (h.last_error or "") for h in sink.health if h.name == name)

    def logged(what: str) -> bool:
        return what in read(log_file)

    try:
        async with asyncio.timeout(15):
            # Each hostile text has arrived and been dealt with. In health it stays until
            # prices flow, so it is looked for there where none do (binance_us) or none
            # did yet (binance's first connection, closed before any price).
            await wait_until(lambda: servers["binance"].connections >= 3)
            await wait_until(lambda: seen("binance", "closed by server with code 1000"))
            await wait_until(lambda: seen("binance_us", "Binance error 2"))
            await wait_until(lambda: logged("binance: reconnecting: connection closed"))
            await wait_until(lambda: logged("okx: reconnecting: OKX notice"))
            await wait_until(lambda: logged("coinbase: Coinbase error"))
            await wait_until(lambda: logged("bybit: Bybit refused a subscription"))
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.wait(tasks)
    errors = [h.last_error for h in sink.health if h.last_error]
    errors += [f.health().last_error or "" for f in feeds.values()]
    # The hostile text is there, made inert: what the screen's health view shows.
    assert any("ZWNobyBwd25lZA==" in e for e in errors if e.startswith("Binance error 2"))
    assert any("ZWNobyBwd25lZA==" in e for e in errors if e.startswith("connection closed"))
    for text in errors:
        assert unsafe(text) == [], text
    log = read(log_file)
    assert "reconnecting: connection closed: closed by server with code 4000" in log
    assert log.count("ZWNobyBwd25lZA==") >= 6
    assert unsafe(log, keep="\n\t") == []
    assert not [line for line in log.splitlines() if line.startswith("FORGED")]


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@pytest.fixture
async def rest(private_ca: PrivateCA) -> AsyncIterator[FakeHTTP]:
    fake = FakeHTTP()
    await fake.start(ssl=private_ca.server_context())
    yield fake
    await fake.stop()


async def test_hostile_rest_and_provider_errors_reach_neither_log_nor_health(
    rest: FakeHTTP, private_ca: PrivateCA, log_file: Path
) -> None:
    # Kraken REST answers errors inside an HTTP 200; Binance and Coinbase in a 4xx body.
    rest.script("/0/public/OHLC", Reply(200, json.dumps({"error": [EVIL]}).encode()))
    rest.script("/api/v3/klines", Reply(400, json.dumps({"code": -1, "msg": EVIL}).encode()))
    rest.script("/products/BTC-USD/candles", Reply(404, json.dumps({"message": EVIL}).encode()))
    # CoinGecko: an error object, and a 500 whose body is the hostile text.
    rest.script("/api/v3/global", Reply(200, json.dumps({"error": EVIL}).encode()))
    rest.script("/api/v3/coins/markets", Reply(500, EVIL.encode(), "text/plain"))
    sink = RecordingSink()
    # The shipped defaults, host and port swapped: CoinGecko and the three exchanges' REST.
    gecko = DEFAULT_PROVIDERS["coingecko"]
    endpoints = {"coingecko": replace(gecko, url=swap_host(gecko.url, rest.port))}
    rest_urls = {
        name: swap_host(DEFAULT_EXCHANGES[name].rest_url, rest.port)
        for name in ("binance", "coinbase", "kraken")
    }
    settings = settings_from_endpoints(
        endpoints,
        (),
        crypto_symbols=("BTC-USD",),
        rest_urls=rest_urls,
        fred_series=(),
        market_hours=False,
        jitter=0.0,
        timeout_s=2.0,
        deadline_s=4.0,
        history_intervals=("1d",),
        history_daily_days=3,
    )
    fast = {n: replace(p, min_interval_s=0.0) for n, p in settings.providers.items()}
    settings = replace(settings, providers=fast)
    async with (
        asyncio.timeout(15),
        new_client(settings, NetworkPolicy(ca_file=str(private_ca.ca_file))) as client,
    ):
        await Poller(client, settings).run_once(sink)
    health: list[SourceHealth] = list(sink.health)
    assert any(
        "ZWNobyBwd25lZA==" in (h.last_error or "") for h in health if h.name == HISTORY_RECORD
    )
    assert any("ZWNobyBwd25lZA==" in (h.last_error or "") for h in health if h.name == "coingecko")
    for record in health:
        assert unsafe(record.last_error or "") == [], record
    log = read(log_file)
    assert "kraken error payload" in log
    assert "coingecko error payload" in log
    assert unsafe(log, keep="\n\t") == []


def test_a_log_record_carrying_raw_remote_text_is_escaped_in_the_file(log_file: Path) -> None:
    # The net under every call site: a library's message, an exception's text.
    logging.getLogger("httpx").warning("HTTP/1.1 429 %s", EVIL)
    try:
        raise ValueError(EVIL)
    except ValueError:
        logging.getLogger("r2kmon.test").exception("parsing failed")
    log = log_file.read_text(encoding="utf-8")
    assert unsafe(log, keep="\n\t") == []
    assert "\\x1b]52;c;ZWNobyBwd25lZA==\\x07" in log
    assert "Traceback (most recent call last):\n" in log
