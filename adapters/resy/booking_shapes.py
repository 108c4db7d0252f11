"""Reading Resy's booking answers: /2/user, /3/details, /3/book, reservations."""

import json
import re
from dataclasses import dataclass

import httpx

from adapters.resy.schema import describe
from adapters.resy.wire import PROVIDER
from domain.errors import FieldViolation, InvalidRequestError, SchemaChangeError
from domain.models import BookingConfirmation, Platform, Slot

_SLOT_VENUE = re.compile(r"rgs://resy/(\d+)/")
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?\Z")
_WALL_TIME = re.compile(r"(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})\Z")


@dataclass(frozen=True, slots=True)
class BookedRow:
    """One of the user's reservations; `time_slot` as "HH:MM:SS"."""

    venue_id: str
    day: str
    time_slot: str
    seats: int
    confirmation: BookingConfirmation


def _changed(what: str, expected: str, found: object) -> SchemaChangeError:
    message = f"Resy's {what} changed shape: expected {expected}, found "
    return SchemaChangeError(message + describe(found), provider=PROVIDER)


def decode(response: httpx.Response, what: str) -> dict[str, object]:
    """The JSON object of an answer, or SchemaChangeError naming what came."""
    try:
        payload = json.loads(response.content)
    except ValueError:
        kind = response.headers.get("Content-Type", "no content type")
        raise SchemaChangeError(
            f"Resy's {what} answer is not JSON ({kind})", provider=PROVIDER
        ) from None
    if not isinstance(payload, dict):
        raise _changed(what + " answer", "an object", payload)

    return payload


def _number(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)

    return None


def default_payment_id(user: dict[str, object]) -> int | None:
    """The default card's id (else the first card's); None without a card."""
    methods = user.get("payment_methods")
    if not isinstance(methods, list):
        raise _changed("/2/user payment_methods", "a list", methods)
    cards = [
        (m.get("is_default") is not True, index, number)
        for index, m in enumerate(methods)
        if isinstance(m, dict) and (number := _number(m.get("id"))) is not None
    ]

    return min(cards)[2] if cards else None


def book_token(details: dict[str, object]) -> str:
    token = details.get("book_token")
    value = token.get("value") if isinstance(token, dict) else None
    if not isinstance(value, str) or not value:
        raise _changed("/3/details book_token", "an object with a value", token)

    return value


def confirmation(booked: dict[str, object]) -> BookingConfirmation | None:
    """What /3/book answered, or None when it names no reservation."""
    token = booked.get("resy_token")
    reservation_id = booked.get("reservation_id")
    if not isinstance(token, str) or not token:
        return None
    if _number(reservation_id) is None and not (
        isinstance(reservation_id, str) and reservation_id
    ):
        return None

    return BookingConfirmation(str(reservation_id), platform_token=token)


def slot_venue_id(slot: Slot) -> str:
    """The venue a Resy slot token names ("rgs://resy/<venue>/...")."""
    if slot.platform is not Platform.RESY:
        problem = f"is a {slot.platform.value} slot, not a Resy one"
        raise InvalidRequestError([FieldViolation("slot_token", problem)])
    match = _SLOT_VENUE.match(slot.token)
    if match is None:
        raise SchemaChangeError(
            "the slot token is not shaped rgs://resy/<venue>/...; "
            "the reservations cannot be matched to it",
            provider=PROVIDER,
        )

    return match[1]


def booked_rows(payload: dict[str, object]) -> tuple[list[BookedRow], int]:
    """The rows that can be read, and how many rows the page held."""
    rows = payload.get("reservations")
    if not isinstance(rows, list):
        raise _changed("/3/user/reservations answer", "a reservations list", rows)
    read = [row for raw in rows if (row := _row(raw)) is not None]

    return read, len(rows)


def _row(raw: object) -> BookedRow | None:
    if not isinstance(raw, dict):
        return None
    venue = raw.get("venue")
    venue_id = _number(venue.get("id")) if isinstance(venue, dict) else None
    if isinstance(venue, dict) and isinstance(venue.get("id"), dict):
        venue_id = _number(venue["id"].get("resy"))
    day, at = _when(raw)
    seats = _number(raw.get("num_seats"))
    found = confirmation(raw)
    if venue_id is None or not day or not at or seats is None or found is None:
        return None

    return BookedRow(str(venue_id), day, at, seats, found)


def _when(raw: dict[str, object]) -> tuple[str, str]:
    """The day and "HH:MM:SS" of a row: `day` + `time_slot`, or `date.start`."""
    day, slot = raw.get("day"), raw.get("time_slot")
    clock = _CLOCK.match(slot) if isinstance(slot, str) else None
    if isinstance(day, str) and clock is not None:
        hour, minute, second = clock[1], clock[2], clock[3] or "00"
        return day, f"{int(hour):02d}:{minute}:{second}"
    dates = raw.get("date")
    start = dates.get("start") if isinstance(dates, dict) else None
    wall = _WALL_TIME.match(start) if isinstance(start, str) else None

    return (wall[1], wall[2]) if wall is not None else ("", "")
