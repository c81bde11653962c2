"""FRED ``fredgraph.csv`` (no key): US liquidity series and fallback daily closes.

Used by :mod:`r2kmon.sources.catalogue` for the net-liquidity inputs (WALCL, WTREGEN,
RRPONTSYD), the 10-year yield, and daily closes that stand in for Yahoo when it is blocked
(SP500 for ^GSPC, VIXCLS for ^VIX, NASDAQCOM for ^IXIC, DGS10 for ^TNX). FRED has **no**
Russell 2000 series. Pure: builds the request, parses the answer.

Wire format (``GET /graph/fredgraph.csv?id=RRPONTSYD``)::

    observation_date,RRPONTSYD
    2023-12-29,1018.483
    2024-01-01,
    2024-01-02,704.864

The header was ``DATE,<ID>`` until late 2024 and is ``observation_date,<ID>`` now; missing
values are an empty field in current downloads and ``.`` in older ones. Both are accepted;
columns are read by position.

Units are converted here so that every value leaves with one stated unit: the three
liquidity series in **billions of USD** (WALCL and WTREGEN are published in millions,
RRPONTSYD in billions; treating WTREGEN as billions is a common bug).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import ClassVar, NamedTuple

import httpx

from r2kmon.model import Bar, ContextValue
from r2kmon.sources.base import (
    BROWSER_HEADERS,
    BadBody,
    UnknownSymbol,
    as_float,
    check_status,
    join_url,
    text_body,
)

PROVIDER = "fred"


@dataclass(frozen=True, slots=True)
class SeriesSpec:
    """How a FRED series is scaled, what unit it then has, and its context name."""

    scale: float
    unit: str
    context: str
    description: str


SERIES: dict[str, SeriesSpec] = {
    "WALCL": SeriesSpec(0.001, "USD bn", "fed_total_assets", "Fed total assets (H.4.1)"),
    "WTREGEN": SeriesSpec(0.001, "USD bn", "treasury_general_account", "Treasury account"),
    "RRPONTSYD": SeriesSpec(1.0, "USD bn", "reverse_repo", "Overnight reverse repo"),
    "DGS10": SeriesSpec(1.0, "%", "us10y_yield", "10-year Treasury yield"),
    "SP500": SeriesSpec(1.0, "index", "sp500_close", "S&P 500 close"),
    "NASDAQCOM": SeriesSpec(1.0, "index", "nasdaq_close", "Nasdaq Composite close"),
    "VIXCLS": SeriesSpec(1.0, "index", "vix_close", "VIX close"),
    # The broad trade-weighted dollar, which is *not* the DXY future (DX-Y.NYB): a context
    # value of its own, never a fallback quote for DX-Y.NYB.
    "DTWEXBGS": SeriesSpec(1.0, "index", "usd_broad_index", "Broad US dollar index"),
    "M2SL": SeriesSpec(1.0, "USD bn", "m2", "M2 money stock"),
}
"""Series r2kmon knows how to read. Unknown ids still parse, unscaled, unit ``"?"``."""


class Observation(NamedTuple):
    """One row of a series: its date (00:00 UTC, epoch seconds) and value in the series'
    unit; ``None`` for a missing observation (a holiday), kept so the gap is visible."""

    as_of: float
    value: float | None


@dataclass(frozen=True, slots=True)
class Series:
    """One parsed FRED series: its observations oldest first, converted to ``unit``."""

    series_id: str
    unit: str
    observations: tuple[Observation, ...]

    def latest(self) -> tuple[float, float] | None:
        """``(as_of, value)`` of the newest non-missing observation, or ``None``."""
        bars = self.bars()
        return (bars[-1].start, bars[-1].close) if bars else None

    def context(self) -> ContextValue | None:
        """The newest observation as a context value (``as_of`` = its date, 00:00 UTC).

        The date's midnight is earlier than the real publication time, so the value can
        only look older than it is, never fresher.
        """
        spec = SERIES.get(self.series_id)
        latest = self.latest()
        if spec is None or latest is None:
            return None
        as_of, value = latest
        return ContextValue(spec.context, value, self.unit, PROVIDER, as_of)

    def bars(self) -> list[Bar]:
        """Daily closes as flat ``1d`` bars (open = high = low = close), missing days left out."""
        return [Bar(t, v, v, v, v) for t, v in self.observations if v is not None]


@dataclass(frozen=True, slots=True)
class FredGraphEndpoint:
    """``/graph/fredgraph.csv?id=...`` for one series (one id per request, as advised)."""

    series_id: str
    base_url: str
    start: date | None = None

    provider: ClassVar[str] = PROVIDER

    def request(self) -> httpx.Request:
        params = {"id": self.series_id}
        if self.start is not None:
            params["cosd"] = self.start.isoformat()
        url = join_url(self.base_url, "graph/fredgraph.csv")
        return httpx.Request("GET", url, params=params, headers=BROWSER_HEADERS)

    def parse(self, response: httpx.Response) -> Series:
        return parse_fredgraph(response, self.series_id)


def parse_fredgraph(response: httpx.Response, series_id: str) -> Series:
    """Parse a ``fredgraph.csv`` response for ``series_id``."""
    check_status(response, PROVIDER)
    if response.status_code in (400, 404):
        raise UnknownSymbol(PROVIDER, f"series {series_id} not found (HTTP {response.status_code})")
    if response.status_code != 200:
        raise BadBody(PROVIDER, f"{series_id}: unexpected HTTP {response.status_code}")
    return parse_fredgraph_text(text_body(response, PROVIDER), series_id)


def _parse_date(text: str) -> float:
    return datetime.strptime(text.strip(), "%Y-%m-%d").replace(tzinfo=timezone.utc).timestamp()


def parse_fredgraph_text(text: str, series_id: str, column: int | None = None) -> Series:
    """Parse CSV text. ``column`` picks a value column by position in a multi-series file;
    by default the column whose header is ``series_id``, else the second one."""
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise BadBody(PROVIDER, f"{series_id}: unreadable CSV: {exc}") from exc
    if not rows or not rows[0] or rows[0][0].strip().lower() not in ("observation_date", "date"):
        head = rows[0][0][:40] if rows and rows[0] else ""
        raise BadBody(PROVIDER, f"{series_id}: not a fredgraph CSV (starts with {head!r})")
    header = [h.strip() for h in rows[0]]
    if column is None:
        column = header.index(series_id) if series_id in header else 1
    if column >= len(header):
        raise BadBody(PROVIDER, f"{series_id}: CSV has no column {column}")
    spec = SERIES.get(series_id)
    scale = spec.scale if spec else 1.0
    observations: list[Observation] = []
    for line, row in enumerate(rows[1:], start=2):
        if not row or not row[0].strip():
            continue
        try:
            when = _parse_date(row[0])
        except ValueError as exc:
            raise BadBody(PROVIDER, f"{series_id}: bad date {row[0]!r} on line {line}") from exc
        raw = row[column] if column < len(row) else ""
        value = as_float(raw)
        if value is None and raw.strip() not in ("", "."):
            raise BadBody(PROVIDER, f"{series_id}: bad value {raw!r} on line {line}")
        observations.append(Observation(when, None if value is None else value * scale))
    return Series(series_id, spec.unit if spec else "?", tuple(observations))
