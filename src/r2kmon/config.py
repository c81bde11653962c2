"""The typed configuration: TOML in, frozen dataclasses out, errors in TOML words.

Used by the CLI (``config path|check|example``), the runtime (which feeds and sources to
start, and where they connect) and the UI (refresh rate, theme, key bindings).

r2kmon runs with no file at all: every field has a default, and ``config.example.toml``
(shipped in the package, printed by ``r2kmon config example``) documents every key with
those defaults. The file is looked up in this order: ``--config PATH``, ``$R2KMON_CONFIG``,
then the platform's user config file (``$XDG_CONFIG_HOME/r2kmon/config.toml`` on Linux).

Unknown keys are errors, not warnings: a typo such as ``symbol = [...]`` would otherwise
silently leave the defaults in force. Every problem names the file, the dotted key, the
line where it can be found, and the nearest valid key.

A file that is not a config at all (binary, UTF-16, megabytes, nested thousands deep) is
refused before ``tomllib`` sees it, in one sentence: ``tomllib`` recurses once per level of
nesting (a deep array ends in ``RecursionError``) and slices a dotted key once per part
(200,000 parts took minutes and gigabytes). Names from the file are shown with their
control characters escaped, so a key holding ``ESC]0;`` cannot retitle the terminal.

Why one module of about a thousand lines: every section's dataclass carries its own
documentation and bounds, and the loader's checks name the key and line from them, so the
schema and its checks read as one table. Splitting it by section is open work (#9).
"""

from __future__ import annotations

import codecs
import dataclasses
import difflib
import math
import os
import re
import shutil
import unicodedata
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, cast, get_args, get_origin, get_type_hints
from urllib.parse import unquote, urlsplit

import tomllib

from r2kmon import paths
from r2kmon.errors import ConfigError
from r2kmon.model import (
    ALTSEASON,
    BREAKOUT_STATES,
    CONDITIONS,
    DEFAULT_WEIGHTS,
    GAUGE,
    AlertRule,
    BreakoutSettings,
    Condition,
    GaugeSettings,
    Holding,
    SymbolError,
    canonical_crypto,
    canonical_market,
    clean_text,
    dollar_priced,
    is_ratio,
)
from r2kmon.model.endpoints import EXCHANGE_ADDRESSES
from r2kmon.net.limits import (
    DEFAULT_MAX_BODY,
    MAX_MAX_BODY,
    MIN_MAX_BODY,
    parse_size,
    size_text,
)
from r2kmon.net.policy import NetworkPolicy, check_ca_file, check_proxy, redact_credentials
from r2kmon.redact import register_secret

ENV_VAR = "R2KMON_CONFIG"

EXCHANGES = ("binance", "coinbase", "kraken", "okx", "bybit")
THEMES = (
    "textual-dark",
    "textual-light",
    "nord",
    "gruvbox",
    "catppuccin-mocha",
    "dracula",
    "tokyo-night",
    "monokai",
    "flexoki",
    "catppuccin-latte",
    "catppuccin-frappe",
    "catppuccin-macchiato",
    "solarized-light",
    "solarized-dark",
    "rose-pine",
    "rose-pine-moon",
    "rose-pine-dawn",
    "atom-one-dark",
    "atom-one-light",
    "ansi-dark",
    "ansi-light",
)
"""Textual's built-in themes, the values of ``[general] theme``. Written out because the
config never imports Textual; ``tests/ui/test_theme_names.py`` holds it equal to
``textual.theme.BUILTIN_THEMES``."""
PROVIDERS = (
    "yahoo", "fred", "coingecko", "coinpaprika", "ishares", "alternative_me", "twelvedata",
)  # fmt: skip


def _doc(text: str) -> dict[str, str]:
    """Field metadata: the docstring shown by ``config check`` and in the example file."""
    return {"doc": text}


@dataclass(frozen=True)
class GeneralConfig:
    """How the app looks and behaves."""

    refresh_hz: float = field(
        default=4.0, metadata=_doc("screen refreshes per second at most (0.2-20)")
    )
    theme: str = field(
        default="textual-dark",
        metadata=_doc("Textual theme name: textual-dark, textual-light, nord, gruvbox, ..."),
    )
    ascii: bool = field(default=False, metadata=_doc("draw with ASCII only (no block glyphs)"))
    log_level: str = field(default="INFO", metadata=_doc("DEBUG, INFO, WARNING or ERROR"))
    stale_after_s: float = field(
        default=60.0, metadata=_doc("a crypto quote older than this is marked stale")
    )
    bell: bool = field(
        default=True,
        metadata=_doc(
            "ring the terminal bell when an [[alerts]] rule fires (tmux flags the window)"
        ),
    )
    private: bool = field(
        default=False,
        metadata=_doc("hide quantities and amounts in the portfolio view (weights and % stay)"),
    )
    alert_command: tuple[str, ...] = field(
        default=(),
        metadata=_doc(
            'run when an [[alerts]] rule fires, "{message}" replaced by the alert, no shell; '
            'e.g. ["notify-send", "r2kmon", "{message}"]'
        ),
    )
    desktop_notify: bool = field(
        default=False,
        metadata=_doc(
            "also show each [[alerts]] rule that fires as a desktop notification through "
            "notify-send, when it is on PATH (said once when it is not)"
        ),
    )


@dataclass(frozen=True)
class CryptoConfig:
    """Which pairs to stream, and from which exchanges."""

    symbols: tuple[str, ...] = field(
        default=("BTC-USD", "ETH-USD", "SOL-USD"),
        metadata=_doc("canonical BASE-QUOTE pairs to stream"),
    )
    exchanges: tuple[str, ...] = field(
        default=("binance", "coinbase", "kraken"),
        metadata=_doc("priority order for failover"),
    )
    usdt_as_usd: bool = field(
        default=True, metadata=_doc("let USDT pairs stand for USD (shown in the UI)")
    )
    channel: str = field(default="ticker", metadata=_doc('"ticker" or "trade"'))
    breadth: bool = field(
        default=True, metadata=_doc("stream Binance's all-market mini-ticker for breadth")
    )
    max_clock_skew_s: float = field(
        default=300.0,
        metadata=_doc(
            "an exchange time further ahead of this machine's clock is refused (a bad frame)"
        ),
    )


