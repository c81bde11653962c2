"""The probe: DNS, TCP and TLS on a connection of its own, beside the real client, to tell
the steps apart (addresses, round-trip time, certificate). Through a proxy, DNS and TCP are
the proxy's and TLS is left to the real client. The probe gives no verdict: it can only
name where a client's timeout was spent."""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any, cast
from urllib.parse import urlsplit

from r2kmon.model import clean_text
from r2kmon.net import Failure, NetworkPolicy, describe_failure
from r2kmon.net.failure import DNS
from r2kmon.runtime.doctor.check import Certificate, Check, ms_since, round_ms


async def run_probe(check: Check, policy: NetworkPolicy, timeout: float) -> None:
    """Fill the dns, tcp and tls steps (and addresses, rtt, certificate)."""
    secure = urlsplit(check.url).scheme.lower() in ("https", "wss")
    proxy = check.proxy = policy.proxy_for(check.url)
    if proxy is not None:
        parts = urlsplit(proxy.url)
        host = parts.hostname or "?"
        port = parts.port or (1080 if parts.scheme.lower().startswith("socks") else 80)
        about = proxy.url
    else:
        host, port, about = check.host, check.port, check.url
    step = check.steps["dns"]
    try:
        async with asyncio.timeout(timeout):
            start = time.perf_counter()
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
            check.addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
            via = f" (the proxy {host})" if proxy is not None else ""
            step.ok(", ".join(check.addresses[:4]) + via, ms_since(start))

            step = check.steps["tcp"]
            start = time.perf_counter()
            # The host name, not an address: the clients resolve and fall back themselves.
            _reader, writer = await asyncio.open_connection(host, port)
            check.rtt_ms = round_ms(ms_since(start))
            peer = writer.get_extra_info("peername")
            step.ok(f"{peer[0]}:{peer[1]}" if peer else f"{host}:{port}", check.rtt_ms)

            step = check.steps["tls"]
            try:
                if not secure:
                    step.status, step.detail = "skipped", "no TLS: not https:// or wss://"
                elif proxy is not None:
                    step.status, step.detail = "skipped", "through the proxy: see the client"
                else:
                    start = time.perf_counter()
                    await writer.start_tls(policy.tls_context(), server_hostname=check.host)
                    cert = check.certificate = _certificate(writer.get_extra_info("ssl_object"))
                    step.ok(
                        f"{cert.protocol}, issued by {cert.issuer}, expires {cert.expires}"
                        if cert is not None
                        else "handshake done",
                        ms_since(start),
                    )
            finally:
                # Not a polite TLS close: a stalled server would keep us waiting for it.
                writer.transport.abort()
    except TimeoutError as exc:
        if step.name == "dns":
            # A resolver that does not answer is a DNS failure, not a slow server.
            failure = Failure(f"DNS lookup of {host} gave no answer within {timeout:g} s", DNS)
        else:
            failure = describe_failure(exc, about, timeout=timeout)
        step.fail(failure.reason)
        check.probe_failure = failure
    except OSError as exc:  # ssl.SSLError is an OSError
        # A reset is said to be "during the TLS handshake" only when it happened there.
        failure = describe_failure(exc, about, timeout=timeout, connecting=step.name == "tls")
        step.fail(failure.reason)
        check.probe_failure = failure


def _certificate(ssl_object: object) -> Certificate | None:
    if not isinstance(ssl_object, (ssl.SSLObject, ssl.SSLSocket)):
        return None
    peer: dict[str, Any] | None = cast("dict[str, Any] | None", ssl_object.getpeercert())
    if not peer:
        return None

    def name(rdns: Sequence[Sequence[tuple[str, str]]]) -> str:
        fields = {key: value for rdn in rdns for key, value in rdn}
        org = fields.get("organizationName")
        first = fields.get("commonName") or fields.get("organizationalUnitName") or org or "?"
        return clean_text(f"{first} ({org})" if org and org != first else first, 120)

    expires = ""
    if peer.get("notAfter"):
        seconds = ssl.cert_time_to_seconds(peer["notAfter"])
        expires = datetime.fromtimestamp(seconds, timezone.utc).date().isoformat()
    return Certificate(
        name(peer.get("subject", ())),
        name(peer.get("issuer", ())),
        expires,
        str(ssl_object.version() or "TLS"),
    )
