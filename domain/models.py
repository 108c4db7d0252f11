"""Values the use cases pass around: restaurants, queries, slots, answers."""

import enum
from dataclasses import dataclass, field
from datetime import date, datetime, time


class Platform(enum.Enum):
    RESY = "resy"
    OPENTABLE = "opentable"


class Source(enum.Enum):
    """Where an availability answer came from."""

    LIVE = "live"
    HOT_CACHE = "hot_cache"
    WARM_CACHE = "warm_cache"
    STALE = "stale"
    NONE = "none"  # no platform could be asked: deep links only


@dataclass(frozen=True, slots=True)
class RestaurantRef:
    name: str
    time_zone: str
    resy_venue_id: str = ""
    resy_url_slug: str = ""
    resy_city: str = ""
    opentable_slug: str = ""
    website: str = ""
    address: str = ""


@dataclass(frozen=True, slots=True)
class AvailabilityQuery:
    restaurant: RestaurantRef
    day: date
    party_size: int
    preferred_time: time | None = None


@dataclass(frozen=True, slots=True)
class Slot:
    """A bookable table; `start` and `end` are aware, in the restaurant's zone."""

    start: datetime
    end: datetime | None
    seating: str
    platform: Platform
    token: str


@dataclass(frozen=True, slots=True)
class DeepLink:
    label: str
    url: str
    platform: Platform | None = None


@dataclass(frozen=True, slots=True)
class LayerFailure:
    """Why one layer of a fallback chain gave no answer."""

    provider: str
    reason: str
    message: str
    retry_after: float | None = None


@dataclass(frozen=True, slots=True)
class AvailabilityAnswer:
    slots: tuple[Slot, ...]
    source: Source
    as_of: datetime | None
    message: str
    deep_links: tuple[DeepLink, ...] = ()
    failures: tuple[LayerFailure, ...] = ()
    provider: str = ""
    age_seconds: int = 0


@dataclass(frozen=True, slots=True)
class ApiCall:
    """One row of the cost ledger: an upstream attempt or a cache hit."""

    at: datetime
    provider: str
    operation: str
    outcome: str
    latency_ms: float
    cached: bool = False
    cost_micros: int = 0
    http_status: int | None = None
    error_kind: str = ""
    request_id: str = ""
    sku: str = ""
    extra: dict[str, str] = field(default_factory=dict)