@dataclass(frozen=True)
class EndpointConfig:
    """Where one exchange or provider is reached; mirrors, proxies and test servers too."""

    url: str = field(metadata=_doc("websocket or HTTP base URL"))
    rest_url: str = field(default="", metadata=_doc("REST base URL (exchanges only)"))
    enabled: bool = field(default=True, metadata=_doc("false to never use it"))
    api_key_env: str = field(
        default="", metadata=_doc("environment variable holding an optional API key")
    )
    transport: str = field(
        default="",
        metadata=_doc(
            "providers.yahoo only: auto | httpx | impersonate (a browser's TLS, needs the "
            "impersonate extra); auto switches after repeated 429s"
        ),
    )
    max_body: int = field(
        default=DEFAULT_MAX_BODY,
        metadata=_doc(
            'the largest answer read over HTTP, in bytes or as "32MB", "512kB"; past it the '
            "read stops and the source's health says why"
        ),
    )


@dataclass(frozen=True)
class MarketsConfig:
    """Equities and indices polled over HTTP."""

    symbols: tuple[str, ...] = field(
        default=("^RUT", "IWM", "SPY", "^VIX"),
        metadata=_doc("provider tickers (Yahoo spelling)"),
    )


@dataclass(frozen=True)
class DemoConfig:
    """Simulated data for ``--demo``."""

    seed: int = field(default=7, metadata=_doc("random seed: the same seed, the same prices"))
    ticks_per_s: float = field(
        default=4.0, metadata=_doc("simulated crypto ticks per second per symbol")
    )
    market_hours: bool = field(
        default=True,
        metadata=_doc("index prices move only during US market hours, as real ones do"),
    )


@dataclass(frozen=True)
class NetworkConfig:
    """How every connection reaches the network. Certificates are always verified."""

    ca_file: str = field(
        default="",
        metadata=_doc(
            "PEM file of extra CA certificates to trust (a company proxy's CA), on top of "
            "the system store or SSL_CERT_FILE / SSL_CERT_DIR"
        ),
    )
    proxy: str = field(
        default="",
        metadata=_doc(
            'proxy for every connection, e.g. "http://proxy:3128"; "" uses HTTPS_PROXY, '
            "HTTP_PROXY, ALL_PROXY; NO_PROXY hosts are always reached directly"
        ),
    )

    def policy(self) -> NetworkPolicy:
        """The policy every connection follows."""
        return NetworkPolicy(ca_file=self.ca_file, proxy=self.proxy)


@dataclass(frozen=True)
class StoreConfig:
    """The SQLite store that keeps history across restarts (never used in demo mode)."""

    enabled: bool = field(default=True, metadata=_doc("keep bars and context in SQLite"))
    path: str = field(
        default="", metadata=_doc('database file; "" means r2kmon.sqlite in the data dir')
    )


Overrides = Mapping[str, float]
"""Setting name → number, applied on top of the analytics' own defaults."""


@dataclass(frozen=True)
class GaugeConfig:
    """The risk-on gauge: label bands and component weights (only what you change)."""

    settings: Overrides = field(
        default_factory=lambda: MappingProxyType({}),
        metadata=_doc("risk_off_below, risk_on_above (score bands of the label)"),
    )
    weights: Overrides = field(
        default_factory=lambda: MappingProxyType({}),
        metadata=_doc("component name → weight; 0 leaves a component out"),
    )


@dataclass(frozen=True)
class BreakoutConfig:
    """Breakout state-machine thresholds: for markets, for crypto, and per symbol."""

    markets: Overrides = field(default_factory=lambda: MappingProxyType({}))
    crypto: Overrides = field(default_factory=lambda: MappingProxyType({}))
    symbols: Mapping[str, Overrides] = field(default_factory=lambda: MappingProxyType({}))


DEFAULT_EXCHANGES: Mapping[str, EndpointConfig] = MappingProxyType(
    # The addresses are written once, in the model (the feeds' adapters read them too).
    {name: EndpointConfig(ws, rest) for name, (ws, rest) in EXCHANGE_ADDRESSES.items()}
)

DEFAULT_PROVIDERS: Mapping[str, EndpointConfig] = MappingProxyType(
    {
        "yahoo": EndpointConfig("https://query2.finance.yahoo.com", transport="auto"),
        "fred": EndpointConfig("https://fred.stlouisfed.org", api_key_env="FRED_API_KEY"),
        "coingecko": EndpointConfig(
            "https://api.coingecko.com/api/v3", api_key_env="COINGECKO_API_KEY"
        ),
        "coinpaprika": EndpointConfig("https://api.coinpaprika.com/v1"),
        "ishares": EndpointConfig("https://www.ishares.com"),
        "alternative_me": EndpointConfig("https://api.alternative.me"),
        # Asked only when its key is set: a keyed fallback for IWM and SPY (and IWM standing
        # in for ^RUT) when Yahoo rejects this network.
        "twelvedata": EndpointConfig(
            "https://api.twelvedata.com", api_key_env="TWELVEDATA_API_KEY"
        ),
    }
)

DEFAULT_KEYS: Mapping[str, str] = MappingProxyType(
    {
        "quit": "q",
        "help": "question_mark",
        "view_dashboard": "1",
        "view_board": "2",
        "view_crypto": "3",
        "view_charts": "4",
        "view_correlation": "5",
        "view_macro": "6",
        "view_health": "7",
        "view_portfolio": "8",
        "next_pane": "tab",
        "prev_pane": "shift+tab",
        "cursor_down": "j",
        "cursor_up": "k",
        "detail": "enter",
        "filter": "slash",
        "clear_filter": "escape",
        "refresh": "r",
        "pause": "p",
        "theme": "t",
        "screenshot": "s",
        "range_next": "right_square_bracket",
        "range_prev": "left_square_bracket",
    }
)
"""Binding id → key. Every binding the app has is listed here and can be remapped."""


