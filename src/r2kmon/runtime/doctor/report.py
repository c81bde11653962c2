"""The report of ``r2kmon doctor``: a table in plain text (:func:`render`) or one JSON
document (:func:`document`).

``--json`` prints :func:`document`, whose keys (``doctor_version`` 1) are::

    doctor_version   1
    generated_at     ISO-8601 UTC
    r2kmon_version   the version that ran
    config           the config file read; null: the built-in defaults
    simulated        true with --demo (nothing is checked then)
    timeout_s        the per-phase timeout
    trust            the certificates trusted, in words
    ok               every checked endpoint works (the exit code is 0)
    endpoints        [{name, kind (websocket|rest|http), config (the table that sets it),
                       url, host, port, proxy ({url, origin} without credentials, or null),
                       ok, steps [{step, status (ok|failed|skipped), detail, ms}],
                       addresses, certificate ({subject, issuer, expires, protocol} or
                       null), http_status, result, price ({symbol, value} or null),
                       rtt_ms, skew_s, error, fault, fix}]
                     the steps of a websocket: dns tcp tls handshake subscribe data;
                     of rest and http: dns tcp tls http data
    not_checked      [{name, why}]: configured endpoints the app would not use
    first_failure    {name, reason, fix} or null
    equity_paths     [{path, symbol, served, detail, fix, tried}]: each configured way to
                     the Russell 2000 (Yahoo over httpx, over browser impersonation,
                     Twelve Data's IWM standing in) and whether it served it
    equity_fix       why none served it and what to do, or null
    notes            remarks that are not failures (a clock far off)
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any, Final
from urllib.parse import urlsplit

from r2kmon import __version__
from r2kmon.net.failure import (
    CERTIFICATE,
    CONNECT,
    DNS,
    REFUSED,
    RESET,
    TIMEOUT,
    TLS,
    UNREACHABLE,
)
from r2kmon.net.policy import redact_credentials
from r2kmon.runtime.doctor.check import DEFAULT_PORTS, DOCUMENT_VERSION, Check, Report


def document(report: Report) -> dict[str, Any]:
    """The ``--json`` document (its keys are in the module docstring)."""
    first = report.first_failure
    return {
        "doctor_version": DOCUMENT_VERSION,
        "generated_at": datetime.fromtimestamp(report.generated_at, timezone.utc)
        .isoformat(timespec="seconds")
        .replace("+00:00", "Z"),
        "r2kmon_version": __version__,
        "config": report.config,
        "simulated": report.simulated,
        "timeout_s": report.timeout,
        "trust": report.trust,
        "ok": report.ok,
        "endpoints": [_endpoint(check) for check in report.checks],
        "not_checked": [{"name": name, "why": why} for name, why in report.not_checked],
        "first_failure": (
            {"name": first.name, "reason": first.error, "fix": first.fix} if first else None
        ),
        "notes": list(report.notes),
        "equity_paths": [
            {
                "path": r.path,
                "symbol": r.symbol,
                "served": r.served,
                "detail": r.detail,
                "fix": r.fix,
                "tried": r.tried,
            }
            for r in report.equity
        ],
        "equity_fix": report.equity_fix,
    }


def _endpoint(check: Check) -> dict[str, Any]:
    cert = check.certificate
    return {
        "name": check.name,
        "kind": check.kind,
        "config": check.section,
        "url": redact_credentials(check.url),
        "host": check.host,
        "port": check.port,
        "proxy": {"url": check.proxy.shown, "origin": check.proxy.origin} if check.proxy else None,
        "ok": check.works,
        "steps": [
            {"step": s.name, "status": s.status, "detail": s.detail, "ms": s.ms}
            for s in check.steps.values()
        ],
        "addresses": list(check.addresses),
        "certificate": (
            {
                "subject": cert.subject,
                "issuer": cert.issuer,
                "expires": cert.expires,
                "protocol": cert.protocol,
            }
            if cert is not None
            else None
        ),
        "http_status": check.http_status,
        "result": check.result,
        "price": (
            {"symbol": check.price[0], "value": float(check.price[1])} if check.price else None
        ),
        "rtt_ms": check.rtt_ms,
        "skew_s": check.skew_s,
        "error": check.error,
        "fault": check.fault,
        "fix": check.fix,
    }


_COLUMNS: Final = (
    ("endpoint", 14),
    ("host", 23),
    ("dns", 4),
    ("tcp", 4),
    ("tls", 4),
    ("http", 4),
    ("sub", 4),
    ("data", 4),
    ("result", 17),
    ("rtt", 6),
    ("skew", 6),
)
"""Title and width of each column of the table: 100 characters with the spaces."""

_MARKS: Final = {"ok": "ok", "failed": "FAIL", "skipped": "-"}
_SHORT: Final = {
    CERTIFICATE: "cert rejected",
    DNS: "DNS failure",
    REFUSED: "refused",
    RESET: "reset",
    TIMEOUT: "timeout",
    TLS: "TLS failure",
    UNREACHABLE: "unreachable",
    CONNECT: "cannot connect",
}


def render(report: Report) -> str:
    """The report as plain text: a table (one row per endpoint, 100 columns), each
    endpoint's steps, then how many work and the fix for the first failure."""
    if report.simulated:
        return "r2kmon doctor: --demo uses simulated data and no network; nothing to check\n"
    proxies = sorted({f"{c.proxy.shown} ({c.proxy.origin})" for c in report.checks if c.proxy})
    lines = [
        f"r2kmon doctor {__version__} — config: {report.config or 'built-in defaults'}",
        f"trust: {report.trust}; proxy: {', '.join(proxies) or 'none'}; "
        f"timeout {report.timeout:g} s per phase",
    ]
    if report.checks:
        lines += ["", _row([title for title, _width in _COLUMNS])]
        lines += [_row(_cells(check)) for check in report.checks]
        lines.append("")
        for check in report.checks:
            lines += _details(check)
    if report.not_checked:
        grouped: dict[str, list[str]] = {}
        for name, why in report.not_checked:
            grouped.setdefault(why, []).append(name)
        lines.append(
            "not checked: " + "; ".join(f"{', '.join(n)} ({why})" for why, n in grouped.items())
        )
    lines += report.notes
    lines += _equity(report)
    works = sum(check.works for check in report.checks)
    lines += ["", f"{works} of {len(report.checks)} endpoints work"]
    first = report.first_failure
    if first is not None:
        lines.append(f"fix: {first.fix}")
    return "\n".join(lines) + "\n"


