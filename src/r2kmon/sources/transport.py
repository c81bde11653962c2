"""A browser-grade httpx transport for Yahoo, over ``curl_cffi``'s browser impersonation.

Used by :mod:`r2kmon.sources.scheduler` for a provider whose ``transport`` is
``impersonate``, or ``auto`` once plain httpx has been rejected (repeated 429s, outage
pages). Why: since 2025 Yahoo answers 429 to clients whose TLS handshake does not look like
a browser's, whatever their User-Agent (yfinance moved to ``curl_cffi`` for that reason; see
``tests/fixtures/http/README.md``, "Blocking history"). ``curl_cffi`` is an optional extra
(``pip install 'r2kmon[impersonate]'``): without it nothing here is imported and plain httpx
is all there is.

A thin transport of our own rather than the ``httpx-curl-cffi`` adapter: that adapter takes
``verify`` only as a boolean (no CA file), and reads proxies its own way; here the
:class:`~r2kmon.net.policy.NetworkPolicy` decides both, as for every other connection.
The provider code is unchanged: it still builds ``httpx.Request`` and parses
``httpx.Response``.
"""

from __future__ import annotations

import importlib.util
import os
import re
import socket
import ssl
import tempfile
from pathlib import Path
from typing import Any

import certifi
import httpx

from r2kmon.net.policy import NetworkPolicy

EXTRA = "pip install 'r2kmon[impersonate]'"
"""What to run for the browser-grade transport (said in health and by ``doctor``)."""

BROWSER = "chrome"
"""The browser ``curl_cffi`` impersonates: its TLS hello, HTTP/2 settings and headers."""

_DROPPED_REQUEST_HEADERS = frozenset(
    # The impersonated browser sends its own User-Agent and encodings, matching its TLS
    # fingerprint; a different UA next to Chrome's hello is itself a tell. Host, length and
    # connection are curl's to set.
    {"user-agent", "accept-encoding", "host", "content-length", "connection"}
)
_DROPPED_RESPONSE_HEADERS = frozenset(
    # curl has already decoded the body: httpx must not decode it again.
    {"content-encoding", "content-length", "transfer-encoding"}
)


def available() -> bool:
    """Whether the ``impersonate`` extra (``curl_cffi``) is installed."""
    return importlib.util.find_spec("curl_cffi") is not None


class ImpersonatingTransport(httpx.AsyncBaseTransport):
    """Sends httpx requests through a ``curl_cffi`` session impersonating a browser, with
    the policy's trust (``SSL_CERT_FILE``, ``SSL_CERT_DIR``, ``[network] ca_file``) and
    proxies. Raises ``ImportError`` when the extra is not installed."""

    def __init__(self, policy: NetworkPolicy, *, browser: str = BROWSER) -> None:
        from curl_cffi import CurlOpt
        from curl_cffi.requests import AsyncSession

        self._policy = policy
        self._bundle = _CaBundle(policy)
        options: dict[Any, Any] = {CurlOpt.CAINFO: str(self._bundle.path)}
        cert_dir = os.environ.get("SSL_CERT_DIR")
        if cert_dir:
            options[CurlOpt.CAPATH] = cert_dir
        # trust_env=False: the policy has read the proxy variables already, as for httpx.
        self._session: Any = AsyncSession(
            impersonate=browser, trust_env=False, verify=True, curl_options=options
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        from curl_cffi.requests.exceptions import RequestException

        url = str(request.url)
        proxy = self._policy.proxy_for(url)
        headers = [
            (k, v) for k, v in request.headers.items() if k.lower() not in _DROPPED_REQUEST_HEADERS
        ]
        timeout = request.extensions.get("timeout", {})
        connect, read = timeout.get("connect"), timeout.get("read")
        try:
            answer = await self._session.request(
                request.method,
                url,
                headers=headers,
                data=await request.aread() or None,
                timeout=(connect or 30.0, read or 30.0),
                allow_redirects=False,  # httpx follows redirects, as for every provider
                proxy=proxy.url if proxy is not None else None,
            )
        except RequestException as exc:
            error, cause = _as_httpx(exc, request)
            raise error from cause
        kept = [
            (k, v)
            for k, v in answer.headers.multi_items()
            if k.lower() not in _DROPPED_RESPONSE_HEADERS and v is not None
        ]
        return httpx.Response(
            answer.status_code, headers=kept, content=answer.content, request=request
        )

    async def aclose(self) -> None:
        await self._session.close()
        self._bundle.close()


def _as_httpx(exc: Exception, request: httpx.Request) -> tuple[httpx.HTTPError, BaseException]:
    """A ``curl_cffi`` failure as the httpx error the scheduler classifies, and the cause to
    raise it from: one :func:`r2kmon.net.describe_failure` recognises (a certificate, DNS,
    refusal, reset), itself caused by ``exc``; else ``exc``."""
    from curl_cffi.requests import exceptions as curl

    text = str(exc)
    cause: BaseException | None = None
    error: httpx.HTTPError
    if isinstance(exc, curl.Timeout):
        error = (
            httpx.ConnectTimeout(text, request=request)
            if isinstance(exc, curl.ConnectTimeout)
            else httpx.ReadTimeout(text, request=request)
        )
    elif isinstance(exc, curl.ProxyError):
        error = httpx.ProxyError(text, request=request)
    else:
        error = httpx.ConnectError(text, request=request)
        if isinstance(exc, curl.CertificateVerifyError):
            cause = _certificate_error(text)
        elif isinstance(exc, curl.DNSError):
            cause = socket.gaierror(socket.EAI_NONAME, text)
        elif isinstance(exc, curl.SSLError):
            cause = ConnectionResetError(text)
        elif isinstance(exc, curl.ConnectionError) and "refused" in text.lower():
            cause = ConnectionRefusedError(text)
    if cause is None:
        return error, exc
    cause.__cause__ = exc
    return error, cause


def _certificate_error(text: str) -> ssl.SSLCertVerificationError:
    """curl's "verify result: unable to get local issuer certificate (20)" as the error the
    ``ssl`` module raises for the same refusal (its message and OpenSSL code)."""
    found = re.search(r"verify result: (.+?) \((\d+)\)", text)
    error = ssl.SSLCertVerificationError(1, text)
    error.verify_message = found.group(1) if found else text
    error.verify_code = int(found.group(2)) if found else 0
    return error


class _CaBundle:
    """One PEM file with the trust the policy gives Python's ``ssl``: ``SSL_CERT_FILE``
    (else the system's CA file, else certifi's) plus ``[network] ca_file`` on top.

    curl takes one CA file, where Python stacks its sources; the concatenation is written
    to a private temporary file, removed at close.
    """

    def __init__(self, policy: NetworkPolicy) -> None:
        base = os.environ.get("SSL_CERT_FILE") or ssl.get_default_verify_paths().cafile
        sources = [base if base and os.path.exists(base) else certifi.where()]
        if policy.ca_file:
            sources.append(os.path.expanduser(policy.ca_file))
        fd, name = tempfile.mkstemp(prefix="r2kmon-ca-", suffix=".pem")
        with os.fdopen(fd, "wb") as out:
            for source in sources:
                out.write(Path(source).read_bytes().rstrip(b"\n") + b"\n")
        self.path = Path(name)

    def close(self) -> None:
        self.path.unlink(missing_ok=True)
