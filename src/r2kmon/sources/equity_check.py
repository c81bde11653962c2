"""Which way to the Russell 2000 works from here: each configured path tried once.

Used by ``r2kmon doctor``. The equity side has several paths — Yahoo over plain httpx,
Yahoo over the browser-grade transport (the ``impersonate`` extra), Twelve Data with its
key — and a network may refuse some of them (Yahoo's 429 to non-browser TLS, a missing
key). Each is asked for ``^RUT`` (Twelve Data for IWM, standing in), and the answer says
which served it and, when none did, what to do: "Yahoo answers 429 to this network:
pip install 'r2kmon[impersonate]', or set $TWELVEDATA_API_KEY".
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from r2kmon.net import NetworkPolicy, describe_failure
from r2kmon.sources import twelvedata, yahoo
from r2kmon.sources.base import Endpoint, RateLimited, SourceError
from r2kmon.sources.settings import ProviderSettings
from r2kmon.sources.transport import EXTRA, ImpersonatingTransport, available

SYMBOL = "^RUT"


@dataclass(frozen=True, slots=True)
class PathResult:
    """One path to the equity series and what it did."""

    path: str
    """``yahoo (httpx)``, ``yahoo (browser impersonation)``, ``twelvedata``."""
    symbol: str
    """What it was asked for (``IWM for ^RUT`` where IWM stands in)."""
    served: bool
    detail: str
    """The price it served, or why it did not (remote text, cleaned)."""
    fix: str | None = None
    """What would make this path work, when something on this machine can."""
    tried: bool = True
    """False when the path could not be tried at all (no extra, no key)."""


async def check_paths(
    providers: Mapping[str, ProviderSettings],
    client: httpx.AsyncClient,
    policy: NetworkPolicy,
    *,
    timeout: float = 15.0,
) -> list[PathResult]:
    """Try every configured path to ``^RUT`` once, in the poller's order."""
    results: list[PathResult] = []
    cfg = providers.get(yahoo.PROVIDER)
    if cfg is not None and cfg.enabled:
        chart = yahoo.ChartEndpoint(SYMBOL, cfg.url, range="5d", interval="1d")
        results.append(await _try("yahoo (httpx)", SYMBOL, chart, client, timeout))
        if cfg.transport != "httpx":
            label = "yahoo (browser impersonation)"
            if available():
                browser = httpx.AsyncClient(
                    transport=ImpersonatingTransport(policy), follow_redirects=True
                )
                async with browser:
                    results.append(await _try(label, SYMBOL, chart, browser, timeout))
            else:
                results.append(
                    PathResult(label, SYMBOL, False, "not installed", EXTRA, tried=False)
                )
    keyed = providers.get(twelvedata.PROVIDER)
    if keyed is not None and keyed.enabled:
        served = twelvedata.SYMBOLS[SYMBOL]
        label = f"{served} for {SYMBOL}"
        key = os.environ.get(keyed.api_key_env) if keyed.api_key_env else None
        if key:
            series = twelvedata.TimeSeriesEndpoint(served, keyed.url, key, "1d", 2)
            results.append(await _try(twelvedata.PROVIDER, label, series, client, timeout))
        else:
            fix = f"set ${keyed.api_key_env} (a free Twelve Data key)"
            results.append(
                PathResult(twelvedata.PROVIDER, label, False, "no API key", fix, tried=False)
            )
    return results


def verdict(results: list[PathResult]) -> str | None:
    """One sentence when no path served the Russell 2000: why, and what would fix it."""
    if not results or any(r.served for r in results):
        return None
    plain = next((r for r in results if r.path == "yahoo (httpx)"), None)
    fixes = [r.fix for r in results if r.fix]
    why = (
        "Yahoo answers 429 to this network"
        if plain is not None and plain.detail.startswith(RateLimited.kind)
        else "no path served ^RUT"
    )
    return f"{why}: {', or '.join(fixes)}" if fixes else why


async def _try(
    path: str, symbol: str, endpoint: Endpoint[Any], client: httpx.AsyncClient, timeout: float
) -> PathResult:
    request = endpoint.request()
    request.extensions["timeout"] = httpx.Timeout(timeout).as_dict()
    try:
        async with asyncio.timeout(timeout * 2):
            response = await client.send(request)
        answer = endpoint.parse(response)
    except SourceError as exc:
        return PathResult(path, symbol, False, f"{exc.kind}: {exc.message}")
    except (httpx.HTTPError, TimeoutError) as exc:
        return PathResult(path, symbol, False, describe_failure(exc, str(request.url)).reason)
    tick = getattr(answer, "tick", None)
    if tick is None:
        return PathResult(path, symbol, False, "answered with no price")
    return PathResult(path, symbol, True, f"{tick.symbol} {tick.price}")
