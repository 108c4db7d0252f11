"""Checks on a caller's request, before anything is asked of an upstream."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.errors import FieldViolation, InvalidRequestError
from domain.models import AvailabilityQuery, RestaurantRef

MIN_PARTY = 1
MAX_PARTY = 20


def zone_or_none(name: str) -> ZoneInfo | None:
    if not name or name != name.strip() or name.startswith("/"):
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def parse_query(
    restaurant: RestaurantRef,
    day_text: str,
    party_size: int,
    preferred_time_text: str,
    now: datetime,
    prefix: str = "",
) -> AvailabilityQuery:
    """Turn raw request fields into a query, or raise with every violation."""
    violations: list[FieldViolation] = []

    def bad(name: str, description: str) -> None:
        violations.append(FieldViolation(prefix + name, description))

    zone = zone_or_none(restaurant.time_zone)
    if not restaurant.name.strip():
        bad("restaurant.name", "is required")
    if zone is None:
        bad(
            "restaurant.time_zone",
            f"must be an IANA time zone such as America/New_York, "
            f"got {restaurant.time_zone!r}",
        )
    if not (restaurant.resy_venue_id or restaurant.opentable_slug):
        bad(
            "restaurant",
            "names no platform to ask: set resy_venue_id or opentable_slug",
        )
    if restaurant.resy_venue_id and not restaurant.resy_venue_id.isdigit():
        bad("restaurant.resy_venue_id", "must be Resy's numeric venue id")
    if not MIN_PARTY <= party_size <= MAX_PARTY:
        bad("party_size", f"must be from {MIN_PARTY} to {MAX_PARTY}, got {party_size}")

    day = _parse_day(day_text)
    if day is None:
        bad("date", f"must be a date as YYYY-MM-DD, got {day_text!r}")
    elif zone is not None and day < now.astimezone(zone).date():
        bad("date", f"{day.isoformat()} is in the past at the restaurant")

    at = None
    if preferred_time_text:
        at = _parse_time(preferred_time_text)
        if at is None:
            bad("preferred_time", f"must be HH:MM, got {preferred_time_text!r}")

    if violations:
        raise InvalidRequestError(violations)
    assert day is not None  # every path that leaves it None added a violation

    return AvailabilityQuery(restaurant, day, party_size, at)


def _parse_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        return None


def _parse_time(text: str) -> time | None:
    try:
        return time.fromisoformat(text) if len(text) in (5, 8) else None
    except ValueError:
        return None


def check_search(
    text: str,
    bias: tuple[float, float] | None,
    radius_m: float,
    limit: int,
) -> list[FieldViolation]:
    """Violations of a restaurant search request (empty when it is valid)."""
    found: list[FieldViolation] = []
    if not text.strip():
        found.append(FieldViolation("query", "is required"))
    elif len(text) > 200:
        found.append(FieldViolation("query", "must be at most 200 characters"))
    if not 1 <= limit <= 20:
        found.append(FieldViolation("limit", f"must be from 1 to 20, got {limit}"))
    if not 1 <= radius_m <= 50_000:
        found.append(
            FieldViolation("radius_meters", f"must be 1 to 50000, got {radius_m:g}")
        )
    if bias is not None:
        found.extend(check_coordinates(*bias, prefix="location_bias."))

    return found


def check_coordinates(
    latitude: float, longitude: float, prefix: str = ""
) -> list[FieldViolation]:
    found = []
    if not -90 <= latitude <= 90:
        found.append(
            FieldViolation(prefix + "latitude", f"must be -90 to 90, got {latitude:g}")
        )
    if not -180 <= longitude <= 180:
        found.append(
            FieldViolation(
                prefix + "longitude", f"must be -180 to 180, got {longitude:g}"
            )
        )
    return found
