"""Test doubles for the ports. Only tests import this module."""

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from domain.errors import APIError
from domain.models import ApiCall, AvailabilityQuery, RestaurantRef, Slot


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
