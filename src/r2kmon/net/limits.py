"""How much of an HTTP answer r2kmon reads: a cap per provider, in bytes.

Used by the config (``[providers.<name>] max_body``, as bytes or ``"32MB"``), the poller's
settings and :func:`r2kmon.net.http.send_capped`, which stops reading at the cap. Without
one, a server sending an endless body filled memory until the deadline (2.1 GB in 60 s).
No httpx here: the config reads this module and the websocket-only code never loads httpx.
"""

from __future__ import annotations

import re
from typing import Final

DEFAULT_MAX_BODY: Final = 32_000_000
"""32 MB. The largest real answers are Yahoo's first daily chart of a symbol
(``range=max``: about 250 bytes a day, so ^RUT since 1987 is ~2.5 MB and ^GSPC since 1927
~6 MB) and iShares' IWM holdings CSV (~2,000 rows, ~0.5 MB); an exchange's candle page is
~150 kB. Five times the largest leaves room for a format that grows, and caps a hostile
or broken server at a cost a laptop does not notice."""

MIN_MAX_BODY: Final = 1_000
"""Smaller caps would refuse every provider's error bodies, let alone its data."""
MAX_MAX_BODY: Final = 1_000_000_000
"""A gigabyte: above it the cap protects nothing on the machines r2kmon runs on."""

_UNITS: Final = {
    "": 1,
    "b": 1,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
}
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*", re.IGNORECASE)


def parse_size(text: str) -> int | None:
    """``"32MB"``, ``"512 kB"``, ``"8MiB"`` or ``"1000000"`` as bytes (kB, MB, GB count
    in thousands; KiB, MiB, GiB in 1024s); ``None`` when ``text`` is no size."""
    match = _SIZE.fullmatch(text)
    if match is None:
        return None
    unit = _UNITS.get(match.group(2).lower())
    if unit is None:
        return None
    return int(float(match.group(1)) * unit)


def size_text(size: int) -> str:
    """Bytes as the config would write them: ``32MB``, ``512kB``, ``1500B``."""
    for unit, scale in (("GB", 1000**3), ("MB", 1000**2), ("kB", 1000)):
        if size >= scale and size % scale == 0:
            return f"{size // scale}{unit}"
    return f"{size}B"
