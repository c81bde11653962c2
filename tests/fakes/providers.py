"""Every HTTP provider and exchange REST API on one fake server, on their real paths.

The derived configuration (:func:`tests.fakes.tls.derived_endpoints`) points every
``https://`` default at one :class:`~tests.fakes.http.FakeHTTP`; the providers' real paths
do not collide (``/v8/finance/chart/…`` is Yahoo, ``/api/v3/klines`` Binance,
``/api/v3/global`` CoinGecko, …), so the paths the app asks for are exactly the ones it
would ask the real hosts for.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote

from tests.fakes.http import FakeHTTP, Reply
from tests.paths import HTTP_FIXTURES, REPO

LOCAL = REPO / "tests" / "sources" / "fixtures"
MARKETS = ("^RUT", "IWM", "SPY", "^VIX")


def chart_path(symbol: str) -> str:
    """Yahoo's chart path for ``symbol``, as the client quotes it."""
    return f"/v8/finance/chart/{quote(symbol, safe='')}"


def script_providers(http: FakeHTTP, markets: Sequence[str] = MARKETS) -> None:
    """Recorded answers for every provider the default config polls (the AAPL and ^TNX
    recordings stand in for the index charts: the wire format is what matters here)."""
    for symbol in markets:
        http.script(
            chart_path(symbol) + "?interval=1d",
            Reply.file(HTTP_FIXTURES / "yahoo_chart" / "aapl_1d_period_with_events.json"),
        )
        http.script(
            chart_path(symbol) + "?interval=1m",
            Reply.file(HTTP_FIXTURES / "yahoo_chart" / "tnx_5m_range1d_index.json"),
        )
    for series_id, name in [
        ("WALCL", "WALCL_fredgraph_2023-12-27_2024-01-10.csv"),
        ("WTREGEN", "WTREGEN_fredgraph_2023-12-27_2024-01-10.csv"),
        ("RRPONTSYD", "RRPONTSYD_fredgraph_2023-12-29_2024-01-04_holiday_gap.csv"),
    ]:
        http.script(
            f"/graph/fredgraph.csv?id={series_id}", Reply.file(HTTP_FIXTURES / "fred" / name)
        )
    http.script(
        "/api/v3/global",
        Reply.file(HTTP_FIXTURES / "coingecko" / "global_docs_example_2024-04-07.json"),
    )
    http.script(
        "/api/v3/coins/markets",
        Reply.file(HTTP_FIXTURES / "coingecko" / "coins_markets_docs_example_2024-04-07.json"),
    )
    http.script("/fng/", Reply.file(LOCAL / "alternative_me" / "fng_limit2_2026-04-27.json"))
    http.script(
        "/api/v3/klines", Reply.file(HTTP_FIXTURES / "binance" / "klines_docs_example.json")
    )
    # Twelve Data is asked only when its key is set; IWM (and SPY) on its one path.
    http.script(
        "/time_series",
        Reply.file(HTTP_FIXTURES / "twelvedata" / "time_series_TSLA_1day_2rows_2025-09-23.json"),
    )
