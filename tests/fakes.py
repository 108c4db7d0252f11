"""Test doubles for the ports. Only tests import this module."""

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from domain.errors import APIError, PermanentAPIError
from domain.models import (
    ApiCall,
    AvailabilityQuery,
    BookingConfirmation,
    RestaurantRef,
    Slot,
)
from domain.ports import SkuUsage, UsageTotals


class FakeClock:
    """A clock that moves only when told; `sleep` advances it at once."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2027, 1, 10, 17, 0, tzinfo=UTC)
        self._mono = 1000.0
        self.slept: list[float] = []

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)
        self._mono += seconds

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.advance(seconds)
        await asyncio.sleep(0)


class FakeAvailability:
    """Answers from a script: each call pops the next slots or error."""

    def __init__(self, provider: str = "resy") -> None:
        self.provider = provider
        self.script: list[Sequence[Slot] | APIError] = []
        self.default: Sequence[Slot] | APIError = ()
        self.calls: list[AvailabilityQuery] = []

    def serves(self, restaurant: RestaurantRef) -> bool:
        if self.provider == "resy":
            return bool(restaurant.resy_venue_id)
        return bool(restaurant.opentable_slug)

    async def find_slots(self, query: AvailabilityQuery) -> Sequence[Slot]:
        self.calls.append(query)
        outcome = self.script.pop(0) if self.script else self.default
        if isinstance(outcome, APIError):
            raise outcome
        return outcome


class FakeLedger:
    def __init__(self) -> None:
        self.rows: list[ApiCall] = []

    def record(self, call: ApiCall) -> None:
        self.rows.append(call)

    async def flush(self) -> None:
        return None


class FakeDirectory:
    """A directory of given restaurants; `fail` makes every call raise it."""

    provider = "google_places"

    def __init__(self, restaurants=()) -> None:
        self.restaurants = list(restaurants)
        self.fail: APIError | None = None
        self.searches: list[str] = []
        self.lookups: list[str] = []

    async def search(self, text, near, radius_m, limit):
        self.searches.append(text)
        if self.fail:
            raise self.fail
        words = text.casefold().split()
        found = [
            r for r in self.restaurants if any(w in r.name.casefold() for w in words)
        ]
        return found[:limit]

    async def details(self, place_id):
        self.lookups.append(place_id)
        if self.fail:
            raise self.fail
        for restaurant in self.restaurants:
            if restaurant.place_id == place_id:
                return restaurant
        raise PermanentAPIError(f"no place {place_id}", 404, provider=self.provider)


class FakeMatcher:
    provider = "resy"

    def __init__(self, venues=None) -> None:
        self.venues = dict(venues or {})
        self.fail: APIError | None = None

    async def match(self, name, near):
        if self.fail:
            raise self.fail
        return self.venues.get(name)


class FakeWeather:
    provider = "weather"

    def __init__(self, report=None) -> None:
        self.report = report
        self.calls: list[tuple[object, object]] = []

    async def conditions(self, at, when):
        self.calls.append((at, when))
        if isinstance(self.report, APIError):
            raise self.report
        return self.report


class FakeBooking:
    """A platform's booking desk; `outcomes` scripts each book() call."""

    def __init__(self, provider: str = "resy") -> None:
        self.provider = provider
        self.booked: list[tuple[object, int]] = []
        self.cancelled: list[str] = []
        self.outcomes: list[Exception | None] = []
        self.read_back_fails: list[Exception] = []
        self.commit_before_failing = True

    def serves(self, restaurant: RestaurantRef) -> bool:
        if self.provider == "resy":
            return bool(restaurant.resy_venue_id)
        return bool(restaurant.opentable_slug)

    async def book(self, slot, party_size, guest):
        outcome = self.outcomes.pop(0) if self.outcomes else None
        if outcome is not None:
            received = getattr(outcome, "maybe_received", False)
            if received and self.commit_before_failing:
                self.booked.append((slot, party_size))
            raise outcome
        self.booked.append((slot, party_size))
        return BookingConfirmation(f"{self.provider}-{len(self.booked)}", "tok")

    async def find_booked(self, slot, party_size, guest):
        if self.read_back_fails:
            raise self.read_back_fails.pop(0)
        for number, (booked, size) in enumerate(self.booked, start=1):
            if booked.start == slot.start and size == party_size:
                return BookingConfirmation(f"{self.provider}-{number}", "tok")
        return None

    async def cancel(self, reservation) -> None:
        self.cancelled.append(reservation.confirmation_id)


class InMemoryReservationStore:
    def __init__(self) -> None:
        self.rows: dict[str, object] = {}

    def claim(self, draft):
        for row in self.rows.values():
            if row.idempotency_key == draft.idempotency_key:
                return row, False
        self.rows[draft.reservation_id] = draft
        return draft, True

    def save(self, reservation) -> None:
        if reservation.reservation_id not in self.rows:
            raise LookupError(reservation.reservation_id)
        self.rows[reservation.reservation_id] = reservation

    def get(self, reservation_id):
        return self.rows.get(reservation_id)

    def by_key(self, key):
        return next((r for r in self.rows.values() if r.idempotency_key == key), None)

    def list(self, limit=50):
        ordered = sorted(self.rows.values(), key=lambda r: r.created_at, reverse=True)
        return ordered[:limit]


class InMemoryCostReport:
    """The CostReport port over a list of ApiCall rows (e.g. a FakeLedger's)."""

    def __init__(self, rows: list[ApiCall]) -> None:
        self.rows = rows

    def _window(self, since, until):
        return [row for row in self.rows if since <= row.at <= until]

    async def totals(self, since, until, *, by_day=False):
        groups: dict[tuple[str, object], list[int]] = {}
        for row in self._window(since, until):
            day = row.at.astimezone(UTC).date() if by_day else None
            sums = groups.setdefault((row.provider, day), [0, 0, 0])
            sums[0 if not row.cached else 1] += 1
            sums[2] += row.cost_micros
        return [
            UsageTotals(provider, calls, hits, cost, day)
            for (provider, day), (calls, hits, cost) in groups.items()
        ]

    async def answered(self, since, until):
        groups: dict[tuple[str, str], list[int]] = {}
        for row in self._window(since, until):
            if not row.cached and row.outcome == "ok":
                sums = groups.setdefault((row.provider, row.sku), [0, 0])
                sums[0] += 1
                sums[1] += row.cost_micros
        return [SkuUsage(p, sku, n, cost) for (p, sku), (n, cost) in groups.items()]
