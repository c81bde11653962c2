"""The one way r2kmon builds an ``httpx.AsyncClient`` and reads an answer with it.

Used by the runtime (the poller's client) and by the REST backfill and ``doctor``. The
client is built with ``trust_env=False``: the :class:`~r2kmon.net.policy.NetworkPolicy`
has already read ``SSL_CERT_FILE``, ``HTTPS_PROXY``, ``NO_PROXY`` and the rest, and a
second reading by httpx could choose differently from the websockets.

:func:`send_capped` sends a request the way every poll is sent:

* the body is streamed and read up to a cap (:mod:`r2kmon.net.limits`); past it reading
  stops at once and :class:`BodyTooLarge` is raised (an endless body once filled 2 GB);
* redirects are followed here, not by httpx, so that a request carrying a secret (a
  registered API key in its URL or headers, :mod:`r2kmon.redact`) never follows one to
  another origin: httpx drops ``Authorization`` on such a hop but sends every other header
  (CoinGecko's ``x-cg-demo-api-key``) on to the new host. :class:`RedirectRefused` says so.
  httpx would also read a redirect's whole body, uncapped; here it is never read.
"""

from __future__ import annotations

import httpx

from r2kmon.net.cancel_safe import closing_on_cancel
from r2kmon.net.limits import size_text
from r2kmon.net.policy import NetworkPolicy
from r2kmon.redact import contains_secret

MAX_REDIRECTS = 5
"""Redirects followed for one request (httpx's default is 20; providers use one)."""

_DEFAULT_PORTS = {"https": 443, "http": 80}


class BodyTooLarge(Exception):
    """The answer was longer than the cap; reading stopped there."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"answer larger than {size_text(limit)}; reading stopped there")


class RedirectRefused(Exception):
    """A request carrying a secret was redirected to another origin, and not followed."""

    def __init__(self, origin: str, target: str) -> None:
        self.origin, self.target = origin, target
        super().__init__(
            f"redirect from {origin} to another origin ({target}) refused: the request "
            "carries an API key"
        )


class TooManyRedirects(Exception):
    """More than :data:`MAX_REDIRECTS` redirects in a row."""

    def __init__(self) -> None:
        super().__init__(f"more than {MAX_REDIRECTS} redirects")


def origin(url: httpx.URL) -> str:
    """``scheme://host:port`` of ``url``, the default port written out."""
    port = url.port or _DEFAULT_PORTS.get(url.scheme, 0)
    return f"{url.scheme}://{url.host}:{port}"


def carries_secret(request: httpx.Request) -> bool:
    """Whether a registered secret is in ``request``'s URL or any of its header values."""
    return contains_secret(str(request.url)) or any(
        contains_secret(value) for value in request.headers.values()
    )


async def send_capped(
    client: httpx.AsyncClient, request: httpx.Request, max_body: int
) -> httpx.Response:
    """``request`` sent, redirects followed (same origin only while it carries a secret),
    and the answer read whole up to ``max_body`` bytes (after decompression, so a
    compressed bomb is capped too). Raises :class:`BodyTooLarge`,
    :class:`RedirectRefused`, :class:`TooManyRedirects` or httpx's errors."""
    secret = carries_secret(request)
    for _ in range(MAX_REDIRECTS + 1):
        response = await client.send(request, stream=True, follow_redirects=False)
        try:
            following = response.next_request
            if following is None:
                return await _read_capped(response, max_body)
        finally:
            await response.aclose()
        if secret and origin(following.url) != origin(request.url):
            raise RedirectRefused(origin(request.url), origin(following.url))
        request = following
    raise TooManyRedirects()


async def _read_capped(response: httpx.Response, max_body: int) -> httpx.Response:
    declared = response.headers.get("content-length", "")
    if (
        declared.isdigit()
        and int(declared) > max_body
        and "content-encoding" not in response.headers
    ):
        raise BodyTooLarge(max_body)  # said before a byte is read
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > max_body:
            raise BodyTooLarge(max_body)
        chunks.append(chunk)
    # A response whose body is the bytes read (decoded: the encoding header goes, or
    # httpx would decode them a second time).
    headers = [
        (name, value)
        for name, value in response.headers.multi_items()
        if name.lower() not in ("content-encoding", "content-length", "transfer-encoding")
    ]
    return httpx.Response(
        response.status_code,
        headers=headers,
        content=b"".join(chunks),
        request=response.request,
        extensions=response.extensions,
        history=response.history,
    )


class ProxyRouter(httpx.AsyncBaseTransport):
    """Sends each request directly or through the proxy the policy names for its URL.

    One transport (one connection pool) per proxy in use; all share the TLS context.
    """

    def __init__(self, policy: NetworkPolicy, limits: httpx.Limits) -> None:
        self._policy = policy
        self._limits = limits
        self._tls = policy.tls_context()
        self._direct = closing_on_cancel(
            httpx.AsyncHTTPTransport(verify=self._tls, trust_env=False, limits=limits)
        )
        self._proxied: dict[str, httpx.AsyncHTTPTransport] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        proxy = self._policy.proxy_for(str(request.url))
        if proxy is None:
            return await self._direct.handle_async_request(request)
        transport = self._proxied.get(proxy.url)
        if transport is None:
            try:
                transport = closing_on_cancel(
                    httpx.AsyncHTTPTransport(
                        verify=self._tls, trust_env=False, limits=self._limits, proxy=proxy.url
                    )
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
