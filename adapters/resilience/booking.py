"""The Booking port behind retry and breaker: writes are never re-sent blind."""

from adapters.resilience.guard import Resilience
from domain.models import (
    BookingConfirmation,
    Guest,
    Reservation,
    RestaurantRef,
    Slot,
)
from domain.ports import Booking


class ResilientBooking:
    """Book and cancel are writes (idempotent=False); the read-back is a read."""

    def __init__(self, inner: Booking, resilience: Resilience) -> None:
        self.provider = inner.provider
        self._inner = inner
        self._resilience = resilience

    def serves(self, restaurant: RestaurantRef) -> bool:
        return self._inner.serves(restaurant)

    async def book(
        self, slot: Slot, party_size: int, guest: Guest
    ) -> BookingConfirmation:
        return await self._resilience.call(
            lambda: self._inner.book(slot, party_size, guest), idempotent=False
        )

    async def find_booked(
        self, slot: Slot, party_size: int, guest: Guest
    ) -> BookingConfirmation | None:
        return await self._resilience.call(
            lambda: self._inner.find_booked(slot, party_size, guest)
        )

    async def cancel(self, reservation: Reservation) -> None:
        await self._resilience.call(
            lambda: self._inner.cancel(reservation), idempotent=False
        )
