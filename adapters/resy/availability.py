"""Resy's /4/find behind the availability port."""

from collections.abc import Sequence
from datetime import datetime, tzinfo

import httpx

from adapters.deadline import bounded, time_left
from adapters.http_errors import raise_for_status
from adapters.resy.schema import FoundVenue, SchemaWatch
from adapters.resy.settings import ResySettings
from adapters.resy.wire import resy_headers
from domain.errors import FieldViolation, InvalidRequestError
from domain.models import AvailabilityQuery, Platform, RestaurantRef, Slot
from domain.ports import Clock
from domain.validation import zone_or_none

_PROVIDER = "resy"


class ResyAvailability:
    """Slots from Resy for one venue, day and party size."""

    provider = _PROVIDER

    def __init__(
        self, http: httpx.AsyncClient, settings: ResySettings, clock: Clock
    ) -> None:
        self._http = http
        self._settings = settings
        self._clock = clock
        self._watch = SchemaWatch()

    def serves(self, restaurant: RestaurantRef) -> bool:
        return bool(restaurant.resy_venue_id)

    async def find_slots(self, query: AvailabilityQuery) -> Sequence[Slot]:
        timeout = time_left(self._settings.timeout, self._clock, _PROVIDER)
        response = await self._get_find(query, timeout)
        raise_for_status(response, _PROVIDER, self._clock.now())
        venues = self._watch.read_find(self._watch.decode(response))
        wanted = query.restaurant.resy_venue_id
        slots = [
            slot
            for venue in venues
            if venue.venue_id == wanted
            for slot in _slots(venue, query)
        ]

        return _ordered(slots, query)

    async def _get_find(
        self, query: AvailabilityQuery, seconds: float
    ) -> httpx.Response:
        params = {
            "venue_id": query.restaurant.resy_venue_id,
            "day": query.day.isoformat(),
            "party_size": str(query.party_size),
            "lat": "0",
            "long": "0",
        }
        url = self._settings.base_url.rstrip("/") + "/4/find"
        exchange = self._http.get(
            url, params=params, headers=resy_headers(self._settings), timeout=seconds
        )
        return await bounded(exchange, seconds, _PROVIDER, "/4/find")


def _zone(venue: FoundVenue, restaurant: RestaurantRef) -> tzinfo:
    # Resy knows where its venue is; our record of it may be out of date.
    zone = zone_or_none(venue.time_zone) or zone_or_none(restaurant.time_zone)
    if zone is None:
        problem = f"must be an IANA time zone, got {restaurant.time_zone!r}"
        raise InvalidRequestError([FieldViolation("restaurant.time_zone", problem)])

    return zone


def _slots(venue: FoundVenue, query: AvailabilityQuery) -> list[Slot]:
    zone = _zone(venue, query.restaurant)

    return [
        Slot(
            start=found.start.replace(tzinfo=zone),
            end=None if found.end is None else found.end.replace(tzinfo=zone),
            seating=found.seating,
            platform=Platform.RESY,
            token=found.token,
        )
        for found in venue.slots
    ]


def _ordered(slots: list[Slot], query: AvailabilityQuery) -> list[Slot]:
    by_start = sorted(slots, key=lambda s: (s.start, s.seating))
    if query.preferred_time is None:
        return by_start
    wanted = datetime.combine(query.day, query.preferred_time)

    # Wall-clock distance, so a DST change that night does not skew the order.
    return sorted(by_start, key=lambda s: abs(s.start.replace(tzinfo=None) - wanted))
