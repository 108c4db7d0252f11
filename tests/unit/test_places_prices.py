"""Places prices: exact integer micro-dollars per call, and only 2xx answers cost."""

from decimal import Decimal

import httpx
import pytest

from adapters.metering import MeteredTransport
from adapters.places.cost import places_cost, places_operation
from adapters.places.masks import DETAILS_MASK, SEARCH_MASK
from adapters.places.prices import (
    PLACES_PRICES,
    PRICE_TABLE_SOURCE,
    PRICE_TABLE_VERSION,
    SkuPrice,
    micros_per_call,
)
from tests.fakes import FakeClock, FakeLedger

BASE = "https://places.invalid"
KEY = "AIzaTestKeyThatMustNeverBeStored000000000"


@pytest.mark.parametrize(
    ("sku", "micros", "free"),
    [
        ("places.text_search.ids_only", 0, None),
        ("places.text_search.pro", 32_000, 5_000),
        ("places.text_search.enterprise", 35_000, 1_000),
        ("places.text_search.enterprise_atmosphere", 40_000, 1_000),
        ("places.place_details.ids_only", 0, None),
        ("places.place_details.essentials", 5_000, 10_000),
        ("places.place_details.pro", 17_000, 5_000),
        ("places.place_details.enterprise", 20_000, 1_000),
        ("places.place_details.enterprise_atmosphere", 25_000, 1_000),
    ],
)
def test_each_sku_costs_an_exact_number_of_micro_dollars(sku, micros, free) -> None:
    assert micros_per_call(sku) == micros
    assert isinstance(micros_per_call(sku), int)
    assert PLACES_PRICES[sku].free_per_month == free


def test_prices_are_decimal_strings_in_a_versioned_table_with_a_source() -> None:
    assert PRICE_TABLE_VERSION == "2025-03-01"
    assert "UPSTREAMS.md" in PRICE_TABLE_SOURCE
    for price in PLACES_PRICES.values():
        assert isinstance(price.usd_per_1000, str)
        assert Decimal(price.usd_per_1000) >= 0


def test_an_unknown_or_fractional_sku_is_refused(monkeypatch) -> None:
    with pytest.raises(ValueError, match="no price"):
        micros_per_call("places.nearby.pro")
    odd = {"odd": SkuPrice("0.0001", None)}  # a tenth of a micro-dollar a call
    monkeypatch.setattr("adapters.places.prices.PLACES_PRICES", odd)

    with pytest.raises(ValueError, match="fraction"):
        micros_per_call("odd")


def _search(mask: str | None = SEARCH_MASK.header) -> httpx.Request:
    headers = {"X-Goog-Api-Key": KEY} | ({"X-Goog-FieldMask": mask} if mask else {})
    return httpx.Request("POST", BASE + "/v1/places:searchText", headers=headers)


def _details(mask: str = DETAILS_MASK.header) -> httpx.Request:
    headers = {"X-Goog-Api-Key": KEY, "X-Goog-FieldMask": mask}
    return httpx.Request("GET", BASE + "/v1/places/abc123", headers=headers)


def test_a_successful_call_costs_its_masks_sku() -> None:
    assert places_cost(_search(), httpx.Response(200)) == (SEARCH_MASK.sku, 35_000)
    assert places_cost(_details(), httpx.Response(200)) == (DETAILS_MASK.sku, 20_000)
    wildcard = places_cost(_search("*"), httpx.Response(200))
    assert wildcard == ("places.text_search.enterprise_atmosphere", 40_000)


@pytest.mark.parametrize("status", [400, 403, 404, 429, 500, 503])
def test_a_failed_call_costs_nothing_but_names_its_sku(status: int) -> None:
    assert places_cost(_search(), httpx.Response(status)) == (SEARCH_MASK.sku, 0)


def test_no_answer_or_no_mask_costs_nothing() -> None:
    assert places_cost(_details(), None) == (DETAILS_MASK.sku, 0)
    assert places_cost(_search(mask=None), httpx.Response(400)) == ("", 0)
    other = httpx.Request("GET", BASE + "/v1/other")
    assert places_cost(other, httpx.Response(200)) == ("", 0)


def test_operations_are_named_for_the_ledger() -> None:
    assert places_operation(_search()) == "places.search"
    assert places_operation(_details()) == "places.details"


async def test_metered_places_calls_write_their_sku_and_cost_and_no_key() -> None:
    ledger = FakeLedger()
    statuses = iter([200, 429])
    transport = MeteredTransport(
        provider="google_places",
        ledger=ledger,
        clock=FakeClock(),
        operation_of=places_operation,
        cost_of=places_cost,
        inner=httpx.MockTransport(lambda request: httpx.Response(next(statuses))),
    )
    async with httpx.AsyncClient(transport=transport) as client:
        for _ in range(2):
            await client.send(_search())

    assert [(r.sku, r.cost_micros, r.outcome) for r in ledger.rows] == [
        (SEARCH_MASK.sku, 35_000, "ok"),
        (SEARCH_MASK.sku, 0, "http_429"),
    ]
    assert KEY not in repr(ledger.rows)
