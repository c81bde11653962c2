"""Which certificates r2kmon trusts and which proxy each connection goes through.

One :class:`NetworkPolicy` (from the config's ``[network]`` table) is shared by every
connection: the websocket feeds, the REST backfill, the HTTP poller and ``doctor``.

**Certificates are always verified**; there is no setting to turn that off. Trusted are:

* the platform's default trust store, as Python's :func:`ssl.create_default_context`
  loads it — which means the standard ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` variables
  replace it, as they do for curl and every other OpenSSL program (OpenSSL reads them
  itself). Where a Python build has no default store at all (python.org's macOS
  installer), certifi's Mozilla bundle stands in;
* plus ``[network] ca_file``, a PEM bundle added on top (a company proxy's own CA).

**Proxies**: ``[network] proxy`` when set, else the standard variables — ``HTTPS_PROXY``
for ``https://`` and ``wss://``, ``HTTP_PROXY`` for ``http://`` and ``ws://``,
``ALL_PROXY`` for either — and ``NO_PROXY`` names hosts reached directly (it applies to an
explicit proxy too). The variables are read with :mod:`urllib.request`'s own functions,
the same rules ``requests`` and ``pip`` follow (on macOS and Windows they also see the
system's proxy settings). httpx and websockets each have their own
reading of them (websockets ignores ``ALL_PROXY``), so r2kmon decides once, here, and tells
both clients.
"""

from __future__ import annotations

import logging
import os
import ssl
import urllib.request
from dataclasses import dataclass
from functools import lru_cache
from typing import Final
from urllib.parse import urlsplit, urlunsplit

log = logging.getLogger(__name__)

PROXY_SCHEMES: Final = ("http", "https", "socks5", "socks5h", "socks4", "socks4a")
"""Proxy URL schemes both clients understand (SOCKS needs the ``socks`` extra)."""

_DEFAULT_PORTS: Final = {"https": 443, "wss": 443, "http": 80, "ws": 80}


@dataclass(frozen=True, slots=True)
class Proxy:
    """The proxy chosen for one URL and where that choice came from."""

    url: str
    origin: str
    """``[network] proxy``, ``HTTPS_PROXY``, ``ALL_PROXY``, ..."""

    @property
    def shown(self) -> str:
        """The proxy URL without its user name and password, for screens and logs."""
        return redact_credentials(self.url)


@dataclass(frozen=True, slots=True)
class NetworkPolicy:
    """The TLS trust and proxy choice every connection follows."""

    ca_file: str = ""
    """A PEM file of extra CA certificates trusted on top of the default store."""
    proxy: str = ""
    """A proxy URL for every connection (``NO_PROXY`` hosts excepted); empty: the
    environment's ``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``ALL_PROXY``."""

    def tls_context(self) -> ssl.SSLContext:
        """The client TLS context for ``wss://`` and ``https://``: verifies certificates
        and host names. Built once per distinct trust setting and shared."""
        return _tls_context(
            self.ca_file,
            os.environ.get("SSL_CERT_FILE", ""),
            os.environ.get("SSL_CERT_DIR", ""),
        )

    def trust(self) -> str:
        """The trust in force, in words (for ``doctor`` and the log)."""
        parts = []
        cert_file, cert_dir = os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR")
        if cert_file:
            parts.append(f"SSL_CERT_FILE={cert_file}")
        if cert_dir:
            parts.append(f"SSL_CERT_DIR={cert_dir}")
        if not parts:
            parts.append("the system trust store")
        if self.ca_file:
            parts.append(f"[network] ca_file={self.ca_file}")
        return " + ".join(parts)

    def proxy_for(self, url: str) -> Proxy | None:
        """The proxy to reach ``url`` through, or ``None`` to connect directly."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        host = parts.hostname or ""
        port = parts.port or _DEFAULT_PORTS.get(scheme, 0)
        # The variables, or the system's proxy settings on macOS and Windows, as urllib reads
        # them (websockets and requests read them the same way).
        env = urllib.request.getproxies()
        if host and urllib.request.proxy_bypass(f"{host}:{port}"):
            return None
        if self.proxy:
            return Proxy(self.proxy, "[network] proxy")
        secure = scheme in ("https", "wss")
        for key in ("wss", "https", "all") if secure else ("ws", "http", "all"):
            value = env.get(key)
            if value:
                # "proxy:3128" means http://proxy:3128, as curl reads it.
                return Proxy(value if "://" in value else f"http://{value}", f"{key.upper()}_PROXY")
        return None


def redact_credentials(url: str) -> str:
    """``url`` with any ``user:password@`` replaced by ``***@``."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"***@{host}"))


@lru_cache(maxsize=8)
def _tls_context(ca_file: str, cert_file: str, cert_dir: str) -> ssl.SSLContext:
    # The environment variables are part of the cache key only: OpenSSL reads them itself
    # inside create_default_context (set_default_verify_paths).
    context = ssl.create_default_context()
    if not cert_file and not cert_dir and not context.get_ca_certs():
        _load_certifi(context)
    if ca_file:
        context.load_verify_locations(cafile=os.path.expanduser(ca_file))
    return context


def _load_certifi(context: ssl.SSLContext) -> None:
    try:
        import certifi
    except ImportError:  # pragma: no cover - certifi comes with httpx
        log.warning("no default trust store and no certifi: only [network] ca_file is trusted")
        return
    context.load_verify_locations(cafile=certifi.where())


def check_ca_file(path: str) -> str | None:
    """Why ``path`` cannot serve as ``[network] ca_file`` (``None``: it can)."""
    full = os.path.expanduser(path)
    # Each answer ends with the fix: a config error says what to write instead.
    wanted = "give a PEM file of CA certificates (-----BEGIN CERTIFICATE----- blocks)"
    if not os.path.isfile(full):
        return f"no such file: {full}; {wanted}"
    try:
        ssl.create_default_context().load_verify_locations(cafile=full)
    except (OSError, ssl.SSLError, ValueError) as exc:
        return f"no PEM certificates could be read from {full} ({exc}); {wanted}"
    return None


def check_proxy(url: str) -> str | None:
    """Why ``url`` cannot serve as ``[network] proxy`` (``None``: it can)."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in PROXY_SCHEMES:
        return f"the scheme must be one of {', '.join(PROXY_SCHEMES)}, e.g. http://proxy:3128"
    if not parts.hostname:
        return "no host name, e.g. http://proxy:3128"
    if parts.path not in ("", "/") or parts.query:
        return "a proxy URL has no path or query, e.g. http://proxy:3128"
    return None
