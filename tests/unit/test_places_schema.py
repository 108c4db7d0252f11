"""Places answers to Restaurants: the fields, the time zone, and drifted shapes."""

import pytest

from adapters.places.schema import read_place, read_search
from domain.errors import SchemaChangeError
from domain.models import Coordinates


def _place(**changes: object) -> dict[str, object]:
    place: dict[str, object] = {
        "id": "ChIJsample",
        "displayName": {"text": "Example Bistro", "languageCode": "en"},
        "formattedAddress": "1 Example St, New York, NY 10001, USA",
        "location": {"latitude": 40.75, "longitude": -73.99},
        "rating": 4.5,
        "userRatingCount": 812,
        "priceLevel": "PRICE_LEVEL_MODERATE",
        "primaryType": "italian_restaurant",
        "types": ["italian_restaurant", "pizza_restaurant", "restaurant", "food"],
        "websiteUri": "https://example.invalid/",
        "nationalPhoneNumber": "(212) 555-0100",
        "internationalPhoneNumber": "+1 212-555-0100",
        "timeZone": {"id": "America/New_York"},
        "utcOffsetMinutes": -300,
        "businessStatus": "OPERATIONAL",
    }
    place.update(changes)

    return {k: v for k, v in place.items() if v is not None}


def test_a_place_maps_to_a_restaurant() -> None:
    restaurant = read_place(_place())

    assert restaurant.place_id == "ChIJsample"
    assert restaurant.name == "Example Bistro"
    assert restaurant.address.startswith("1 Example St")
    assert restaurant.location == Coordinates(40.75, -73.99)
    assert (restaurant.rating, restaurant.rating_count) == (4.5, 812)
    assert restaurant.price_level == "PRICE_LEVEL_MODERATE"
    assert restaurant.cuisines == ("italian", "pizza")
    assert restaurant.website == "https://example.invalid/"
    assert restaurant.phone == "+1 212-555-0100"
    assert restaurant.time_zone == "America/New_York"


def test_absent_fields_are_omitted_not_errors() -> None:
    bare = {"id": "x1", "displayName": {"text": "Bare"}}

    restaurant = read_place(bare)

    assert (restaurant.rating, restaurant.location, restaurant.time_zone) == (
        None,
        None,
        "",
    )
    assert restaurant.cuisines == () and restaurant.phone == ""


def test_the_national_number_stands_in_for_a_missing_international_one() -> None:
    assert read_place(_place(internationalPhoneNumber=None)).phone == "(212) 555-0100"


@pytest.mark.parametrize(
    ("zone", "offset", "expected"),
    [
        ({"id": "Europe/London"}, 0, "Europe/London"),
        (None, -300, "Etc/GMT+5"),
        (None, 540, "Etc/GMT-9"),
        (None, 0, "Etc/UTC"),
        ({"id": "Not/AZone"}, 60, "Etc/GMT-1"),
        (None, 330, ""),
        (None, None, ""),
    ],
)
def test_the_time_zone_is_googles_id_and_the_offset_only_a_last_resort(
    zone, offset, expected
) -> None:
    place = _place(timeZone=zone, utcOffsetMinutes=offset)

    assert read_place(place).time_zone == expected


def test_an_empty_search_answer_is_no_results() -> None:
    assert read_search({}) == []
    assert read_search({"places": []}) == []


def test_permanently_closed_places_are_left_out_of_a_search() -> None:
    closed = _place(id="gone", businessStatus="CLOSED_PERMANENTLY")

    found = read_search({"places": [_place(), closed], "nextPageToken": "t"})

    assert [r.place_id for r in found] == ["ChIJsample"]


@pytest.mark.parametrize(
    ("payload", "where"),
    [
        ([], "the answer"),
        ({"results": [_place()]}, "the answer"),
        ({"places": {}}, "places"),
        ({"places": ["x"]}, "places[0]"),
        ({"places": [_place(id=None)]}, "places[0].id"),
        ({"places": [_place(displayName="Example Bistro")]}, "places[0].displayName"),
        ({"places": [_place(rating="4.5")]}, "places[0].rating"),
        ({"places": [_place(location={"lat": 1})]}, "places[0].location"),
        ({"places": [_place(types="restaurant")]}, "places[0].types"),
    ],
)
def test_a_drifted_shape_is_a_schema_change(payload, where: str, caplog) -> None:
    with pytest.raises(SchemaChangeError) as caught:
        read_search(payload)

    assert f"expected {where}" in caught.value.message
    assert "Example Bistro" not in caught.value.message
    assert any(r.msg == "places.schema_changed" for r in caplog.records)
