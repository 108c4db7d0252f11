"""Get, list and cancel the reservations the gateway made."""

from collections.abc import Sequence
from dataclasses import replace

from application.booking import BookingLayer
from domain.errors import NotFoundError, PreconditionError
from domain.models import Reservation, ReservationStatus
from domain.ports import Clock, ReservationStore


class ReservationDesk:
    """GetReservation, ListReservations and CancelReservation."""

    def __init__(
        self, layers: Sequence[BookingLayer], store: ReservationStore, clock: Clock
    ) -> None:
        self._layers = tuple(layers)
        self._store = store
        self._clock = clock

    def get(self, reservation_id: str) -> Reservation:
        found = self._store.get(reservation_id)
        if found is None:
            raise NotFoundError(
                f"No reservation {reservation_id!r} was made through this gateway."
            )
        return found

    def list(self, limit: int) -> Sequence[Reservation]:
        return self._store.list(limit)

    async def cancel(self, reservation_id: str) -> Reservation:
        reservation = self.get(reservation_id)
        if reservation.status is ReservationStatus.CANCELLED:
            return reservation
        if reservation.status is not ReservationStatus.CONFIRMED:
            raise PreconditionError(
                f"Reservation {reservation_id} is {reservation.status.value}; "
                "only a confirmed reservation can be cancelled."
            )
        provider = reservation.platform.value if reservation.platform else ""
        for layer in self._layers:
            if layer.booking.provider == provider:
                await layer.booking.cancel(reservation)
                break
        else:
            raise PreconditionError(
                f"No platform {provider!r} is configured to cancel it."
            )
        cancelled = replace(
            reservation,
            status=ReservationStatus.CANCELLED,
            updated_at=self._clock.now(),
        )
        self._store.save(cancelled)
        return cancelled
