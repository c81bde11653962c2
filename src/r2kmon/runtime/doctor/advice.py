"""The fix for a failed check, in one sentence a user can act on."""

from __future__ import annotations

from urllib.parse import urlsplit

from r2kmon.net.failure import (
    CERTIFICATE,
    DNS,
    TLS,
)
from r2kmon.runtime.doctor.check import NETWORK_FAULTS, Check, status_words


def fix_for(check: Check, *, no_dns: bool = False) -> str:
    """What to do about ``check``'s failure, in one sentence. ``no_dns``: DNS failed for
    every endpoint, which is no network at all rather than one wrong name."""
    host, section = check.host, f"[{check.section}]"
    reason = check.error or "failed"
    status = check.http_status
    if no_dns:
        return (
            "no network: DNS fails for every host — check the network connection and the "
            "DNS server (/etc/resolv.conf)"
        )
    if status == 451:
        if check.exchange == "binance":
            return (
                f"HTTP 451 from {host}: restricted location — Binance serves no one from "
                'here: use Binance.US ([exchanges.binance] url = "wss://stream.binance.us:9443",'
                ' rest_url = "https://api.binance.us") or put coinbase first in [crypto] exchanges'
            )
        return (
            f"HTTP 451 from {host}: restricted location — set enabled = false in {section}, "
            "or go through a proxy elsewhere ([network] proxy)"
        )
    if status in (418, 429):
        key = f"; an API key in ${check.api_key_env} raises the limit" if check.api_key_env else ""
        what = "this address is banned for a while" if status == 418 else "rate limited"
        return (
            f"HTTP {status} from {host}: {what} — wait a few minutes before running again "
            f"(the app backs off by itself){key}"
        )
    if status in (401, 403):
        key = f", or the API key in ${check.api_key_env} is wrong" if check.api_key_env else ""
        return (
            f"HTTP {status} from {host}: refused — this address may be blocked{key}; a proxy "
            "elsewhere ([network] proxy) may help"
        )
    if check.unknown_symbol:
        return f"{reason} — {check.name} does not know it: check [markets] symbols"
    if status == 404 and check.answer.status == "failed":
        path = urlsplit(check.url).path or "/"
        return f"HTTP 404 from {host}: nothing at {path} — check the url in {section}"
    if status is not None and status >= 500:
        return f"{status_words(status)} from {host}: the server is failing — try again later"
    if check.fault == CERTIFICATE:
        trust = (
            "trust the CA that signs it: export SSL_CERT_FILE=/path/to/ca.pem, or "
            '[network] ca_file = "/path/to/ca.pem" (a company proxy\'s CA goes there)'
        )
        if "expired" in reason:
            return (
                f"{host}: {reason} — check this machine's date; if it is right, something "
                f"between here and {host} presents an old certificate; if that is a company "
                f"proxy, {trust}"
            )
        if "mismatch" in reason or "not valid for" in reason:
            return (
                f"{host}: {reason} — the certificate is for another name: check the host in "
                f"{section} url; if a company proxy inspects TLS, {trust}"
            )
        return f"{host}: {reason} — {trust}"
    if check.fault == DNS:
        return f"{reason} — check the host name in {section} url, and this machine's DNS"
    if check.fault in NETWORK_FAULTS:
        if check.proxy is not None:
            return (
                f"{reason} — through the proxy {check.proxy.shown} ({check.proxy.origin}): "
                f"check that the proxy is up and lets {host} through"
            )
        return (
            f"{reason} — if this network reaches the internet only through a proxy, set "
            "HTTPS_PROXY=http://proxy:port or [network] proxy; else a firewall blocks "
            f"{check.where}"
        )
    if check.fault == TLS:
        return (
            f"{reason} — something other than a TLS server answers at {check.where}: check "
            f"the url in {section}, or whether a proxy is needed (HTTPS_PROXY, [network] proxy)"
        )
    if check.kind == "websocket" and check.answer.status == "ok":
        return (
            f"{reason} — {host} took the subscription but sent no price: check that the "
            f"[crypto] symbols are listed on {check.exchange}"
        )
    return f"{check.name}: {reason}"
