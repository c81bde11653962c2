"""FRED fredgraph.csv parsing against every file in ``shared/fixtures/http/fred``."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import cast

import httpx
import pytest

from r2kmon.model import Bar, ContextValue
from r2kmon.sources.base import BadBody, UnknownSymbol
from r2kmon.sources.fred import FredGraphEndpoint, Series, parse_fredgraph, parse_fredgraph_text
from tests.sources.src_helpers import canned, shared

CSV = "application/csv"


def day(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp()


def dates(series: Series) -> list[float]:
    return [o.as_of for o in series.observations]


def values(series: Series) -> dict[float, float | None]:
    """Date → value (``None``: the observation is missing)."""
    return dict(series.observations)


def test_request() -> None:
    request = FredGraphEndpoint("WALCL", "http://127.0.0.1:9", date(2024, 1, 1)).request()
    assert str(request.url) == "http://127.0.0.1:9/graph/fredgraph.csv?id=WALCL&cosd=2024-01-01"


def test_walcl_millions_become_billions() -> None:
    series = parse_fredgraph(
        canned(shared("fred", "WALCL_fredgraph_2023-12-27_2024-01-10.csv"), content_type=CSV),
        "WALCL",
    )
    assert series.unit == "USD bn"
    assert dates(series) == [day("2023-12-27"), day("2024-01-03"), day("2024-01-10")]
    assert list(values(series).values()) == pytest.approx([7712.781, 7681.024, 7686.710])
    # cast: pytest.approx is typed ApproxBase but stands for the float it compares equal to.
    assert series.context() == ContextValue(
        "fed_total_assets", cast("float", pytest.approx(7686.710)), "USD bn", "fred", 1704844800.0
    )


def test_wtregen_is_millions_too() -> None:
    series = parse_fredgraph(
        canned(shared("fred", "WTREGEN_fredgraph_2023-12-27_2024-01-10.csv"), content_type=CSV),
        "WTREGEN",
    )
    assert list(values(series).values()) == pytest.approx([731.405, 758.448, 747.565])
    context = series.context()
    assert context is not None
    assert context.name == "treasury_general_account"
    assert context.unit == "USD bn"


def test_rrp_billions_with_holiday_gap() -> None:
    path = shared("fred", "RRPONTSYD_fredgraph_2023-12-29_2024-01-04_holiday_gap.csv")
    series = parse_fredgraph(canned(path, content_type=CSV), "RRPONTSYD")
    rrp = values(series)
    assert len(rrp) == 5
    assert rrp[day("2023-12-29")] == pytest.approx(1018.483)
    assert rrp[day("2024-01-01")] is None
    assert rrp[day("2024-01-03")] == pytest.approx(719.897)
    assert series.latest() == (1704326400.0, cast("float", pytest.approx(664.899)))
    # Bars leave the holiday out rather than inventing a value.
    assert [bar.start for bar in series.bars()] == [
        1703808000.0,
        1704153600.0,
        1704240000.0,
        1704326400.0,
    ]


def test_net_liquidity_worked_value_from_the_fixtures() -> None:
    walcl = values(
        parse_fredgraph_text(
            shared("fred", "WALCL_fredgraph_2023-12-27_2024-01-10.csv").read_text(), "WALCL"
        )
    )
    tga = values(
        parse_fredgraph_text(
            shared("fred", "WTREGEN_fredgraph_2023-12-27_2024-01-10.csv").read_text(), "WTREGEN"
        )
    )
    rrp = values(
        parse_fredgraph_text(
            shared("fred", "RRPONTSYD_fredgraph_2023-12-29_2024-01-04_holiday_gap.csv").read_text(),
            "RRPONTSYD",
        )
    )
    when = day("2024-01-03")
    # README worked value: 7681.024 - 758.448 - 719.897 = 6202.679 ($bn).
    assert cast(float, walcl[when]) - cast(float, tga[when]) - cast(float, rrp[when]) == (
        pytest.approx(6202.679)
    )


def test_walcl_long_recording() -> None:
    series = parse_fredgraph_text(
        shared("fred", "WALCL_fredgraph_2025-06_2026-07.csv").read_text(), "WALCL"
    )
    assert len(series.observations) == 58
    assert series.observations[0].as_of == day("2025-06-11")
    assert series.observations[0].value == pytest.approx(6677.155)
    assert series.observations[-1].as_of == day("2026-07-15")
    assert series.observations[-1].value == pytest.approx(6743.028)


def test_legacy_date_header_and_dot_missing() -> None:
    text = "DATE,VIXCLS\n2024-01-01,.\n2024-01-02,13.20\n"
    series = parse_fredgraph_text(text, "VIXCLS")
    assert series.observations[0].value is None
    assert series.observations[1].value == pytest.approx(13.20)
    assert series.unit == "index"
    assert series.bars() == [Bar(1704153600.0, 13.2, 13.2, 13.2, 13.2)]


def test_multi_series_file_picks_the_named_column() -> None:
    text = shared("fred", "DGS_multi_series_fredgraph_2000-01_holiday_rows.csv").read_text()
    series = parse_fredgraph_text(text, "DGS10")
    dgs10 = values(series)
    assert len(dgs10) == 15
    assert dgs10[day("2000-01-03")] == pytest.approx(6.58)
    assert dgs10[day("2000-01-17")] is None  # the all-empty holiday row
    assert dgs10[day("2000-01-21")] == pytest.approx(6.79)
    assert series.unit == "%"
    # DGS1MO is entirely empty in this file.
    assert parse_fredgraph_text(text, "DGS1MO").latest() is None


def test_multi_series_monthly_tail() -> None:
    text = shared("fred", "FEDFUNDS_MORTGAGE30US_multi_series_fredgraph_tail.csv").read_text()
    fedfunds = values(parse_fredgraph_text(text, "FEDFUNDS"))
    mortgage = values(parse_fredgraph_text(text, "MORTGAGE30US"))
    assert len(fedfunds) == 11
    assert fedfunds[day("2025-11-01")] == pytest.approx(3.88)
    assert mortgage[day("2025-01-01")] == pytest.approx(6.96)


def test_m2_illustrative() -> None:
    series = parse_fredgraph_text(
        shared("fred", "ILLUSTRATIVE_M2SL_fredgraph_2022-2023.csv").read_text(), "M2SL"
    )
    assert len(series.observations) == 22
    assert series.observations[7].value == pytest.approx(21660.0)
    assert series.unit == "USD bn"


@pytest.mark.parametrize(
    "name",
    [
        "ILLUSTRATIVE_api_error_400_series_does_not_exist.json",
        "ILLUSTRATIVE_api_error_400_api_key_not_set.json",
    ],
)
def test_api_error_bodies_are_rejected(name: str) -> None:
    # These are answers of the keyed JSON API; served where a fredgraph CSV is expected
    # with HTTP 400 they must read as "unknown series", and with 200 as a bad body.
    with pytest.raises(UnknownSymbol):
        parse_fredgraph(canned(shared("fred", name), 400), "NOPE")
    with pytest.raises(BadBody, match="not a fredgraph CSV"):
        parse_fredgraph(canned(shared("fred", name), 200), "NOPE")


@pytest.mark.parametrize(
    "name",
    [
        "ILLUSTRATIVE_api_series_observations_WALCL.json",
        "ILLUSTRATIVE_api_series_observations_RRPONTSYD_missing_dot.json",
    ],
)
def test_api_json_is_not_mistaken_for_csv(name: str) -> None:
    with pytest.raises(BadBody):
        parse_fredgraph(canned(shared("fred", name)), "WALCL")


def test_html_with_200_is_rejected() -> None:
    response = httpx.Response(200, content=b"<!DOCTYPE html><html>maintenance</html>")
    with pytest.raises(BadBody, match="HTML"):
        parse_fredgraph(response, "WALCL")


def test_bad_value_is_rejected() -> None:
    with pytest.raises(BadBody, match="bad value"):
        parse_fredgraph_text("observation_date,WALCL\n2024-01-03,12x\n", "WALCL")
