"""How r2kmon reaches the network: one TLS and proxy policy, and failures told in words.

Used by every connection the app opens — the exchange websockets (:mod:`r2kmon.feeds`),
the REST backfill and the HTTP poller (:mod:`r2kmon.sources`) — and by ``r2kmon doctor``,
so all of them trust the same certificates, go through the same proxy and describe the
same failure the same way. The runtime builds one :class:`NetworkPolicy` from the
config's ``[network]`` table and hands it down.

* :mod:`r2kmon.net.policy`: certificates (always verified) and proxies.
* :mod:`r2kmon.net.failure`: an exception from a connection attempt → a sentence and a
  short class (``DNS failure``, ``connection refused``, ...); :func:`is_reset`, a
  connection the other end cut (``connection reset by the server``).
* :mod:`r2kmon.net.http`: the one ``httpx.AsyncClient`` factory (imports httpx; the
  websocket-only code never loads it).
"""

from r2kmon.net.failure import RESET_BY_SERVER, Failure, describe_failure, is_reset
from r2kmon.net.policy import NetworkPolicy

__all__ = ["RESET_BY_SERVER", "Failure", "NetworkPolicy", "describe_failure", "is_reset"]
