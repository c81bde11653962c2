"""The one way r2kmon builds an ``httpx.AsyncClient``: the policy's TLS and proxies.

Used by the runtime (the poller's client) and by the REST backfill and ``doctor``. The
client is built with ``trust_env=False``: the :class:`~r2kmon.net.policy.NetworkPolicy`
has already read ``SSL_CERT_FILE``, ``HTTPS_PROXY``, ``NO_PROXY`` and the rest, and a
second reading by httpx could choose differently from the websockets.
"""

from __future__ import annotations

import httpx

from r2kmon.net.policy import NetworkPolicy


class ProxyRouter(httpx.AsyncBaseTransport):
    """Sends each request directly or through the proxy the policy names for its URL.

    One transport (one connection pool) per proxy in use; all share the TLS context.
    """

    def __init__(self, policy: NetworkPolicy, limits: httpx.Limits) -> None:
        self._policy = policy
        self._limits = limits
        self._tls = policy.tls_context()
        self._direct = httpx.AsyncHTTPTransport(verify=self._tls, trust_env=False, limits=limits)
        self._proxied: dict[str, httpx.AsyncHTTPTransport] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        proxy = self._policy.proxy_for(str(request.url))
        if proxy is None:
            return await self._direct.handle_async_request(request)
        transport = self._proxied.get(proxy.url)
        if transport is None:
            try:
                transport = httpx.AsyncHTTPTransport(
                    verify=self._tls, trust_env=False, limits=self._limits, proxy=proxy.url
                )
            except ImportError as exc:
                # httpx needs socksio for a SOCKS proxy.
                raise httpx.ProxyError(
                    f"{proxy.shown} ({proxy.origin}) is a SOCKS proxy: "
                    "pip install 'r2kmon[socks]' to use it",
                    request=request,
                ) from exc
            self._proxied[proxy.url] = transport
        return await transport.handle_async_request(request)

    async def aclose(self) -> None:
        await self._direct.aclose()
        for transport in self._proxied.values():
            await transport.aclose()


def http_client(
    policy: NetworkPolicy,
    *,
    timeout: float,
    follow_redirects: bool = True,
    max_connections: int = 8,
) -> httpx.AsyncClient:
    """A client that verifies certificates and routes through the policy's proxies, with
    ``timeout`` on every phase (connect, read, write, pool)."""
    limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=4)
    return httpx.AsyncClient(
        transport=ProxyRouter(policy, limits),
        timeout=httpx.Timeout(timeout),
        follow_redirects=follow_redirects,
        trust_env=False,
    )
