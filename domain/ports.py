"""The ports: what the application needs from the outside world."""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol, TypeVar

from domain.calendar import CalendarEvent, SyncRecord, SyncState
from domain.models import (
    ApiCall,
    AvailabilityQuery,
    BookingConfirmation,
    Coordinates,
    Guest,
    Reservation,
    Restaurant,
    RestaurantRef,
    ResyVenue,
    Slot,
    WeatherReport,
)

V = TypeVar("V")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...

    def monotonic(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class Availability(Protocol):
    """Slots for a restaurant, date and party size from one platform."""

    provider: str

    def serves(self, restaurant: RestaurantRef) -> bool:
        """Whether this platform knows the restaurant at all."""
        ...

    async def find_slots(self, query: AvailabilityQuery) -> Sequence[Slot]: ...


@dataclass(frozen=True, slots=True)
class CacheEntry:
    """A cached value; `tier` says where it came from ("hot", "warm", "live")."""

    value: object
    stored_at: datetime
    tier: str = "hot"
    expires_at: datetime | None = None


class Cache(Protocol):
    """Keyed values with the time they were stored.

    An entry outlives its freshness: the caller decides, from its age,
    whether it is fresh, stale but servable, or too old.
    """

    def get(self, key: str) -> CacheEntry | None: ...

    def set(
        self,
        key: str,
        value: object,
        keep_for: float,
        *,
        stored_at: datetime | None = None,
    ) -> None:
        """Store `value`; `stored_at` (default now) is when the upstream gave it."""
        ...


class LoadingCache(Cache, Protocol):
    """A cache that also loads misses, one upstream call per key at a time."""

    async def get_or_load(
        self,
        key: str,
        load: Callable[[], Awaitable[V]],
        *,
        keep_for: float,
        fresh_for: float,
        is_negative: Callable[[V], bool] | None = None,
    ) -> CacheEntry:
        """A fresh entry, else the shared outcome of one `load()` for the key.

        The entry's `tier` is its source: "hot", "warm", or "live" when
        loaded. A failed load raises its error to every caller waiting on
        it and is never cached; the next call loads again.
        """
        ...

    def stale_served(self, key: str, entry: CacheEntry) -> None:
        """Count and log that the caller served `entry` past its freshness."""
        ...


class CostLedger(Protocol):
    """Every upstream attempt and cache hit, one row each."""

    def record(self, call: ApiCall) -> None:
        """Queue a row; never blocks the caller and never raises."""
        ...

    async def flush(self) -> None: ...


class RestaurantDirectory(Protocol):
    """Search and details of restaurants (Google Places)."""

    provider: str

    async def search(
        self, text: str, near: Coordinates | None, radius_m: float, limit: int
    ) -> Sequence[Restaurant]: ...

    async def details(self, place_id: str) -> Restaurant: ...


class VenueMatcher(Protocol):
    """Find a booking platform's venue for a restaurant (Resy venue search)."""

    provider: str

    async def match(self, name: str, near: Coordinates | None) -> ResyVenue | None: ...


class Weather(Protocol):
    """Conditions for a place and a time (OpenWeatherMap)."""

    provider: str

    async def conditions(self, at: Coordinates, when: datetime) -> WeatherReport: ...


class Booking(Protocol):
    """Book and cancel on one platform. A booking is a write: never re-sent blind."""

    provider: str

    def serves(self, restaurant: RestaurantRef) -> bool: ...

    async def book(
        self, slot: Slot, party_size: int, guest: Guest
    ) -> BookingConfirmation: ...

    async def find_booked(
        self, slot: Slot, party_size: int, guest: Guest
    ) -> BookingConfirmation | None:
        """Read the guest's upcoming reservations back: was this slot booked?"""
        ...

    async def cancel(self, reservation: Reservation) -> None: ...


class ReservationStore(Protocol):
    """Reservations and their idempotency keys, unique per key."""

    def claim(self, draft: Reservation) -> tuple[Reservation, bool]:
        """Store `draft` unless its key exists; return the stored one and
        whether it was created now."""
        ...

    def save(self, reservation: Reservation) -> None: ...

    def get(self, reservation_id: str) -> Reservation | None: ...

    def by_key(self, idempotency_key: str) -> Reservation | None: ...

    def list(self, limit: int = 50) -> Sequence[Reservation]: ...


@dataclass(frozen=True, slots=True)
class UsageTotals:
    """One provider's ledger rows summed, over one UTC day when `day` is set."""

    provider: str
    calls: int  # upstream attempts: rows with cached=False
    cache_hits: int  # rows with cached=True
    cost_micros: int
    day: date | None = None


@dataclass(frozen=True, slots=True)
class SkuUsage:
    """Upstream calls answered with a 2xx, of one provider and SKU."""

    provider: str
    sku: str
    calls: int
    cost_micros: int


class CostReport(Protocol):
    """The cost ledger read back and summed: rows with since <= at <= until."""

    async def totals(
        self, since: datetime, until: datetime, *, by_day: bool = False
    ) -> Sequence[UsageTotals]: ...

    async def answered(self, since: datetime, until: datetime) -> Sequence[SkuUsage]:
        """Answered upstream calls per SKU: what free allowances count."""
        ...


@dataclass(frozen=True, slots=True)
class BudgetStatus:
    """A provider's budget for one UTC month ("2027-01"), in micro-dollars."""

    provider: str
    month: str
    limit_micros: int
    spent_micros: int
    held_micros: int = 0

    @property
    def exhausted(self) -> bool:
        """Spent reached the limit: the provider is served from cache only."""
        return self.spent_micros >= self.limit_micros


@dataclass(frozen=True, slots=True)
class BudgetHold:
    """One call's price set aside while the call is in flight."""

    provider: str
    month: str
    micros: int


class BudgetState(Protocol):
    """Monthly spending limits per provider; months are UTC."""

    def status(self, provider: str) -> BudgetStatus | None:
        """None when the provider has no budget."""
        ...

    def statuses(self) -> Sequence[BudgetStatus]: ...

    def hold(self, provider: str, micros: int) -> BudgetHold | None:
        """Set a call's price aside before the call; None: the budget is spent."""
        ...

    def release(self, hold: BudgetHold) -> None:
        """The call is over (its real cost is in the ledger): drop the hold."""
        ...


class CalendarSync(Protocol):
    """The person's own calendar (Google Calendar v3): one event per reservation."""

    provider: str

    async def put(self, event: CalendarEvent, *, existing: bool = False) -> None:
        """Create the event under its own id, or update it where it already is.

        `existing` says it was synced before, so an update is tried first.
        """
        ...

    async def remove(self, event_id: str) -> None:
        """Delete the event; one that is already gone is not an error."""
        ...


class IcsBuilder(Protocol):
    """An RFC 5545 file of one event, published (or cancelled) for import."""

    def build(self, event: CalendarEvent, stamp: datetime) -> bytes: ...


class CalendarSyncStore(Protocol):
    """Each reservation's calendar sync record, the queue the worker drains."""

    def get(self, reservation_id: str) -> SyncRecord | None: ...

    def save(self, record: SyncRecord) -> None:
        """Insert the record or replace the stored one."""
        ...

    def finish(self, record: SyncRecord) -> bool:
        """Replace the stored record only if its revision is still the same."""
        ...

    def due(self, now: datetime, limit: int) -> Sequence[SyncRecord]:
        """Pending or retrying records whose next attempt is due, oldest first."""
        ...

    def next_due(self) -> datetime | None:
        """When the earliest waiting record is due; None when none waits."""
        ...

    def states(self, reservation_ids: Sequence[str]) -> dict[str, SyncState]: ...
