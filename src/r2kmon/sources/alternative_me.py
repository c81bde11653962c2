"""Alternative.me Crypto Fear & Greed Index (keyless, daily), a sentiment input for the gauge.

Used by :mod:`r2kmon.sources.catalogue`. Pure: builds the request, parses the answer.

Wire format (``GET /fng/?limit=2&format=json``; ``tests/sources/fixtures/alternative_me``
holds the captured examples and their provenance)::

    {"name": "Fear and Greed Index",
     "data": [{"value": "47", "value_classification": "Neutral", "timestamp": "1777248000"},
              {"value": "33", "value_classification": "Fear", "timestamp": "1777161600"}],
     "metadata": {"error": null}}

``value`` (0-100) and ``timestamp`` (unix seconds, usually but not always 00:00 UTC) are
*strings*; newest first; the newest reading may carry ``time_until_update`` (seconds).
A failure is reported in ``metadata.error``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, NamedTuple

import httpx

from r2kmon.model import ContextValue
from r2kmon.sources.base import (
    BROWSER_HEADERS,
    BadBody,
    ErrorPayload,
    as_float,
    check_status,
    join_url,
    json_body,
    require_dict,
    require_list,
)

PROVIDER = "alternative_me"


class Reading(NamedTuple):
    """One daily reading: when (UTC epoch seconds), the index (0-100) and its label (text
    from the provider, shown as data, never as markup)."""

    as_of: float
    value: float
    classification: str


@dataclass(frozen=True, slots=True)
class FearGreed:
    """The readings, oldest first."""

    readings: tuple[Reading, ...]
    next_update_s: float | None = None

    def context(self) -> ContextValue | None:
        """The newest reading as ``fear_greed`` (unit ``index 0-100``)."""
        if not self.readings:
            return None
        newest = self.readings[-1]
        return ContextValue("fear_greed", newest.value, "index 0-100", PROVIDER, newest.as_of)


@dataclass(frozen=True, slots=True)
class FearGreedEndpoint:
    """``/fng/?limit=N``: the last ``limit`` daily readings (``limit=0``: all of them)."""

    base_url: str
    limit: int = 30

    provider: ClassVar[str] = PROVIDER

    def request(self) -> httpx.Request:
        params = {"limit": str(self.limit), "format": "json"}
        return httpx.Request(
            "GET", join_url(self.base_url, "fng/"), params=params, headers=BROWSER_HEADERS
        )

    def parse(self, response: httpx.Response) -> FearGreed:
        check_status(response, PROVIDER)
        payload = json_body(response, PROVIDER)
        if response.status_code != 200 and not isinstance(payload, dict):
            raise ErrorPayload(PROVIDER, f"fng: HTTP {response.status_code}")
        return parse_fear_greed(payload)


def parse_fear_greed(payload: object) -> FearGreed:
    """Parse a decoded ``/fng/`` body."""
    body = require_dict(payload, PROVIDER, "fng")
    metadata = body.get("metadata")
    if isinstance(metadata, dict) and metadata.get("error"):
        raise ErrorPayload(PROVIDER, f"fng: {metadata['error']}")
    rows = require_list(body.get("data"), PROVIDER, "fng data")
    readings: list[Reading] = []
    next_update: float | None = None
    for item in rows:
        reading = require_dict(item, PROVIDER, "an fng reading")
        stamp = as_float(reading.get("timestamp"))
        value = as_float(reading.get("value"))
        if stamp is None or abs(stamp) > 1e12 or value is None or not 0 <= value <= 100:
            raise BadBody(PROVIDER, f"fng: unreadable reading {reading!r}")
        label = str(reading.get("value_classification", ""))
        readings.append(Reading(float(int(stamp)), value, label))
        if next_update is None:
            next_update = as_float(reading.get("time_until_update"))
    # Newest first on the wire; oldest first here, as every other series. Stable, so
    # readings of one time keep their order.
    return FearGreed(tuple(sorted(readings, key=lambda r: r.as_of)), next_update)
