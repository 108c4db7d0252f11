"""The Availability port behind retry and breaker: the pattern every wrapper follows."""

from collections.abc import Sequence

from adapters.resilience.guard import Resilience
from domain.models import AvailabilityQuery, RestaurantRef, Slot
from domain.ports import Availability


class ResilientAvailability:
    """Implements Availability by calling another through a Resilience."""

    def __init__(self, inner: Availability, resilience: Resilience) -> None:
        self.provider = inner.provider
        self._inner = inner
        self._resilience = resilience

    def serves(self, restaurant: RestaurantRef) -> bool:
        return self._inner.serves(restaurant)

    async def find_slots(self, query: AvailabilityQuery) -> Sequence[Slot]:
        return await self._resilience.call(lambda: self._inner.find_slots(query))
