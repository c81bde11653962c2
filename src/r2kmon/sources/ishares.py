"""iShares IWM holdings file: shares outstanding, the free raw material for IWM flows.

Used by :mod:`r2kmon.sources.catalogue` once a day. There is no free ETF-flows API; the
holdings CSV carries ``Shares Outstanding`` in its preamble, and snapshotted daily it gives
*estimated* net creations/redemptions = ΔShares x NAV (the close is a fair NAV proxy). The
file itself has no NAV per share; the sum of the holdings' market values is returned as
``holdings_market_value`` (the fund's net assets only when the file is complete).

Wire format (``../shared/fixtures/http/ishares/``, trimmed)::

    iShares Russell 2000 ETF
    Fund Holdings as of,"May 05, 2026"
    Inception Date,"May 22, 2000"
    Shares Outstanding,"278,750,000.00"
    Stock,"-"
    ...
    <a line holding one space>
    Ticker,Name,Sector,Asset Class,Market Value,Weight (%),Notional Value,Quantity,Price,...
    "BE","BLOOM ENERGY CLASS A CORP","Industrials","Equity","1,532,594,919.50","1.93",...
    <a line holding one space>
    "The content contained herein is owned or licensed by BlackRock ... (multi-line footer)"

Numbers use ``,`` thousands separators; ``"-"`` means none. The file may start with a BOM;
from some networks it is an HTML page instead, which is rejected. Terms: personal,
non-commercial use; the app fetches it on the user's machine and never redistributes it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import ClassVar

import httpx

from r2kmon.model import ContextValue
from r2kmon.sources.base import (
    BROWSER_HEADERS,
    BadBody,
    ErrorPayload,
    as_float,
    check_status,
    join_url,
    text_body,
)

PROVIDER = "ishares"
IWM_PATH = "us/products/239710/ishares-russell-2000-etf/1467271812596.ajax"


@dataclass(frozen=True, slots=True)
class FundHolding:
    """One row of the holdings table (``"-"`` as the file writes it for none; a missing
    number is ``None``)."""

    ticker: str
    name: str
    sector: str
    asset_class: str
    market_value: float | None
    weight_pct: float | None
    quantity: float | None
    price: float | None


@dataclass(frozen=True, slots=True)
class FundHoldings:
    """One day's holdings file. ``as_of`` is midnight UTC of the "Fund Holdings as of" date."""

    fund: str
    as_of: float
    shares_outstanding: float
    holdings_market_value: float
    holdings: tuple[FundHolding, ...] = field(repr=False)

    def context(self, name: str = "iwm_shares_outstanding") -> ContextValue:
        """Shares outstanding as a context value, dated by the file's own as-of date."""
        return ContextValue(name, self.shares_outstanding, "shares", PROVIDER, self.as_of)


@dataclass(frozen=True, slots=True)
class HoldingsEndpoint:
    """The IWM holdings CSV (``path`` points at another iShares fund if wanted)."""

    base_url: str
    path: str = IWM_PATH

    provider: ClassVar[str] = PROVIDER

    def request(self) -> httpx.Request:
        params = {"fileType": "csv", "fileName": "IWM_holdings", "dataType": "fund"}
        url = join_url(self.base_url, self.path)
        return httpx.Request("GET", url, params=params, headers=BROWSER_HEADERS)

    def parse(self, response: httpx.Response) -> FundHoldings:
        check_status(response, PROVIDER)
        if response.status_code != 200:
            raise ErrorPayload(PROVIDER, f"holdings file: HTTP {response.status_code}")
        return parse_holdings(text_body(response, PROVIDER))


_MONTHS = {
    name: n
    for n, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}


def _as_of(text: str) -> float:
    """``"May 05, 2026"`` → epoch of that date at 00:00 UTC (parsed without the locale,
    which would change what ``%b`` accepts)."""
    parts = text.replace(",", " ").split()
    try:
        month = _MONTHS[parts[0][:3].lower()]
        day = datetime(int(parts[2]), month, int(parts[1]), tzinfo=timezone.utc)
    except (IndexError, KeyError, ValueError) as exc:
        raise BadBody(PROVIDER, f"holdings file: unreadable as-of date {text!r}") from exc
    return day.timestamp()


def parse_holdings(text: str) -> FundHoldings:
    """Parse the holdings CSV text (a leading BOM is ignored)."""
    try:
        return _parse_holdings(text)
    except csv.Error as exc:
        raise BadBody(PROVIDER, f"holdings file: unreadable CSV: {exc}") from exc


def _parse_holdings(text: str) -> FundHoldings:
    lines = text.lstrip("\ufeff").splitlines()
    if not lines:
        raise BadBody(PROVIDER, "holdings file is empty")
    preamble: dict[str, str] = {}
    header_at = -1
    for number, line in enumerate(lines):
        if line.startswith("Ticker,"):
            header_at = number
            break
        row = next(csv.reader([line]), [])
        if len(row) >= 2:
            preamble[row[0].strip()] = row[1].strip()
    if header_at < 0 or "Shares Outstanding" not in preamble:
        raise BadBody(PROVIDER, "holdings file: no 'Shares Outstanding' or no holdings header")
    shares = as_float(preamble["Shares Outstanding"])
    if shares is None:
        raise BadBody(PROVIDER, "holdings file: 'Shares Outstanding' is not a number")
    as_of = _as_of(preamble.get("Fund Holdings as of", ""))
    table: list[str] = []
    for line in lines[header_at:]:
        # The holdings end at the first blank (one-space) line; the disclaimer follows.
        if not line.strip():
            break
        table.append(line)
    reader = csv.DictReader(io.StringIO("\n".join(table)))
    holdings = tuple(
        FundHolding(
            ticker=(record.get("Ticker") or "").strip(),
            name=(record.get("Name") or "").strip(),
            sector=(record.get("Sector") or "").strip(),
            asset_class=(record.get("Asset Class") or "").strip(),
            market_value=as_float(record.get("Market Value")),
            weight_pct=as_float(record.get("Weight (%)")),
            quantity=as_float(record.get("Quantity")),
            price=as_float(record.get("Price")),
        )
        for record in reader
    )
    total = sum(h.market_value for h in holdings if h.market_value is not None)
    return FundHoldings(lines[0].strip(), as_of, shares, float(total), holdings)