@dataclass(frozen=True)
class Config:
    """The whole configuration. ``source`` says which file it came from (None: defaults)."""

    general: GeneralConfig = field(default_factory=GeneralConfig)
    crypto: CryptoConfig = field(default_factory=CryptoConfig)
    markets: MarketsConfig = field(default_factory=MarketsConfig)
    demo: DemoConfig = field(default_factory=DemoConfig)
    exchanges: Mapping[str, EndpointConfig] = field(default_factory=lambda: DEFAULT_EXCHANGES)
    providers: Mapping[str, EndpointConfig] = field(default_factory=lambda: DEFAULT_PROVIDERS)
    keys: Mapping[str, str] = field(default_factory=lambda: DEFAULT_KEYS)
    store: StoreConfig = field(default_factory=StoreConfig)
    network: NetworkConfig = field(default_factory=NetworkConfig)
    gauge: GaugeConfig = field(default_factory=GaugeConfig)
    breakout: BreakoutConfig = field(default_factory=BreakoutConfig)
    alerts: tuple[AlertRule, ...] = ()
    """The ``[[alerts]]`` rules, in file order."""
    holdings: tuple[Holding, ...] = ()
    """The ``[[holdings]]`` of the portfolio view, in file order."""
    source: Path | None = None


_SECTIONS: Mapping[str, type[Any]] = MappingProxyType(
    {
        "general": GeneralConfig,
        "crypto": CryptoConfig,
        "markets": MarketsConfig,
        "demo": DemoConfig,
        "store": StoreConfig,
        "network": NetworkConfig,
    }
)
_TABLES_OF_ENDPOINTS: Mapping[str, Mapping[str, EndpointConfig]] = MappingProxyType(
    {"exchanges": DEFAULT_EXCHANGES, "providers": DEFAULT_PROVIDERS}
)
_TOP_LEVEL = (
    *_SECTIONS,
    *_TABLES_OF_ENDPOINTS,
    "keys",
    "gauge",
    "breakout",
    "alerts",
    "holdings",
)


# --- locating ---------------------------------------------------------------------------


def find_config_file(explicit: Path | None) -> tuple[Path | None, str]:
    """The file to read and why: ``--config``, ``$R2KMON_CONFIG`` or the user file.

    Returns ``(None, reason)`` when no file exists, which means "use the defaults". A path
    given explicitly (flag or variable) must exist: a typo there is an error, not defaults.
    """
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"{explicit}: no such config file (given with --config)")
        return explicit, "--config"
    env = os.environ.get(ENV_VAR)
    if env:
        path = Path(env).expanduser()
        if not path.is_file():
            raise ConfigError(f"{path}: no such config file (given in ${ENV_VAR})")
        return path, f"${ENV_VAR}"
    user = paths.user_config_file()
    if user.is_file():
        return user, "user config file"
    return None, f"no config file ({user} does not exist): built-in defaults"


def load_config(explicit: Path | None = None) -> Config:
    """Find and load the config; defaults when there is no file. Raises ``ConfigError``."""
    path, _ = find_config_file(explicit)
    config = Config() if path is None else parse_config(read_config_text(path), path)
    register_secrets(config)
    return config


def register_secrets(config: Config) -> None:
    """Register with :mod:`r2kmon.redact` every secret this config puts in use: the value
    of each set ``api_key_env`` variable, and the password of the proxy (``[network]
    proxy`` or the proxy variables), so no text leaving the process shows them."""
    for table in (config.exchanges, config.providers):
        for endpoint in table.values():
            if endpoint.api_key_env:
                register_secret(os.environ.get(endpoint.api_key_env, ""))
    proxies = [config.network.proxy, *urllib.request.getproxies().values()]
    for proxy in proxies:
        if "@" in proxy:
            credentials = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
            register_secret(unquote(credentials.password or ""))


MAX_CONFIG_BYTES = 1_000_000
"""A config file is a few kilobytes (the documented example with every key is 8 kB); a
megabyte is a wrong file (a log, a database) and is refused before it is read whole."""


def read_config_text(path: Path) -> str:
    """The text of the config file at ``path``: UTF-8, at most :data:`MAX_CONFIG_BYTES`.
    Raises ``ConfigError`` saying what the file is instead and what to do."""
    where = _escaped(str(path))
    try:
        with path.open("rb") as file:
            data = file.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{where}: cannot be read: {exc.strerror or exc}") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(
            f"{where}: more than {MAX_CONFIG_BYTES:,} bytes; a config file is a few kB "
            "('r2kmon config example' prints one): is this the right file?"
        )
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or _utf16_without_bom(data):
        raise ConfigError(f"{where}: saved as UTF-16; TOML files are UTF-8: save it as UTF-8")
    if b"\x00" in data:
        raise ConfigError(
            f"{where}: not a text file (it holds NUL bytes); a config file is TOML text "
            "('r2kmon config example' prints one): is this the right file?"
        )
    try:
        # utf-8-sig: a byte-order mark (some Windows editors write one) is dropped, not
        # reported: TOML would refuse it, and nothing in the file is wrong.
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"{where}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); TOML files "
            "are UTF-8: save it as UTF-8"
        ) from None


def _utf16_without_bom(data: bytes) -> bool:
    """UTF-16 text of the ASCII a config is written in: every other byte is NUL, and
    only those (a run of zeros is a binary file)."""
    sample = data[:512]
    odd, even = sample[1::2], sample[0::2]
    little = odd.count(0) == len(odd) and 0 not in even
    big = even.count(0) == len(even) and 0 not in odd
    return len(sample) >= 4 and (little or big)


def example_text() -> str:
    """The documented example file shipped in the package."""
    return resources.files("r2kmon").joinpath("config.example.toml").read_text(encoding="utf-8")


# --- parsing ----------------------------------------------------------------------------


