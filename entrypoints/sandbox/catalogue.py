"""The tables the sandbox's restaurants have open, day by day, per party size.

Openings are a pure function of venue, day and party size (a seeded hash picks
which times are gone), so repeated calls agree and every upstream imitation
that shows the same venue shows the same tables. The booking window starts
on the venue's own current date; the sandbox does not hide times already past
today, so a test that asks for today behaves the same at any hour.
"""

import hashlib
import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from entrypoints.sandbox.venues import Seating, Service, Venue, sandbox_venues

BOOKING_WINDOW_DAYS = 60
_WORD = re.compile(r"[a-z0-9]+")
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


@dataclass(frozen=True, slots=True)
class Listing:
    """How a directory (Google Places) and Resy's search show a venue."""

    place_id: str
    primary_type: str
    types: tuple[str, ...]
    rating: float
    rating_count: int
    price_level: str
    website: str
    phone: str
    city_code: str
    city_name: str


def _listing(
    resy_id: int,
    types: tuple[str, ...],
    stars: tuple[float, int],
    price: str,
    phone: str,
    city: tuple[str, str],
) -> Listing:
    """A listing; `types` starts with the primary type, `stars` is (rating, count)."""
    return Listing(
        place_id=f"sandbox-place-{resy_id}",
        primary_type=types[0],
        types=(*types, "restaurant", "food", "point_of_interest"),
        rating=stars[0],
        rating_count=stars[1],
        price_level=f"PRICE_LEVEL_{price}",
        website=f"https://venue-{resy_id}.sandbox.example/",
        phone=phone,
        city_code=city[0],
        city_name=city[1],
    )


_NEW_YORK, _CHICAGO, _LA = ("ny", "New York"), ("chi", "Chicago"), ("la", "Los Angeles")
# Invented listings; the phone numbers are from ranges set aside for fiction.
# The formatter would spread each call over eight lines; one venue a call reads
# as a table.
# fmt: off
_LISTINGS = {
    listing.place_id: listing
    for listing in (
        _listing(1001, ("american_restaurant", "bar"), (4.5, 812), "MODERATE",
                 "+1 212-555-0101", _NEW_YORK),
        _listing(1002, ("cocktail_bar", "bar"), (4.3, 264), "MODERATE",
                 "+1 718-555-0102", _NEW_YORK),
        _listing(2001, ("steak_house", "american_restaurant"), (4.6, 1530),
                 "EXPENSIVE", "+1 312-555-0103", _CHICAGO),
        _listing(3001, ("mediterranean_restaurant",), (4.4, 655), "MODERATE",
                 "+1 213-555-0104", _LA),
        _listing(4001, ("british_restaurant", "wine_bar"), (4.7, 390), "EXPENSIVE",
                 "+44 20 7946 0105", ("ldn", "London")),
        _listing(5001, ("japanese_restaurant", "sushi_restaurant"), (4.8, 221),
                 "VERY_EXPENSIVE", "+81 3-5555-0106", ("tyo", "Tokyo")),
    )
}
# fmt: on


class Catalogue:
    """The venues, looked up by each platform's own key."""

    def __init__(self, venues: tuple[Venue, ...]) -> None:
        self.venues = venues
        self._by_resy = {v.resy_venue_id: v for v in venues}
        self._by_opentable = {v.opentable_slug: v for v in venues if v.opentable_slug}
        self._by_place = {f"sandbox-place-{v.resy_venue_id}": v for v in venues}

    def resy_venue(self, venue_id: int) -> Venue | None:
        return self._by_resy.get(venue_id)

    def opentable_venue(self, slug: str) -> Venue | None:
        return self._by_opentable.get(slug)

    def place_venue(self, place_id: str) -> Venue | None:
        """The venue behind a Google place id such as "sandbox-place-1001"."""
        return self._by_place.get(place_id)

    def listing(self, venue: Venue) -> Listing:
        """The venue's directory listing; every sandbox venue has one."""
        return _LISTINGS[f"sandbox-place-{venue.resy_venue_id}"]

    def search(
        self, text: str, ignore: frozenset[str], near: tuple[float, float] | None
    ) -> list[Venue]:
        """Venues whose name, address, city or types hold every word; nearest first."""
        wanted = search_words(text) - ignore
        found = []
        for venue in self.venues:
            listing = self.listing(venue)
            known = search_words(f"{venue.name} {venue.address} {listing.city_name}")
            known |= search_words(" ".join(listing.types).replace("_", " "))
            if wanted <= known:
                found.append(venue)
        if near is not None:
            found.sort(key=lambda venue: distance_m(venue, *near))

        return found

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


def distance_m(venue: Venue, lat: float, lng: float) -> float:
    """Metres from a point to the venue, near enough for a sandbox (equirectangular)."""
    dy = math.radians(venue.lat - lat)
    dx = math.radians(venue.lng - lng) * math.cos(math.radians((venue.lat + lat) / 2))

    return 6_371_000.0 * math.hypot(dx, dy)


def search_words(text: str) -> set[str]:
    """Lower-case words without accents; "&" counts as "and"."""
    plain = unicodedata.normalize("NFKD", text.casefold().replace("&", " and "))

    return set(_WORD.findall(plain.encode("ascii", "ignore").decode()))


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
