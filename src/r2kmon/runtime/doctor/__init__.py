"""``r2kmon doctor``: every endpoint the config enables, checked the way the app uses it.

Used by the CLI (``r2kmon doctor [--json] [--timeout S]``): the first command to run on a
real network, and the output to paste into a bug report. Headless (no Textual).

What is checked, all endpoints at once:

* each exchange of ``[crypto] exchanges`` that is enabled, as the feeds stream it: the
  adapter built from the feeds' own settings (:func:`~r2kmon.feeds.failover.feed_settings`,
  :class:`~r2kmon.feeds.connection.FeedConnection`), its ``connect_url()``, the websocket
  opened with the policy's TLS context and proxy, the adapter's ``subscribe_messages()``
  for every configured symbol, frames read through its ``parse()`` until one gives a price;
* the exchange's REST candles where the app takes the pairs' history from it (Binance,
  Coinbase, Kraken): the first page of the poller's own candles request
  (:mod:`r2kmon.sources.exchange_candles`) for a few daily candles of the first symbol;
* each enabled provider: one request of a kind the poller makes (Yahoo's chart of the
  first market symbol, FRED's graph CSV of the first series, CoinGecko's and
  CoinPaprika's ``/global``, alternative.me's ``/fng/``, the iShares holdings file), built
  by the provider's :class:`~r2kmon.sources.base.Endpoint`, sent through
  :func:`r2kmon.net.http.http_client` and read by the provider's own parser: "works"
  means "gave data".

Beside the real client a probe opens a connection of its own to tell the steps apart:
DNS (the addresses), TCP connect (its time is the round-trip time shown), TLS handshake
with the same :class:`~r2kmon.net.NetworkPolicy` context (protocol, certificate, issuer,
expiry). Through a proxy, DNS and TCP are the proxy's and TLS is left to the real client.
The verdict comes from the real client only; the probe can only name where a client's
timeout was spent. Clock skew is the server's ``Date`` header (websocket handshake or
HTTP answer) against this machine's clock, to the second.

Time is bounded: each phase (connecting and the handshake or request; then the first
price) has ``timeout`` seconds, so the whole run ends within about twice that.

The parts: :mod:`.plan` (which checks the config implies), :mod:`.probe` (DNS, TCP, TLS
on a connection of its own), :mod:`.clients` (the real websocket and HTTP clients),
:mod:`.advice` (the fix, in words), :mod:`.report` (text and JSON; the JSON keys are
listed there), :mod:`.run` (all at once, and the command), :mod:`.check` (what is found).
"""

from __future__ import annotations

from r2kmon.runtime.doctor.advice import fix_for
from r2kmon.runtime.doctor.check import (
    DEFAULT_TIMEOUT,
    DOCUMENT_VERSION,
    Certificate,
    Check,
    Report,
    Step,
)
from r2kmon.runtime.doctor.plan import Target, plan
from r2kmon.runtime.doctor.report import document, render
from r2kmon.runtime.doctor.run import run_command, run_doctor

__all__ = [
    "DEFAULT_TIMEOUT",
    "DOCUMENT_VERSION",
    "Certificate",
    "Check",
    "Report",
    "Step",
    "Target",
    "document",
    "fix_for",
    "plan",
    "render",
    "run_command",
    "run_doctor",
]
