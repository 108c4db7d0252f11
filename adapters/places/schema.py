"""Places answers checked for shape and turned into domain Restaurants."""

import json
import logging
from typing import TypeVar

import httpx

from domain.errors import SchemaChangeError
from domain.models import Coordinates, Restaurant
from domain.validation import zone_or_none

logger = logging.getLogger(__name__)

_PROVIDER = "google_places"
_SEARCH_KEYS = {"places", "nextPageToken", "searchUri", "contextualContents"}
# Types that say a place serves food but not what food.
_GENERIC_TYPES = {
    "restaurant",
    "food",
    "point_of_interest",
    "establishment",
    "store",
    "meal_takeaway",
    "meal_delivery",
}
_CLOSED = "CLOSED_PERMANENTLY"
T = TypeVar("T")


class _Drift(Exception):
    def __init__(self, where: str, expected: str, found: object) -> None:
        self.where, self.expected, self.found = where, expected, _kind(found)
        super().__init__(
            f"Google Places answer changed shape: expected {where} to be "
            f"{expected}, found {self.found}"
        )


def _kind(value: object) -> str:
    """What a JSON value is, with its keys for an object; never its text."""
    if isinstance(value, dict):
        return f"an object with keys {sorted(str(k) for k in value)[:12]}"
    if isinstance(value, bool) or value is None:
        return "a boolean" if isinstance(value, bool) else "null"
    names = {list: "a list", str: "a string", int: "a number", float: "a number"}

    return names.get(type(value), type(value).__name__)


def decode(response: httpx.Response) -> object:
    """The JSON body, or SchemaChangeError naming what came instead."""
    try:
        return json.loads(response.content)
    except ValueError:
        kind = response.headers.get("Content-Type", "no content type")
        raise _schema_error(_Drift("the body", "JSON", kind)) from None


def read_search(payload: object) -> list[Restaurant]:
    """Restaurants of a Text Search answer; `{}` is Google's "no results"."""
    try:
        if not isinstance(payload, dict):
            raise _Drift("the answer", "an object", payload)
        if "places" not in payload:
            if set(payload) - _SEARCH_KEYS:
                raise _Drift("the answer", "an object with 'places'", payload)
            return []
        places = payload["places"]
        if not isinstance(places, list):
            raise _Drift("places", "a list", places)
        found = [_place(p, f"places[{i}]") for i, p in enumerate(places)]
    except _Drift as drift:
        raise _schema_error(drift) from None

    return [restaurant for restaurant, status in found if status != _CLOSED]


def read_place(payload: object) -> Restaurant:
    """The Restaurant of a Place Details answer."""
    try:
        return _place(payload, "the place")[0]
    except _Drift as drift:
        raise _schema_error(drift) from None


def _schema_error(drift: _Drift) -> SchemaChangeError:
    logger.warning(
        "places.schema_changed",
        extra={
            "provider": _PROVIDER,
            "where": drift.where,
            "expected": drift.expected,
            "found": drift.found,
        },
    )

    return SchemaChangeError(str(drift), provider=_PROVIDER)


def _place(place: object, where: str) -> tuple[Restaurant, str]:
    if not isinstance(place, dict):
        raise _Drift(where, "an object", place)
    place_id = _need(place, "id", str, where)
    display = _need(place, "displayName", dict, where)
    name = _need(display, "text", str, f"{where}.displayName")
    restaurant = Restaurant(
        place_id=place_id,
        name=name,
        address=_get(place, "formattedAddress", str, where) or "",
        location=_location(place, where),
        rating=_number(place, "rating", where),
        rating_count=_get(place, "userRatingCount", int, where) or 0,
        price_level=_get(place, "priceLevel", str, where) or "",
        cuisines=_cuisines(place, where),
        website=_get(place, "websiteUri", str, where) or "",
        phone=_get(place, "internationalPhoneNumber", str, where)
        or _get(place, "nationalPhoneNumber", str, where)
        or "",
        time_zone=_time_zone(place, where),
    )

    return restaurant, _get(place, "businessStatus", str, where) or ""


def _need(parent: dict[str, object], key: str, kind: type[T], where: str) -> T:
    value = _get(parent, key, kind, where)
    if value is None:
        raise _Drift(f"{where}.{key}", f"present (a {kind.__name__})", parent)

    return value


def _get(parent: dict[str, object], key: str, kind: type[T], where: str) -> T | None:
    """The value when present and of the kind; None when absent, as Google omits."""
    if key not in parent:
        return None
    value = parent[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise _Drift(f"{where}.{key}", f"a {kind.__name__}", value)

    return value


def _number(parent: dict[str, object], key: str, where: str) -> float | None:
    value = parent.get(key)
    if value is None and key not in parent:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise _Drift(f"{where}.{key}", "a number", value)

    return float(value)


def _location(place: dict[str, object], where: str) -> Coordinates | None:
    location = _get(place, "location", dict, where)
    if location is None:
        return None
    latitude = _number(location, "latitude", f"{where}.location")
    longitude = _number(location, "longitude", f"{where}.location")
    if latitude is None or longitude is None:
        raise _Drift(f"{where}.location", "a latitude and a longitude", location)

    return Coordinates(latitude, longitude)


def _cuisines(place: dict[str, object], where: str) -> tuple[str, ...]:
    primary = _get(place, "primaryType", str, where)
    types = _get(place, "types", list, where) or []
    names = [primary] if primary else []
    names += [t for t in types if isinstance(t, str)]
    cuisines = []
    for name in names:
        if name in _GENERIC_TYPES:
            continue
        cuisine = name.removesuffix("_restaurant").replace("_", " ")
        if cuisine not in cuisines:
            cuisines.append(cuisine)

    return tuple(cuisines)


def _time_zone(place: dict[str, object], where: str) -> str:
    """Google's IANA zone; from the UTC offset only when Google names none."""
    zone = _get(place, "timeZone", dict, where)
    name = zone.get("id") if zone else None
    if isinstance(name, str) and zone_or_none(name) is not None:
        return name
    offset = _get(place, "utcOffsetMinutes", int, where)

    return "" if offset is None else _fixed_zone(offset)


def _fixed_zone(offset_minutes: int) -> str:
    # A fixed offset knows no daylight saving: a last resort, whole hours only.
    hours, minutes = divmod(abs(offset_minutes), 60)
    if minutes:
        return ""
    # The Etc/ names invert the sign: Etc/GMT+5 is five hours behind UTC.
    sign = "-" if offset_minutes > 0 else "+"
    name = f"Etc/GMT{sign}{hours}" if hours else "Etc/UTC"

    return name if zone_or_none(name) is not None else ""
