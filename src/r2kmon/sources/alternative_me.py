"""Alternative.me Crypto Fear & Greed Index (keyless, daily), a sentiment input for the gauge.

Used by :mod:`r2kmon.sources.poller`. Pure: builds the request, parses the answer.

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

from dataclasses import dataclass, field
from datetime import datetime

import httpx
import pandas as pd

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
DEFAULT_URL = "https://api.alternative.me"


@dataclass(frozen=True, slots=True)
class FearGreed:
    """Readings newest last: ``frame`` indexed by UTC time with ``value`` (float) and
    ``classification`` (text from the provider, shown as data, never as markup)."""

    frame: pd.DataFrame = field(repr=False)
    next_update_s: float | None = None

    def context(self) -> ContextValue | None:
        """The newest reading as ``fear_greed`` (unit ``index 0-100``)."""
        if self.frame.empty:
            return None
        when = self.frame.index[-1]
        assert isinstance(when, pd.Timestamp)  # DatetimeIndex by construction
        value = float(self.frame["value"].iloc[-1])
        return ContextValue("fear_greed", value, "index 0-100", PROVIDER, when.timestamp())


@dataclass(frozen=True, slots=True)
class FearGreedEndpoint:
    """``/fng/?limit=N``: the last ``limit`` daily readings (``limit=0``: all of them)."""

    limit: int = 30
    base_url: str = DEFAULT_URL

    @property
    def provider(self) -> str:
        return PROVIDER

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
    times: list[datetime] = []
    values: list[float] = []
    labels: list[str] = []
    next_update: float | None = None
    for item in rows:
        reading = require_dict(item, PROVIDER, "an fng reading")
        stamp = as_float(reading.get("timestamp"))
        value = as_float(reading.get("value"))
        if stamp is None or value is None or not 0 <= value <= 100:
            raise BadBody(PROVIDER, f"fng: unreadable reading {reading!r}")
        times.append(pd.Timestamp(int(stamp), unit="s", tz="UTC").to_pydatetime())
        values.append(value)
        labels.append(str(reading.get("value_classification", "")))
        if next_update is None:
            next_update = as_float(reading.get("time_until_update"))
    index = pd.DatetimeIndex(times, name="time")
    frame = pd.DataFrame({"value": values, "classification": labels}, index=index)
    frame = frame.astype({"value": "float64"}).sort_index()
    return FearGreed(frame, next_update)
