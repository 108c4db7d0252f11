"""OpenTable's browser booking behind the Booking port the use cases speak."""

from adapters.opentable.booking import OpenTableBooking, OpenTableGuest
from adapters.opentable.browser import BrowserPool
from adapters.opentable.settings import OpenTableSettings
from domain.errors import PermanentAPIError, SlotGoneError
from domain.models import BookingConfirmation, Guest, Reservation, RestaurantRef, Slot
from domain.ports import Clock, CostLedger

_GONE = frozenset({404, 410})


def split_name(name: str) -> tuple[str, str]:
    """OpenTable's form wants a first and a last name; one word serves as both."""
    parts = name.split()
    if len(parts) == 1:
        return parts[0], parts[0]
    return " ".join(parts[:-1]), parts[-1]


class OpenTableBookingPort:
    provider = "opentable"

    def __init__(
        self,
        pool: BrowserPool,
        settings: OpenTableSettings,
        clock: Clock,
        ledger: CostLedger,
    ) -> None:
        self._booking = OpenTableBooking(pool, settings, clock, ledger)

    def serves(self, restaurant: RestaurantRef) -> bool:
        return bool(restaurant.opentable_slug)

    async def book(
        self, slot: Slot, party_size: int, guest: Guest
    ) -> BookingConfirmation:
        first, last = split_name(guest.name)
        form = OpenTableGuest(first, last, guest.phone, guest.email)
        try:
            done = await self._booking.book(slot.token, party_size, form)
        except PermanentAPIError as error:
            if error.status_code in _GONE:
                raise SlotGoneError(
                    error.message, error.status_code, provider=self.provider
                ) from error
            raise
        return BookingConfirmation(done.confirmation_id, done.confirmation_id)

    async def find_booked(
        self, slot: Slot, party_size: int, guest: Guest
    ) -> BookingConfirmation | None:
        # OpenTable shows a guest's bookings only to the signed-in guest, so
        # the gateway cannot read one back; the caller must treat it as unknown.
        raise PermanentAPIError(
            "OpenTable offers no way to read a guest's bookings back; check the "
            "confirmation email or the OpenTable account",
            provider=self.provider,
        )

    async def cancel(self, reservation: Reservation) -> None:
        await self._booking.cancel(reservation.confirmation_id)
