"""Secret values kept out of every text that leaves the process.

The config loader registers each API key it configures (the value of every set
``api_key_env`` variable) and the password of a configured proxy; the poller registers the
keys it sends too, for settings built without a config file. Every text that leaves the
process passes through :func:`redact` on its way out: the log (``logsetup``'s formatter),
health records as the hub takes them in, the alert log rows the store writes, the
``snapshot`` output, the status file, screenshots and notifications. A provider that echoes
the key back (``Invalid API key <key>``) then cannot put it anywhere a user might paste
from.

A bottom-layer module (no imports from r2kmon): everything above may use it. Registration
is process-wide, as the environment it reads is.
"""

from __future__ import annotations

import re
import threading
from typing import Final
from urllib.parse import quote

MIN_SECRET_LENGTH: Final = 8
"""Values shorter than this are not registered. Redaction replaces every occurrence, so a
short value would eat ordinary text: a three-letter "key" such as ``abc`` or ``123`` would
turn coin tickers, prices and words into ``***`` all over the screen and the log. Real API
keys are 16 to 64 characters (CoinGecko's 27, FRED's 32); a shorter value is almost surely
a placeholder, and the length of a genuine one is still not shown by anything here."""

MASK: Final = "***"
"""What a secret becomes (as ``redact_credentials`` writes a proxy's user and password)."""

_lock = threading.Lock()
_secrets: frozenset[str] = frozenset()
_pattern: re.Pattern[str] | None = None


def register_secret(value: str) -> None:
    """Redact ``value`` (surrounding blanks ignored) from now on; values shorter than
    :data:`MIN_SECRET_LENGTH` are ignored. Its URL-encoded spelling is redacted too, as a
    key sent in a query string appears in a logged URL."""
    global _secrets, _pattern
    value = value.strip()
    if len(value) < MIN_SECRET_LENGTH:
        return
    spellings = {value, quote(value, safe="")}
    with _lock:
        if spellings <= _secrets:
            return
        secrets = _secrets | spellings
        # Longest first: a secret that contains another is replaced whole.
        ordered = sorted(secrets, key=len, reverse=True)
        _pattern = re.compile("|".join(re.escape(s) for s in ordered))
        _secrets = frozenset(secrets)


def redact(text: str) -> str:
    """``text`` with every registered secret replaced by :data:`MASK`."""
    pattern = _pattern
    if pattern is None:
        return text  # nothing registered (no keys configured): the common case, free
    return pattern.sub(MASK, text)


def contains_secret(text: str) -> bool:
    """Whether ``text`` holds a registered secret (a request that carries a key)."""
    pattern = _pattern
    return pattern is not None and pattern.search(text) is not None


def forget_secrets() -> None:
    """Unregister every secret (tests that plant a key clean up with it)."""
    global _secrets, _pattern
    with _lock:
        _secrets, _pattern = frozenset(), None
