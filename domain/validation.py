"""Checks on a caller's request, before anything is asked of an upstream."""

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from domain.errors import FieldViolation, InvalidRequestError
from domain.models import AvailabilityQuery, Guest, Platform, RestaurantRef
from domain.tokens import SlotFacts, read_token

Complain = Callable[[str, str], None]

MIN_PARTY = 1
MAX_PARTY = 20


# Names in the zone database that are not places: no restaurant is in them.
_NOT_PLACES = frozenset({"Factory", "localtime", "posixrules"})


@functools.cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones()) - _NOT_PLACES


def zone_or_none(name: str) -> ZoneInfo | None:
    """The IANA zone `name` names, or None for anything else."""
    if name not in _zone_names():
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def shown(value: str, limit: int = 40) -> str:
    """A caller's value quoted in a message, cut short so errors stay small."""
    if len(value) <= limit:
        return repr(value)
    return repr(value[:limit]) + f"... ({len(value)} characters)"


LIMITS = {
    "restaurant.name": 200,
    "restaurant.resy_venue_id": 12,
    "restaurant.resy_url_slug": 120,
    "restaurant.resy_city": 80,
    "restaurant.opentable_slug": 120,
    "restaurant.website": 2000,
    "restaurant.address": 300,
}


def restaurant_violations(restaurant: RestaurantRef) -> list[FieldViolation]:
    """Length and character limits of every field of a restaurant reference."""
    found = []
    values = {
        "restaurant.name": restaurant.name,
        "restaurant.resy_venue_id": restaurant.resy_venue_id,
        "restaurant.resy_url_slug": restaurant.resy_url_slug,
        "restaurant.resy_city": restaurant.resy_city,
        "restaurant.opentable_slug": restaurant.opentable_slug,
        "restaurant.website": restaurant.website,
        "restaurant.address": restaurant.address,
    }
    for field, value in values.items():
        if len(value) > LIMITS[field]:
            found.append(
                FieldViolation(field, f"must be at most {LIMITS[field]} characters")
            )
        elif not value.isprintable():
            found.append(FieldViolation(field, "must not hold control characters"))
    venue = restaurant.resy_venue_id
    if venue and not (venue.isascii() and venue.isdigit()):
        found.append(
            FieldViolation(
                "restaurant.resy_venue_id", "must be Resy's numeric venue id"
            )
        )
    return found


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
            f"got {shown(restaurant.time_zone)}",
        )
    if not (restaurant.resy_venue_id or restaurant.opentable_slug):
        bad(
            "restaurant",
            "names no platform to ask: set resy_venue_id or opentable_slug",
        )
    for violation in restaurant_violations(restaurant):
        bad(violation.field, violation.description)
    if not MIN_PARTY <= party_size <= MAX_PARTY:
        bad("party_size", f"must be from {MIN_PARTY} to {MAX_PARTY}, got {party_size}")

    day = _parse_day(day_text)
    if day is None:
        bad("date", f"must be a date as YYYY-MM-DD, got {shown(day_text)}")
    elif zone is not None and day < now.astimezone(zone).date():
        bad("date", f"{day.isoformat()} is in the past at the restaurant")

    at = None
    if preferred_time_text:
        at = _parse_time(preferred_time_text)
        if at is None:
            bad("preferred_time", f"must be HH:MM, got {shown(preferred_time_text)}")

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
        return time.fromisoformat(text) if len(text) == 5 else None
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


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"\+?[0-9 ()\-.]{7,20}")


@dataclass(frozen=True, slots=True)
class BookingInput:
    restaurant: RestaurantRef
    party_size: int
    guest: Guest
    idempotency_key: str
    slot_token: str = ""
    day: date | None = None
    at: time | None = None


def parse_booking(
    raw: BookingInput, day_text: str, time_text: str, now: datetime
) -> BookingInput:
    """Check a booking request; raise with every violation, book nothing."""
    violations: list[FieldViolation] = []

    def bad(name: str, description: str) -> None:
        violations.append(FieldViolation(name, description))

    restaurant = raw.restaurant
    zone = zone_or_none(restaurant.time_zone)
    if not restaurant.name.strip():
        bad("restaurant.name", "is required")
    if zone is None:
        bad(
            "restaurant.time_zone",
            f"must be an IANA time zone, got {shown(restaurant.time_zone)}",
        )
    if not (restaurant.resy_venue_id or restaurant.opentable_slug):
        bad("restaurant", "names no platform: set resy_venue_id or opentable_slug")
    if not MIN_PARTY <= raw.party_size <= MAX_PARTY:
        bad(
            "party_size",
            f"must be from {MIN_PARTY} to {MAX_PARTY}, got {raw.party_size}",
        )
    if (
        not 8 <= len(raw.idempotency_key) <= 128
        or not raw.idempotency_key.isprintable()
    ):
        bad("idempotency_key", "is required: 8 to 128 printable characters")
    for violation in restaurant_violations(restaurant):
        bad(violation.field, violation.description)
    if not raw.guest.name.strip():
        bad("guest.name", "is required")
    elif len(raw.guest.name) > 200 or not raw.guest.name.isprintable():
        bad("guest.name", "must be at most 200 printable characters")
    if raw.guest.email and not _EMAIL.fullmatch(raw.guest.email):
        bad("guest.email", f"is not an email address: {shown(raw.guest.email)}")
    if raw.guest.phone and not _PHONE.fullmatch(raw.guest.phone):
        bad("guest.phone", "must be 7 to 20 digits, spaces, +, -, ( or )")

    day = _parse_day(day_text) if day_text else None
    at = _parse_time(time_text) if time_text else None
    if day_text and day is None:
        bad("date", f"must be YYYY-MM-DD, got {shown(day_text)}")
    if time_text and at is None:
        bad("time", f"must be HH:MM, got {shown(time_text)}")

    facts = read_token(raw.slot_token) if raw.slot_token else None
    if raw.slot_token and facts is None:
        bad("slot_token", "is not a slot token from CheckAvailability")
    if facts is not None:
        _check_token(facts, raw, day, bad)
        day, at = facts.day, facts.at
    elif not raw.slot_token and (day is None or at is None):
        bad("slot_token", "give a slot token, or both date and time")

    if day is not None and zone is not None and day < now.astimezone(zone).date():
        bad("date", f"{day.isoformat()} is in the past at the restaurant")
    if facts is not None and facts.platform is Platform.OPENTABLE:
        _check_contact(raw.guest, bad)

    if violations:
        raise InvalidRequestError(violations)

    return BookingInput(
        restaurant,
        raw.party_size,
        raw.guest,
        raw.idempotency_key,
        raw.slot_token,
        day,
        at,
    )


def _check_token(
    facts: SlotFacts, raw: BookingInput, day: date | None, bad: Complain
) -> None:
    restaurant = raw.restaurant
    venue = {
        Platform.RESY: restaurant.resy_venue_id,
        Platform.OPENTABLE: restaurant.opentable_slug,
    }[facts.platform]
    if facts.venue != venue:
        bad("slot_token", "belongs to another restaurant")
    if day is not None and facts.day != day:
        bad("slot_token", f"is for {facts.day.isoformat()}, not {day.isoformat()}")
    if facts.party_size != raw.party_size:
        bad("slot_token", f"is for a party of {facts.party_size}, not {raw.party_size}")


def _check_contact(guest: Guest, bad: Complain) -> None:
    if not guest.phone:
        bad("guest.phone", "is required to book on OpenTable")
    if not guest.email:
        bad("guest.email", "is required to book on OpenTable")
