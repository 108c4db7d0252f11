"""The directory, venue matcher and weather ports behind retry and breaker."""

from collections.abc import Sequence
from datetime import datetime

from adapters.resilience.guard import Resilience
from domain.models import Coordinates, Restaurant, ResyVenue, WeatherReport
from domain.ports import RestaurantDirectory, VenueMatcher, Weather


class ResilientDirectory:
    def __init__(self, inner: RestaurantDirectory, resilience: Resilience) -> None:
        self.provider = inner.provider
        self._inner = inner
        self._resilience = resilience

    async def search(
        self, text: str, near: Coordinates | None, radius_m: float, limit: int
    ) -> Sequence[Restaurant]:
        return await self._resilience.call(
            lambda: self._inner.search(text, near, radius_m, limit)
        )

    async def details(self, place_id: str) -> Restaurant:
        return await self._resilience.call(lambda: self._inner.details(place_id))


class ResilientMatcher:
    def __init__(self, inner: VenueMatcher, resilience: Resilience) -> None:
        self.provider = inner.provider
        self._inner = inner
        self._resilience = resilience

    async def match(self, name: str, near: Coordinates | None) -> ResyVenue | None:
        return await self._resilience.call(lambda: self._inner.match(name, near))


class ResilientWeather:
    def __init__(self, inner: Weather, resilience: Resilience) -> None:
        self.provider = inner.provider
        self._inner = inner
        self._resilience = resilience

    async def conditions(self, at: Coordinates, when: datetime) -> WeatherReport:
        return await self._resilience.call(lambda: self._inner.conditions(at, when))
