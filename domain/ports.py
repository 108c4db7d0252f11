"""The ports: what the application needs from the outside world."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar

from domain.models import ApiCall, AvailabilityQuery, RestaurantRef, Slot

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
    value: object
    stored_at: datetime


class Cache(Protocol):
    """Keyed values with the time they were stored.

    An entry outlives its freshness: the caller decides, from its age,
    whether it is fresh, stale but servable, or too old.
    """

    def get(self, key: str) -> CacheEntry | None: ...

    def set(self, key: str, value: object, keep_for: float) -> None: ...


class CostLedger(Protocol):
    """Every upstream attempt and cache hit, one row each."""

    def record(self, call: ApiCall) -> None:
        """Queue a row; never blocks the caller and never raises."""
        ...

    async def flush(self) -> None: ...