def _equity(report: Report) -> list[str]:
    """Which way to the Russell 2000 works: one line per path, then the fix if none did."""
    if not report.equity:
        return []
    lines = ["", "the Russell 2000:"]
    for r in report.equity:
        mark = "ok" if r.served else ("-" if not r.tried else "FAIL")
        fix = f" → {r.fix}" if r.fix and not r.served else ""
        lines.append(f"  {mark:<4} {r.path:<30} {r.symbol:<13} {r.detail}{fix}")
    if report.equity_fix:
        lines.append(f"  fix: {report.equity_fix}")
    return lines


def _row(cells: Sequence[str]) -> str:
    return " ".join(
        _cell(text, width, keep_end=title == "host").ljust(width)
        for text, (title, width) in zip(cells, _COLUMNS, strict=True)
    ).rstrip()


def _cell(text: str, width: int, *, keep_end: bool = False) -> str:
    if len(text) <= width:
        return text
    if keep_end:
        # A host keeps its end, whole labels (…exchange.coinbase.com): the domain is what
        # tells one host from another.
        tail = text
        while len(tail) >= width and "." in tail:
            tail = tail.split(".", 1)[1]
        if len(tail) < width:
            return "…" + tail
    return text[: width - 1] + "…"


def _cells(check: Check) -> list[str]:
    default_port = check.port == DEFAULT_PORTS.get(urlsplit(check.url).scheme.lower())
    if check.works:
        result = check.result or ""
    elif check.fault is not None:
        result = _SHORT.get(check.fault, check.fault)
    elif check.http_status is not None and check.http_status >= 400:
        result = f"HTTP {check.http_status}"
    else:
        result = "no data" if check.steps["data"].status == "failed" else "failed"
    return [
        check.name,
        check.host if default_port else check.where,
        _MARKS[check.steps["dns"].status],
        _MARKS[check.steps["tcp"].status],
        _MARKS[check.steps["tls"].status],
        str(check.http_status) if check.http_status is not None else _MARKS[check.answer.status],
        _MARKS[check.steps["subscribe"].status] if "subscribe" in check.steps else "",
        _MARKS[check.steps["data"].status],
        result,
        f"{check.rtt_ms:.0f} ms" if check.rtt_ms is not None else "-",
        f"{check.skew_s:+d} s" if check.skew_s is not None else "-",
    ]


def _details(check: Check) -> list[str]:
    proxy = f"proxy {check.proxy.shown} ({check.proxy.origin})" if check.proxy else "direct"
    verdict = "works" if check.works else "FAILS"
    lines = [f"{check.name} [{check.section}] {verdict}: {redact_credentials(check.url)} ({proxy})"]
    for step in check.steps.values():
        if step.detail != "not reached":
            timing = f" ({step.ms:.0f} ms)" if step.ms is not None else ""
            lines.append(f"  {step.name:<9} {step.status:<7} {step.detail}{timing}".rstrip())
    if check.error and check.error not in {step.detail for step in check.steps.values()}:
        lines.append(f"  error     {check.error}")
    return lines