class _Problems:
    """Collects every problem in a file, so one run shows them all (the first
    :data:`MAX_PROBLEMS_SHOWN` of them, and how many more)."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines = _key_lines(text)
        self.items: list[str] = []
        self.more = 0

    def add(
        self, key: str, message: str, valid: tuple[str, ...] = (), word: str | None = None
    ) -> None:
        """Record a problem at ``key``; suggest the entry of ``valid`` nearest to ``word``
        (by default the key's own last part)."""
        if len(self.items) >= MAX_PROBLEMS_SHOWN:
            self.more += 1  # counted, not worded: a suggestion costs a diff per key
            return
        line = self.lines.get(key)
        where = f"{self.path}:{line}" if line else str(self.path)
        hint = ""
        leaf = word if word is not None else key.rsplit(".", 1)[-1]
        if valid:
            near = difflib.get_close_matches(leaf, valid, n=1, cutoff=0.5)
            hint = (
                f" Did you mean '{near[0]}'?"
                if near
                else f" Valid keys here: {', '.join(sorted(valid))}."
            )
        # Keys and values come from the file: a quoted key may hold escape sequences
        # (TOML's "\u001b" is valid there) that would drive the terminal showing this.
        self.items.append(_escaped(f"{where}: key '{key}': {message}.{hint}"))

    def raise_if_any(self) -> None:
        if self.more:
            tail = f"{_escaped(str(self.path))}: and {self.more:,} more problems"
            raise ConfigError("\n".join([*self.items, tail]))
        if self.items:
            raise ConfigError("\n".join(self.items))


MAX_PROBLEMS_SHOWN = 20
"""A file with thousands of problems is no config with typos; the first ones say so."""


def _escaped(text: str) -> str:
    """``text`` with control and format characters (ESC, BEL, NUL, bidi overrides,
    zero-width spaces) written as Python escapes: visible, so the key can be found, and
    never acted on by the terminal."""
    if text.isprintable():
        return text  # nearly always, and at C speed
    return "".join(
        char.encode("unicode_escape").decode("ascii")
        if unicodedata.category(char) in ("Cc", "Cf")
        else char
        for char in text
    )


_HEADER = re.compile(r"^\s*\[\s*([A-Za-z0-9_.\-\"'^= ]+?)\s*\]\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\"']+)\s*=")
_ARRAY_HEADER = re.compile(r"^\s*\[\[\s*([A-Za-z0-9_\-]+)\s*\]\]\s*(#.*)?$")


def _key_lines(text: str) -> dict[str, int]:
    """Dotted key → line number, found by reading the text (tomllib gives no positions).

    The N-th ``[[name]]`` entry (counted from 1) is the table ``name.N``."""
    lines: dict[str, int] = {}
    table = ""
    entries: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        array = _ARRAY_HEADER.match(line)
        if array:
            name = array.group(1)
            entries[name] = entries.get(name, 0) + 1
            table = f"{name}.{entries[name]}"
            lines.setdefault(table, number)
            continue
        header = _HEADER.match(line)
        if header:
            table = header.group(1).replace('"', "").replace("'", "").replace(" ", "")
            lines.setdefault(table, number)
            continue
        key = _KEY.match(line)
        if key:
            name = key.group(1).strip("\"'")
            lines.setdefault(f"{table}.{name}" if table else name, number)
    return lines


MAX_NESTING = 16
"""Arrays and inline tables nested deeper than this are refused before parsing. r2kmon's
settings nest two deep at most (a list inside a table); ``tomllib`` recurses once per
level and fails with ``RecursionError`` near a few hundred."""
MAX_KEY_PARTS = 16
"""Parts of a dotted key (``a.b.c`` has 3) refused beyond this before parsing. The
deepest key r2kmon reads has 4 (``breakout.symbols."BTC-USD".confirm_closes``);
``tomllib`` copies a key's parts once per part, so 200,000 parts took minutes and
gigabytes."""

_TOKENS = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*(?:"""|\Z)'  # multi-line basic string (to the end if open)
    r"|'''.*?(?:'''|\Z)"  # multi-line literal string
    r'|"(?:[^"\\\n]|\\[^\n])*"?'  # basic string (to the end of its line if open)
    r"|'[^'\n]*'?"  # literal string
    r"|#[^\n]*"  # comment
    r"|[\[\]{}.=,\n]",  # structure
    re.DOTALL,
)
"""What the shape check needs of TOML: strings and comments, taken whole (brackets and
dots in them count for nothing), and the characters of structure. Each alternative is
decided by its first characters and an open string runs to the end of its line (or of
the file), so the scan is linear even on hostile text."""


def _check_shape(text: str, where: str) -> None:
    """Refuse nesting deeper than :data:`MAX_NESTING` and dotted keys of more than
    :data:`MAX_KEY_PARTS` parts, in one pass without recursion, before ``tomllib``."""
    if len(text) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{where}: more than {MAX_CONFIG_BYTES:,} characters")
    depth = dots = 0
    line = 1
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            dots = 0
            if depth > MAX_NESTING:
                raise ConfigError(
                    f"{where}:{line}: arrays or inline tables nested more than "
                    f"{MAX_NESTING} deep; r2kmon's settings need two at most"
                )
        elif token == ".":
            dots += 1
            if dots >= MAX_KEY_PARTS:
                raise ConfigError(
                    f"{where}:{line}: a dotted key of more than {MAX_KEY_PARTS} parts; "
                    "r2kmon's keys have four at most"
                )
        elif token in ("]", "}"):
            depth = max(0, depth - 1)
            dots = 0
        elif token in ("=", ",", "\n"):
            dots = 0
        line += token.count("\n")


def parse_config(text: str, path: Path) -> Config:
    """Parse and validate TOML text read from ``path``. Raises ``ConfigError``."""
    where = _escaped(str(path))
    _check_shape(text, where)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: not valid TOML: {_escaped(str(exc))}") from None
    problems = _Problems(path, text)
    built: dict[str, Any] = {"source": path}
    for name, value in data.items():
        if name not in _TOP_LEVEL:
            problems.add(name, "unknown section", _TOP_LEVEL)
            continue
        if name in ("alerts", "holdings"):
            continue  # checked against the configured symbols, below
        if not isinstance(value, dict):
            problems.add(name, "must be a table ([" + name + "])")
            continue
        if name in _SECTIONS:
            built[name] = _build(_SECTIONS[name], value, name, problems)
        elif name in _TABLES_OF_ENDPOINTS:
            built[name] = _build_endpoints(name, value, _TABLES_OF_ENDPOINTS[name], problems)
        elif name == "gauge":
            built[name] = _build_gauge(value, problems)
        elif name == "breakout":
            built[name] = _build_breakout(value, problems)
        else:
            built[name] = _build_keys(value, problems)
    if not problems.items:
        config = Config(**built)
        _check_semantics(config, problems)
        if "alerts" in data:
            built["alerts"] = _build_alerts(data["alerts"], config, problems)
        if "holdings" in data:
            built["holdings"] = _build_holdings(data["holdings"], config, problems)
    problems.raise_if_any()
    return Config(**built)


def _build(cls: type[Any], table: dict[str, Any], prefix: str, problems: _Problems) -> Any:
    hints = get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    values: dict[str, Any] = {}
    for key, value in table.items():
        dotted = f"{prefix}.{key}"
        if key not in fields:
            problems.add(dotted, "unknown key", tuple(fields))
            continue
        checked = _check_type(value, hints[key])
        if checked is None:
            problems.add(dotted, f"expected {_type_words(hints[key])}, got {_toml_type(value)}")
            continue
        values[key] = checked
    missing = [
        name
        for name, f in fields.items()
        if f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
        and name not in values
    ]
    for name in missing:
        problems.add(f"{prefix}.{name}", "is required here")
    try:
        return cls(**values)
    except TypeError:  # a required field is missing; already reported above
        return None


def _build_endpoints(
    name: str,
    table: dict[str, Any],
    defaults: Mapping[str, EndpointConfig],
    problems: _Problems,
) -> Mapping[str, EndpointConfig]:
    merged = dict(defaults)
    for key, value in table.items():
        dotted = f"{name}.{key}"
        if key not in defaults:
            problems.add(dotted, f"unknown {name[:-1]}", tuple(defaults))
            continue
        if not isinstance(value, dict):
            problems.add(dotted, f"must be a table ([{dotted}])")
            continue
        # Missing fields keep the built-in endpoint, so `[exchanges.binance] url = ...`
        # alone is enough to point one exchange at a mirror.
        base = dataclasses.asdict(defaults[key])
        base.update(value)
        if "max_body" in value and not _max_body(base, dotted, problems):
            continue
        endpoint = _build(EndpointConfig, base, dotted, problems)
        if isinstance(endpoint, EndpointConfig):
            merged[key] = endpoint
    return MappingProxyType(merged)


def _max_body(table: dict[str, Any], dotted: str, problems: _Problems) -> bool:
    """``table["max_body"]`` as bytes (a whole number, or a size such as ``"32MB"``) within
    bounds; False, with the problem recorded, when it is not."""
    value = table["max_body"]
    size = parse_size(value) if isinstance(value, str) else None
    if isinstance(value, int) and not isinstance(value, bool):
        size = value
    wanted = (
        f'give bytes as a whole number or a size such as "{size_text(DEFAULT_MAX_BODY)}" '
        f"(the default), between {size_text(MIN_MAX_BODY)} and {size_text(MAX_MAX_BODY)}"
    )
    if size is None:
        problems.add(f"{dotted}.max_body", f"{_toml_type(value)} is not a size; {wanted}")
        return False
    if not MIN_MAX_BODY <= size <= MAX_MAX_BODY:
        problems.add(f"{dotted}.max_body", f"{size_text(size)} is out of range; {wanted}")
        return False
    table["max_body"] = size
    return True


def _build_keys(table: dict[str, Any], problems: _Problems) -> Mapping[str, str]:
    keys = dict(DEFAULT_KEYS)
    for binding, key in table.items():
        dotted = f"keys.{binding}"
        if binding not in DEFAULT_KEYS:
            problems.add(dotted, "unknown binding id", tuple(DEFAULT_KEYS))
        elif not isinstance(key, str) or not key.strip():
            problems.add(dotted, f'expected a key name such as "x", got {_toml_type(key)}')
        else:
            keys[binding] = key.strip()
    return MappingProxyType(keys)


def _numbers(
    table: dict[str, Any], prefix: str, valid: tuple[str, ...], problems: _Problems
) -> Overrides:
    """A table of numeric overrides whose names must be in ``valid``."""
    out: dict[str, float] = {}
    for key, value in table.items():
        dotted = f"{prefix}.{key}"
        if key not in valid:
            problems.add(dotted, "unknown setting", valid)
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            problems.add(dotted, f"expected a number, got {_toml_type(value)}")
        else:
            out[key] = value
    return MappingProxyType(out)


def _build_gauge(table: dict[str, Any], problems: _Problems) -> GaugeConfig:
    weights = table.pop("weights", {})
    if not isinstance(weights, dict):
        problems.add("gauge.weights", "must be a table ([gauge.weights])")
        weights = {}
    settings = _numbers(table, "gauge", ("risk_off_below", "risk_on_above"), problems)
    config = GaugeConfig(
        settings, _numbers(weights, "gauge.weights", tuple(DEFAULT_WEIGHTS), problems)
    )
    try:
        GaugeSettings(weights={**DEFAULT_WEIGHTS, **config.weights}, **config.settings)
    except ValueError as exc:
        problems.add("gauge", str(exc))
    return config


def _build_breakout(table: dict[str, Any], problems: _Problems) -> BreakoutConfig:
    valid = tuple(f.name for f in dataclasses.fields(BreakoutSettings))
    crypto = table.pop("crypto", {})
    symbols = table.pop("symbols", {})
    for name, sub in (("crypto", crypto), ("symbols", symbols)):
        if not isinstance(sub, dict):
            problems.add(f"breakout.{name}", f"must be a table ([breakout.{name}])")
    config = BreakoutConfig(
        _numbers(table, "breakout", valid, problems),
        _numbers(crypto if isinstance(crypto, dict) else {}, "breakout.crypto", valid, problems),
        MappingProxyType(
            {
                symbol: _numbers(sub, f"breakout.symbols.{symbol}", valid, problems)
                for symbol, sub in (symbols.items() if isinstance(symbols, dict) else ())
                if isinstance(sub, dict)
            }
        ),
    )
    for where, overrides in (
        ("breakout", config.markets),
        ("breakout.crypto", config.crypto),
        *((f"breakout.symbols.{s}", o) for s, o in config.symbols.items()),
    ):
        try:
            with_overrides(BreakoutSettings(), overrides)
        except ValueError as exc:
            problems.add(where, str(exc))
    return config


_ALERT_KEYS = ("symbol", *CONDITIONS, "rearm", "note", "within", "source", "down_for")
_SUMMARY_SOURCES = ("crypto-feeds", "http-sources", "backfill", "store")
"""Health records that are no exchange or provider of the config but can go down."""

_WITHIN = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_WITHIN_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400}
MAX_WITHIN_S = 86_400.0
"""The longest ``within``: the hub keeps a day of 1-minute bars."""


def _within(value: Any) -> float | None:
    """``"1h"``, ``"30m"``, ``"90s"``, ``"1d"`` as seconds; None when it is not one."""
    match = _WITHIN.match(value) if isinstance(value, str) else None
    return float(int(match[1]) * _WITHIN_UNITS[match[2]]) if match else None


def _build_alerts(entries: Any, config: Config, problems: _Problems) -> tuple[AlertRule, ...]:
    """``[[alerts]]`` entries as rules: a configured symbol (or ``gauge``) and exactly one
    condition. Keys are reported as ``alerts.N.key``, N counting the entries from 1."""
    if not isinstance(entries, list):
        problems.add("alerts", "must be a list of tables: write each rule as [[alerts]]")
        return ()
    symbols = _symbols(config)
    rules: list[AlertRule] = []
    for number, entry in enumerate(entries, start=1):
        where = f"alerts.{number}"
        if not isinstance(entry, dict):
            problems.add(where, "must be a table: write each rule as [[alerts]]")
            continue
        bad = False
        for key in entry:
            if key not in _ALERT_KEYS:
                problems.add(f"{where}.{key}", "unknown key", _ALERT_KEYS)
                bad = True
        if "source" in entry or "down_for" in entry:
            rule = _source_rule(entry, where, config, problems)
            if rule is not None and not bad:
                rules.append(rule)
            continue
        symbol = entry.get("symbol")
        if not isinstance(symbol, str) or not symbol.strip():
            problems.add(f"{where}.symbol", 'is required: a configured symbol or "gauge"')
            continue
        symbol = _alert_symbol(symbol.strip(), symbols)
        if symbol is None:
            problems.add(
                f"{where}.symbol",
                f"{entry['symbol']!r} is not in crypto.symbols or markets.symbols; add it "
                'there, or use "gauge" for the risk-on score',
            )
            continue
        conditions = [key for key in CONDITIONS if key in entry]
        if len(conditions) != 1:
            found = ", ".join(conditions) or "none"
            problems.add(where, f"needs exactly one of {', '.join(CONDITIONS)} (found: {found})")
            continue
        condition = cast("Condition", conditions[0])
        value = entry[condition]
        rearm = entry.get("rearm")
        note = entry.get("note", "")
        if rearm is not None and (
            isinstance(rearm, bool) or not isinstance(rearm, (int, float)) or rearm < 0
        ):
            problems.add(f"{where}.rearm", f"expected a number ≥ 0, got {_toml_type(rearm)}")
            bad = True
        if not isinstance(note, str):
            problems.add(f"{where}.note", f"expected a string, got {_toml_type(note)}")
            bad = True
        window_s: float | None = None
        if "within" in entry:
            window_s = _within(entry["within"])
            if not condition.startswith("change_") or symbol in (GAUGE, ALTSEASON):
                problems.add(
                    f"{where}.within", "goes with change_above or change_below of a symbol"
                )
                bad = True
            elif window_s is None or not 60 <= window_s <= MAX_WITHIN_S:
                problems.add(
                    f"{where}.within",
                    f'expected a duration from 1m to 1d, as "1h" or "30m", got {entry["within"]!r}',
                )
                bad = True
        if is_ratio(symbol) and condition not in ("above", "below"):
            problems.add(
                f"{where}.{condition}",
                "a ratio takes above or below: its distance from its 200-day average, in %",
            )
            continue
        if condition == "state":
            if symbol in (GAUGE, ALTSEASON) or value not in BREAKOUT_STATES:
                problems.add(
                    f"{where}.state",
                    f"the {symbol} has no breakout state"
                    if symbol in (GAUGE, ALTSEASON)
                    else f"expected one of {', '.join(BREAKOUT_STATES)}, got {_toml_type(value)}",
                    BREAKOUT_STATES if symbol not in (GAUGE, ALTSEASON) else (),
                    str(value),
                )
                continue
        else:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                problems.add(f"{where}.{condition}", f"expected a number, got {_toml_type(value)}")
                continue
            if symbol in (GAUGE, ALTSEASON) and condition.startswith("change_"):
                problems.add(
                    f"{where}.{condition}", f"the {symbol} has no change; use above or below"
                )
                continue
        if bad:
            continue
        rules.append(
            AlertRule(
                symbol,
                condition,
                level=None if condition == "state" else float(value),
                state=value if condition == "state" else None,
                rearm=None if rearm is None else float(rearm),
                note=clean_text(note.strip()),
                window_s=window_s,
            )
        )
    return tuple(rules)


def _source_rule(
    entry: dict[str, Any], where: str, config: Config, problems: _Problems
) -> AlertRule | None:
    """``source = "yahoo"`` with ``down_for = N`` (minutes), and nothing else but a note."""
    names = (*config.exchanges, *config.providers, *_SUMMARY_SOURCES)
    source, minutes, note = entry.get("source"), entry.get("down_for"), entry.get("note", "")
    extra = [k for k in entry if k not in ("source", "down_for", "note")]
    if extra:
        problems.add(f"{where}.{extra[0]}", "does not go with source and down_for")
        return None
    if source not in names:
        problems.add(
            f"{where}.source", f"expected a source's name, got {source!r}", names, str(source)
        )
        return None
    if isinstance(minutes, bool) or not isinstance(minutes, (int, float)) or minutes <= 0:
        problems.add(f"{where}.down_for", "expected the minutes down, a number > 0")
        return None
    if not isinstance(note, str):
        problems.add(f"{where}.note", f"expected a string, got {_toml_type(note)}")
        return None
    return AlertRule(str(source), "down_for", level=float(minutes), note=clean_text(note.strip()))


_HOLDING_KEYS = ("symbol", "quantity", "cost")


def _build_holdings(entries: Any, config: Config, problems: _Problems) -> tuple[Holding, ...]:
    """``[[holdings]]`` entries: a configured symbol priced in dollars, a quantity and
    optionally the average cost per unit. Keys are reported as ``holdings.N.key``."""
    if not isinstance(entries, list):
        problems.add("holdings", "must be a list of tables: write each holding as [[holdings]]")
        return ()
    symbols = _symbols(config)
    holdings: list[Holding] = []
    seen: set[str] = set()
    for number, entry in enumerate(entries, start=1):
        where = f"holdings.{number}"
        if not isinstance(entry, dict):
            problems.add(where, "must be a table: write each holding as [[holdings]]")
            continue
        bad = [key for key in entry if key not in _HOLDING_KEYS]
        for key in bad:
            problems.add(f"{where}.{key}", "unknown key", _HOLDING_KEYS)
        text = entry.get("symbol")
        symbol = _alert_symbol(text.strip(), symbols) if isinstance(text, str) else None
        if symbol is None or symbol in (GAUGE, ALTSEASON) or is_ratio(symbol):
            problems.add(
                f"{where}.symbol",
                f"{text!r} is not in crypto.symbols or markets.symbols; add it there"
                if isinstance(text, str)
                else "is required: a configured symbol",
            )
            continue
        if not dollar_priced(symbol):
            problems.add(
                f"{where}.symbol",
                f"{symbol} is not priced in dollars (an index, or a pair quoted in another "
                "coin); hold the ETF or the USD pair instead",
            )
            continue
        quantity: Any = entry.get("quantity")
        cost: Any = entry.get("cost")
        if not _positive_number(quantity):
            problems.add(
                f"{where}.quantity", f"expected a number more than 0, got {_toml_type(quantity)}"
            )
            continue
        if cost is not None and not _positive_number(cost):
            problems.add(f"{where}.cost", f"expected a number more than 0, got {_toml_type(cost)}")
            continue
        if symbol in seen:
            problems.add(f"{where}.symbol", f"{symbol} is held twice; add the quantities up")
            continue
        seen.add(symbol)
        if not bad:
            holdings.append(Holding(symbol, float(quantity), None if cost is None else float(cost)))
    return tuple(holdings)


def _positive_number(value: Any) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )


def _symbols(config: Config) -> set[str]:
    """Every configured symbol, canonical."""
    return {
        *(canonical_crypto(s) for s in config.crypto.symbols),
        *(canonical_market(s) for s in config.markets.symbols),
    }


def _any_symbol(text: str) -> str | None:
    for canonical in (canonical_crypto, canonical_market):
        try:
            return canonical(text)
        except SymbolError:
            continue
    return None


def _alert_symbol(text: str, symbols: set[str]) -> str | None:
    """The configured symbol ``text`` names (``btc/usd`` → ``BTC-USD``), ``gauge``, or None."""
    if text.lower() in (GAUGE, ALTSEASON):
        return text.lower()
    for canonical in (canonical_crypto, canonical_market):
        try:
            symbol = canonical(text)
        except SymbolError:
            continue
        if symbol in symbols:
            return symbol
    if text.count("/") == 1:
        # A ratio (IWM/SPY): any two tickers or pairs; the analytics compute the ratios of
        # their relative-strength pairs, and a rule on another stays "waiting".
        parts = [_any_symbol(part) for part in text.split("/")]
        return "/".join(p for p in parts if p) if all(parts) else None
    return None


def with_overrides(settings: Any, overrides: Overrides) -> Any:
    """``settings`` (a dataclass) with ``overrides`` applied; whole numbers where the field
    is an ``int``. Raises ``ValueError`` for a value the settings refuse."""
    hints = get_type_hints(type(settings))
    for name, value in overrides.items():
        if hints.get(name) is int and not float(value).is_integer():
            raise ValueError(f"{name} must be a whole number, not {value}")
    return dataclasses.replace(
        settings,
        **{k: int(v) if hints.get(k) is int else float(v) for k, v in overrides.items()},
    )


MAX_CRYPTO_SYMBOLS = 1000
"""Pairs one config may stream. The feeds put at most 1,000 symbols on one websocket
(inside Binance's limit of 1,024 streams per connection); more would open connections
by the thousand, each exchange counting them against the address."""
MAX_MARKET_SYMBOLS = 100
"""Tickers one config may poll. Each is its own Yahoo request every minute of the
session: a hundred is already a request every 0.6 s to a keyless service."""


def _check_semantics(config: Config, problems: _Problems) -> None:
    """Rules beyond types: known names, valid symbols, sane ranges."""
    too_many = False
    for key, symbols, most in (
        ("crypto.symbols", config.crypto.symbols, MAX_CRYPTO_SYMBOLS),
        ("markets.symbols", config.markets.symbols, MAX_MARKET_SYMBOLS),
    ):
        if len(symbols) > most:
            problems.add(key, f"{len(symbols):,} symbols; at most {most:,}")
            too_many = True
    if too_many:
        return  # the rest would be checked symbol by symbol: said once is enough
    canonical: list[str] = []
    for symbol in config.crypto.symbols:
        try:
            canonical.append(canonical_crypto(symbol))
        except SymbolError as exc:
            problems.add("crypto.symbols", str(exc))
    for symbol in config.markets.symbols:
        try:
            canonical_market(symbol)
        except SymbolError as exc:
            problems.add("markets.symbols", str(exc))
    for exchange in config.crypto.exchanges:
        if exchange not in EXCHANGES:
            problems.add("crypto.exchanges", f"unknown exchange {exchange!r}", EXCHANGES, exchange)
    if not config.crypto.exchanges:
        problems.add("crypto.exchanges", "needs at least one exchange", EXCHANGES)
    if config.crypto.channel not in ("ticker", "trade"):
        problems.add(
            "crypto.channel", f'must be "ticker" or "trade", not {config.crypto.channel!r}'
        )
    if not 0.2 <= config.general.refresh_hz <= 20:
        problems.add("general.refresh_hz", "must be between 0.2 and 20")
    if config.general.theme not in THEMES:
        theme = config.general.theme
        near = difflib.get_close_matches(theme, THEMES, n=1, cutoff=0.5)
        guess = f" (did you mean {near[0]!r}?)" if near else ""
        problems.add(
            "general.theme", f"unknown theme {theme!r}{guess}; the themes are {', '.join(THEMES)}"
        )
    if config.general.log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        problems.add("general.log_level", "must be DEBUG, INFO, WARNING or ERROR")
    if config.general.stale_after_s <= 0:
        problems.add("general.stale_after_s", "must be more than 0")
    if not 1 <= config.crypto.max_clock_skew_s <= 86_400:
        # A skew of 0 or less would refuse every tick as "from the future".
        problems.add("crypto.max_clock_skew_s", "must be between 1 and 86400 seconds")
    if config.demo.ticks_per_s <= 0 or config.demo.ticks_per_s > 100:
        problems.add("demo.ticks_per_s", "must be more than 0 and at most 100")
    for kind, table in (("exchanges", config.exchanges), ("providers", config.providers)):
        for name, endpoint in table.items():
            if not re.match(r"^(wss?|https?)://", endpoint.url):
                problems.add(
                    f"{kind}.{name}.url", "must start with ws://, wss://, http:// or https://"
                )
            if endpoint.transport and (kind, name) != ("providers", "yahoo"):
                problems.add(f"{kind}.{name}.transport", "only [providers.yahoo] has a transport")
            elif endpoint.transport not in ("", "auto", "httpx", "impersonate"):
                problems.add(f"{kind}.{name}.transport", "must be auto, httpx or impersonate")
    if config.network.ca_file:
        why = check_ca_file(config.network.ca_file)
        if why:
            problems.add("network.ca_file", why)
    if config.network.proxy:
        why = check_proxy(config.network.proxy)
        if why:
            problems.add("network.proxy", why)
    bound: dict[str, str] = {}
    for binding, key in config.keys.items():
        if key in bound:
            problems.add(f"keys.{binding}", f"key {key!r} is already bound to '{bound[key]}'")
        bound[key] = binding


def _check_type(value: Any, hint: Any) -> Any:
    """``value`` converted to the field's type, or None when it does not fit."""
    origin = get_origin(hint)
    if hint is bool:
        return value if isinstance(value, bool) else None
    if hint is int:
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    if hint is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        return None
    if hint is str:
        return value if isinstance(value, str) else None
    if origin is tuple:
        (item,) = {a for a in get_args(hint) if a is not Ellipsis}
        if not isinstance(value, list):
            return None
        items = [_check_type(v, item) for v in value]
        return None if any(i is None for i in items) else tuple(items)
    if origin is Literal:
        return value if value in get_args(hint) else None
    return None


def _type_words(hint: Any) -> str:
    if get_origin(hint) is tuple:
        return "a list of strings"
    return {bool: "true or false", int: "a whole number", float: "a number", str: "a string"}.get(
        hint, str(hint)
    )


def _toml_type(value: Any) -> str:
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, (int, float)):
        return f"{value} (a number)"
    if isinstance(value, str):
        return f"{value!r} (a string)"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


def describe(config: Config) -> list[str]:
    """Lines for ``config check``: what is in force, secrets never shown."""
    lines = [f"config: {config.source or 'built-in defaults'}"]
    lines.append(
        f"crypto: {', '.join(config.crypto.symbols)} via {', '.join(config.crypto.exchanges)}"
    )
    lines.append(f"markets: {', '.join(config.markets.symbols)}")
    policy = config.network.policy()
    lines.append(f"TLS: certificates verified against {policy.trust()}")
    if config.network.proxy:
        lines.append(f"proxy: {redact_credentials(config.network.proxy)} ([network] proxy)")
    for name, endpoint in config.providers.items():
        if endpoint.api_key_env:
            have = "set" if os.environ.get(endpoint.api_key_env) else "not set"
            lines.append(f"{name}: API key from ${endpoint.api_key_env} ({have})")
    for rule in config.alerts:
        note = f" ({rule.note})" if rule.note else ""
        lines.append(f"alert: {rule.describe()}{note}")
    if config.holdings:
        if config.general.private:
            held = ", ".join(h.symbol for h in config.holdings) + " (private: amounts hidden)"
        else:
            held = ", ".join(
                f"{h.symbol} {h.quantity:g}" + (f" at {h.cost:,.2f}" if h.cost else "")
                for h in config.holdings
            )
        lines.append(f"holdings: {held}")
    if config.alerts:
        command = " ".join(config.general.alert_command) or "none"
        bell = "on" if config.general.bell else "off"
        lines.append(f"alerts ring the bell: {bell}; alert command: {command}")
    if config.general.desktop_notify:
        found = shutil.which("notify-send")
        where = f"notify-send at {found}" if found else "notify-send is not on PATH: none shown"
        lines.append(f"desktop notifications: on ({where})")
    return lines
