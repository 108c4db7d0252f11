"""Finding the booked slot again: matching, nearest alternatives, tokens."""

from collections.abc import Sequence
from datetime import datetime

from domain.models import (
    AvailabilityQuery,
    DeepLink,
    LayerFailure,
    Platform,
    Reservation,
    Slot,
)
from domain.validation import BookingInput

PLATFORMS = {"resy": Platform.RESY, "opentable": Platform.OPENTABLE}


def query_of(request: BookingInput) -> AvailabilityQuery:
    assert request.day is not None
    return AvailabilityQuery(
        request.restaurant, request.day, request.party_size, request.at
    )


def matching(slots: Sequence[Slot], request: BookingInput) -> Slot | None:
    for slot in slots:
        if request.slot_token and slot.token == request.slot_token:
            return slot
    for slot in slots:
        local = slot.start.replace(tzinfo=None)
        if request.at is not None and (local.date(), local.time()) == (
            request.day,
            request.at,
        ):
            if not request.slot_token or token_provider(
                request.slot_token
            ) != provider_of(slot):
                return slot
    return None


def nearest(
    slots: Sequence[Slot], request: BookingInput, count: int
) -> tuple[Slot, ...]:
    if request.at is None or request.day is None:
        return tuple(slots[:count])
    wanted = datetime.combine(request.day, request.at)

    def distance(slot: Slot) -> float:
        return abs((slot.start.replace(tzinfo=None) - wanted).total_seconds())

    usable = [s for s in slots if s.token != request.slot_token]
    return tuple(sorted(usable, key=distance)[:count])


def provider_of(slot: Slot) -> str:
    return slot.platform.value


def token_provider(token: str) -> str:
    if token.startswith("rgs://resy/"):
        return "resy"
    if token.startswith("ot://"):
        return "opentable"
    return ""


def slot_of(reservation: Reservation) -> Slot | None:
    if reservation.start is None or reservation.platform is None:
        return None
    return Slot(
        reservation.start, None, "", reservation.platform, reservation.slot_token
    )


def as_input(reservation: Reservation) -> BookingInput:
    start = reservation.start
    return BookingInput(
        reservation.restaurant,
        reservation.party_size,
        reservation.guest,
        reservation.idempotency_key,
        reservation.slot_token,
        start.date() if start else None,
        start.time().replace(tzinfo=None) if start else None,
    )


def link_for(links: tuple[DeepLink, ...], provider: str) -> DeepLink | None:
    wanted = PLATFORMS.get(provider)
    matches = [link for link in links if link.platform is wanted]
    return matches[0] if matches else (links[0] if links else None)


def not_offered(provider: str, request: BookingInput) -> LayerFailure:
    when = request.at.strftime("%H:%M") if request.at else "that time"
    return LayerFailure(
        provider, "SLOT_NOT_OFFERED", f"{provider} has no table at {when}."
    )
