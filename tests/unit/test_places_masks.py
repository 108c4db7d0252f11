"""Field masks: each constant's stated SKU is the one its fields bill at."""

import pytest

from adapters.places.masks import (
    DETAILS_MASK,
    SEARCH_MASK,
    FieldMask,
    Operation,
    Tier,
    field_tier,
    implied_sku,
    sku_name,
    sku_of_header,
)
from adapters.places.prices import PLACES_PRICES

SEARCH, DETAILS = Operation.TEXT_SEARCH, Operation.PLACE_DETAILS


def test_the_mask_constants_state_the_sku_their_fields_bill_at() -> None:
    assert SEARCH_MASK.sku == "places.text_search.enterprise"
    assert DETAILS_MASK.sku == "places.place_details.enterprise"
    assert implied_sku(SEARCH, SEARCH_MASK.paths) == SEARCH_MASK.sku
    assert implied_sku(DETAILS, DETAILS_MASK.paths) == DETAILS_MASK.sku


def test_search_paths_carry_the_places_prefix_and_details_paths_do_not() -> None:
    assert all(p.startswith("places.") for p in SEARCH_MASK.paths)
    assert not any(p.startswith("places.") for p in DETAILS_MASK.paths)


@pytest.mark.parametrize("mask", [SEARCH_MASK, DETAILS_MASK])
def test_a_mask_header_is_explicit_comma_separated_and_never_a_wildcard(mask) -> None:
    header = mask.header

    assert header and "*" not in header and " " not in header
    assert header.split(",") == list(mask.paths)


def test_the_masks_ask_for_the_time_zone_and_no_atmosphere_field() -> None:
    assert "timeZone" in DETAILS_MASK.paths
    assert "places.timeZone" in SEARCH_MASK.paths
    for path in DETAILS_MASK.paths:
        assert field_tier(DETAILS, path) < Tier.ENTERPRISE_ATMOSPHERE


@pytest.mark.parametrize(
    ("operation", "path", "tier"),
    [
        (SEARCH, "places.id", Tier.IDS_ONLY),
        (SEARCH, "nextPageToken", Tier.IDS_ONLY),
        (SEARCH, "places.formattedAddress", Tier.PRO),
        (SEARCH, "places.location", Tier.PRO),
        (SEARCH, "places.photos", Tier.PRO),
        (SEARCH, "places.displayName.text", Tier.PRO),
        (SEARCH, "places.rating", Tier.ENTERPRISE),
        (SEARCH, "places.websiteUri", Tier.ENTERPRISE),
        (SEARCH, "places.reservable", Tier.ENTERPRISE_ATMOSPHERE),
        (SEARCH, "places.routingSummaries", Tier.ENTERPRISE_ATMOSPHERE),
        (DETAILS, "photos", Tier.IDS_ONLY),
        (DETAILS, "formattedAddress", Tier.ESSENTIALS),
        (DETAILS, "types", Tier.ESSENTIALS),
        (DETAILS, "displayName", Tier.PRO),
        (DETAILS, "timeZone", Tier.PRO),
        (DETAILS, "priceLevel", Tier.ENTERPRISE),
        (DETAILS, "servesDinner", Tier.ENTERPRISE_ATMOSPHERE),
    ],
)
def test_each_field_bills_at_its_tier(operation, path: str, tier: Tier) -> None:
    assert field_tier(operation, path) is tier


@pytest.mark.parametrize(
    ("operation", "header", "sku"),
    [
        (SEARCH, "places.id,places.name", "places.text_search.ids_only"),
        (SEARCH, "places.id,places.formattedAddress", "places.text_search.pro"),
        (SEARCH, "places.id,places.rating", "places.text_search.enterprise"),
        (
            SEARCH,
            "places.id,places.rating,places.reviews",
            "places.text_search.enterprise_atmosphere",
        ),
        (SEARCH, "*", "places.text_search.enterprise_atmosphere"),
        (DETAILS, "id,photos", "places.place_details.ids_only"),
        (DETAILS, "id,location", "places.place_details.essentials"),
        (DETAILS, "location, displayName", "places.place_details.pro"),
        (DETAILS, "*", "places.place_details.enterprise_atmosphere"),
    ],
)
def test_a_call_bills_at_the_highest_tier_of_its_mask(operation, header, sku):
    assert sku_of_header(operation, header) == sku


@pytest.mark.parametrize(
    ("operation", "paths", "sku", "message"),
    [
        (SEARCH, ("places.id",), "places.text_search.pro", "bill at"),
        (SEARCH, ("*",), "places.text_search.enterprise_atmosphere", "never"),
        (SEARCH, ("displayName",), "places.text_search.pro", "prefix"),
        (DETAILS, ("places.id",), "places.place_details.ids_only", "not a"),
        (DETAILS, ("colour",), "places.place_details.pro", "not a"),
        (DETAILS, (), "places.place_details.pro", "at least one"),
    ],
)
def test_a_mask_that_misstates_its_sku_or_its_fields_is_refused(
    operation, paths, sku, message
) -> None:
    with pytest.raises(ValueError, match=message):
        FieldMask(operation, paths, sku)


def test_every_sku_a_mask_can_imply_has_a_price() -> None:
    tiers = {
        SEARCH: [t for t in Tier if t is not Tier.ESSENTIALS],
        DETAILS: list(Tier),
    }
    skus = {sku_name(op, tier) for op, listed in tiers.items() for tier in listed}

    assert skus == set(PLACES_PRICES)
