"""The sandbox's invented restaurants: where, how they seat, when they serve."""

from dataclasses import dataclass
from datetime import time


@dataclass(frozen=True, slots=True)
class Seating:
    name: str
    max_party: int


@dataclass(frozen=True, slots=True)
class Service:
    name: str
    type_id: int
    first: time
    last: time
    every_minutes: int


@dataclass(frozen=True, slots=True)
class Venue:
    resy_venue_id: int
    name: str
    url_slug: str
    city: str
    time_zone: str
    address: str
    lat: float
    lng: float
    seating: tuple[Seating, ...]
    services: tuple[Service, ...]
    min_party: int = 1
    max_party: int = 8
    closed_weekdays: frozenset[int] = frozenset()
    opentable_slug: str = ""
    density: float = 0.6


def _dinner(first: time, last: time, every: int) -> Service:
    return Service("dinner", 2, first, last, every)


def sandbox_venues() -> tuple[Venue, ...]:
    """Six venues in five cities; 1001 is the one every test can rely on."""
    lunch = Service("lunch", 1, time(12, 0), time(14, 0), 30)
    dining, bar = Seating("Dining Room", 8), Seating("Bar", 2)
    patio = Seating("Patio", 6)

    return (
        Venue(
            resy_venue_id=1001,
            name="Sandbox Tavern",
            url_slug="sandbox-1001",
            city="new-york-ny",
            time_zone="America/New_York",
            address="12 Harrow Lane, New York, NY 10013",
            lat=40.7208,
            lng=-74.0041,
            seating=(dining, bar, patio),
            services=(_dinner(time(17, 0), time(22, 30), 15),),
            opentable_slug="sandbox-1001-new-york",
        ),
        Venue(
            resy_venue_id=1002,
            name="Copper Finch",
            url_slug="copper-finch",
            city="new-york-ny",
            time_zone="America/New_York",
            address="480 Veldt Avenue, Brooklyn, NY 11211",
            lat=40.7142,
            lng=-73.9571,
            seating=(bar, Seating("Counter", 4)),
            services=(_dinner(time(17, 30), time(23, 0), 30),),
            max_party=4,
            closed_weekdays=frozenset({0}),
        ),
        Venue(
            resy_venue_id=2001,
            name="Lakeshore Ember",
            url_slug="lakeshore-ember",
            city="chicago-il",
            time_zone="America/Chicago",
            address="77 Wexford Street, Chicago, IL 60654",
            lat=41.8925,
            lng=-87.6341,
            seating=(Seating("Dining Room", 10), Seating("Lounge", 4)),
            services=(_dinner(time(17, 0), time(22, 0), 15),),
            max_party=10,
            closed_weekdays=frozenset({1}),
        ),
        Venue(
            resy_venue_id=3001,
            name="Juniper & Salt",
            url_slug="juniper-and-salt",
            city="los-angeles-ca",
            time_zone="America/Los_Angeles",
            address="2210 Marlow Place, Los Angeles, CA 90026",
            lat=34.0781,
            lng=-118.2606,
            seating=(Seating("Dining Room", 6), patio, bar),
            services=(_dinner(time(17, 30), time(22, 0), 30),),
            max_party=6,
        ),
        Venue(
            resy_venue_id=4001,
            name="The Quiet Ledger",
            url_slug="the-quiet-ledger",
            city="london-england",
            time_zone="Europe/London",
            address="9 Tallis Yard, London EC2A 4BX",
            lat=51.5246,
            lng=-0.0817,
            seating=(dining, Seating("Chef's Counter", 2)),
            services=(lunch, _dinner(time(17, 30), time(22, 0), 15)),
            closed_weekdays=frozenset({6}),
        ),
        Venue(
            resy_venue_id=5001,
            name="Kumo Counter",
            url_slug="kumo-counter",
            city="tokyo-japan",
            time_zone="Asia/Tokyo",
            address="3-8-1 Minami-Aoyama, Minato-ku, Tokyo 107-0062",
            lat=35.6654,
            lng=139.7168,
            seating=(Seating("Counter", 4),),
            services=(_dinner(time(18, 0), time(21, 0), 30),),
            max_party=4,
            closed_weekdays=frozenset({6}),
            density=0.45,
        ),
    )
