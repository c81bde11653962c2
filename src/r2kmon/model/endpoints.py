"""Where each exchange is reached when the config says nothing: its public websocket and
its REST base, written once. The feeds' adapters connect to the websocket address when
built without a url (tests, the benchmark), and the config's ``[exchanges]`` defaults are
built from this table; the providers' addresses are the config's alone
(:data:`r2kmon.config.DEFAULT_PROVIDERS`). Here, in the bottom layer, because both the
feeds and the config read it and importing the adapters would load their decoders."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple


class ExchangeAddresses(NamedTuple):
    """An exchange's own public endpoints."""

    websocket: str
    rest: str


EXCHANGE_ADDRESSES: Mapping[str, ExchangeAddresses] = MappingProxyType(
    {
        "binance": ExchangeAddresses("wss://stream.binance.com:9443", "https://api.binance.com"),
        "coinbase": ExchangeAddresses(
            "wss://ws-feed.exchange.coinbase.com", "https://api.exchange.coinbase.com"
        ),
        "kraken": ExchangeAddresses("wss://ws.kraken.com/v2", "https://api.kraken.com"),
        "okx": ExchangeAddresses("wss://ws.okx.com:8443/ws/v5/public", "https://www.okx.com"),
        "bybit": ExchangeAddresses(
            "wss://stream.bybit.com/v5/public/spot", "https://api.bybit.com"
        ),
    }
)
"""Exchange key (as in ``[crypto] exchanges``) → its default addresses, in the config's order."""
