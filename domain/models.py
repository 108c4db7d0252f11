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


@dataclass(frozen=True, slots=True)
class Coordinates:
    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class ResyVenue:
    """A Resy venue matched to a place: what CheckAvailability needs."""

    venue_id: str
    url_slug: str
    city: str
    time_zone: str = ""


@dataclass(frozen=True, slots=True)
class Restaurant:
    """A restaurant as the directory (Google Places) knows it."""

    place_id: str
    name: str
    address: str = ""
    location: Coordinates | None = None
    rating: float | None = None
    rating_count: int = 0
    price_level: str = ""
    cuisines: tuple[str, ...] = ()
    website: str = ""
    phone: str = ""
    time_zone: str = ""
    resy: ResyVenue | None = None
    opentable_slug: str = ""

    def ref(self) -> RestaurantRef:
        """What the availability and booking calls need of this restaurant."""
        resy = self.resy
        return RestaurantRef(
            name=self.name,
            time_zone=self.time_zone or (resy.time_zone if resy else ""),
            resy_venue_id=resy.venue_id if resy else "",
            resy_url_slug=resy.url_slug if resy else "",
            resy_city=resy.city if resy else "",
            opentable_slug=self.opentable_slug,
            website=self.website,
            address=self.address,
        )


@dataclass(frozen=True, slots=True)
class WeatherReport:
    """Conditions at a place and time; `is_forecast` when `at` is ahead."""

    at: datetime
    summary: str
    temperature_c: float
    feels_like_c: float | None = None
    humidity_percent: int | None = None
    wind_kph: float | None = None
    precipitation_probability: float | None = None
    is_forecast: bool = False


@dataclass(frozen=True, slots=True)
class Guest:
    name: str
    phone: str = ""
    email: str = ""


class ReservationStatus(enum.Enum):
    PENDING = "pending"  # claimed, the platform not yet answered
    CONFIRMED = "confirmed"
    UNKNOWN = "unknown"  # the platform may have booked it; check before retrying
    FAILED = "failed"  # the platform refused; nothing is booked
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class BookingConfirmation:
    """What a platform answers when a table is booked."""

    confirmation_id: str
    platform_token: str = ""  # what the platform needs to cancel it later


@dataclass(frozen=True, slots=True)
class Reservation:
    """A booking the gateway made or tried to make, keyed by its idempotency key."""

    reservation_id: str
    idempotency_key: str
    fingerprint: str
    restaurant: RestaurantRef
    party_size: int
    guest: Guest
    status: ReservationStatus
    created_at: datetime
    updated_at: datetime
    start: datetime | None = None  # aware, in the restaurant's zone
    platform: Platform | None = None
    confirmation_id: str = ""
    platform_token: str = ""
    slot_token: str = ""
    message: str = ""
