"""The tables the sandbox's restaurants have open, day by day, per party size.

Openings are a pure function of venue, day and party size (a seeded hash picks
which times are gone), so repeated calls agree and every upstream imitation
that shows the same venue shows the same tables. The booking window starts
on the venue's own current date; the sandbox does not hide times already past
today, so a test that asks for today behaves the same at any hour.
"""

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from entrypoints.sandbox.venues import Seating, Service, Venue, sandbox_venues

BOOKING_WINDOW_DAYS = 60
_PRIME_TIME = (time(19, 0), time(20, 30))


@dataclass(frozen=True, slots=True)
class Opening:
    """An open table: `start` and `end` are naive wall times at the venue."""

    start: datetime
    end: datetime
    seating: str
    service: Service
    table_min: int
    table_max: int
    quantity: int
    key: int


class Catalogue:
    """The venues, looked up by each platform's own key."""

    def __init__(self, venues: tuple[Venue, ...]) -> None:
        self.venues = venues
        self._by_resy = {v.resy_venue_id: v for v in venues}
        self._by_opentable = {v.opentable_slug: v for v in venues if v.opentable_slug}

    def resy_venue(self, venue_id: int) -> Venue | None:
        return self._by_resy.get(venue_id)

    def opentable_venue(self, slug: str) -> Venue | None:
        return self._by_opentable.get(slug)

    def local_today(self, venue: Venue, now: datetime) -> date:
        return now.astimezone(ZoneInfo(venue.time_zone)).date()

    def bookable(self, venue: Venue, day: date, party_size: int, now: datetime) -> bool:
        """Whether the day is inside the window and the party within limits."""
        today = self.local_today(venue, now)
        in_window = today <= day < today + timedelta(days=BOOKING_WINDOW_DAYS)

        return in_window and venue.min_party <= party_size <= venue.max_party

    def openings(
        self, venue: Venue, day: date, party_size: int, now: datetime
    ) -> list[Opening]:
        """Open tables, by start time; at least one on every bookable open day."""
        if not self.bookable(venue, day, party_size, now):
            return []
        if day.weekday() in venue.closed_weekdays:
            return []
        candidates = [
            (_fraction(venue, day, party_size, at, seat), at, seat, service)
            for service in venue.services
            for at in _times(day, service)
            for seat in venue.seating
            if party_size <= seat.max_party
        ]
        kept = [c for c in candidates if c[0] < _density(venue, c[1].time())]
        if not kept and candidates:
            kept = [min(candidates, key=lambda c: c[0])]
        openings = [_opening(party_size, *c) for c in kept]

        return sorted(openings, key=lambda o: (o.start, o.seating))


def default_catalogue() -> Catalogue:
    return Catalogue(sandbox_venues())


def _times(day: date, service: Service) -> list[datetime]:
    at = datetime.combine(day, service.first)
    last = datetime.combine(day, service.last)
    times = []
    while at <= last:
        times.append(at)
        at += timedelta(minutes=service.every_minutes)

    return times


def _density(venue: Venue, at: time) -> float:
    # Prime time goes first at a real restaurant.
    if _PRIME_TIME[0] <= at <= _PRIME_TIME[1]:
        return venue.density * 0.5

    return venue.density


def _digest(venue: Venue, day: date, party: int, at: datetime, seat: Seating) -> int:
    text = f"{venue.resy_venue_id}|{day.isoformat()}|{party}|{at:%H:%M}|{seat.name}"

    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def _fraction(
    venue: Venue, day: date, party: int, at: datetime, seat: Seating
) -> float:
    return _digest(venue, day, party, at, seat) / 2**64


def _turn_minutes(party_size: int) -> int:
    if party_size <= 2:
        return 90
    if party_size <= 4:
        return 105

    return 120 if party_size <= 6 else 150


def _opening(
    party_size: int, fraction: float, at: datetime, seat: Seating, service: Service
) -> Opening:
    table_max = min(seat.max_party, party_size + party_size % 2)
    key = int(fraction * 2**32)

    return Opening(
        start=at,
        end=at + timedelta(minutes=_turn_minutes(party_size)),
        seating=seat.name,
        service=service,
        table_min=max(1, table_max - 1),
        table_max=table_max,
        quantity=1 + key % 3,
        key=key,
    )
