"""Book a table exactly once: claim the key, re-check live, book layer by layer."""

import asyncio
import hashlib
import logging
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, replace
from typing import Any

from application.booking_slots import (
    PLATFORMS,
    as_input,
    link_for,
    matching,
    nearest,
    not_offered,
    provider_of,
    query_of,
    slot_of,
    token_provider,
)
from application.booking_words import hand_booking_steps, slot_gone_sentence
from domain.deeplinks import deep_links
from domain.errors import (
    APIError,
    FieldViolation,
    InvalidRequestError,
    SlotGoneError,
    UpstreamTimeoutError,
)
from domain.messages import layer_failure
from domain.models import (
    BookingConfirmation,
    DeepLink,
    LayerFailure,
    Reservation,
    ReservationStatus,
    Slot,
)
from domain.ports import Availability, Booking, Clock, ReservationStore
from domain.validation import BookingInput

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BookingLayer:
    """One platform: live availability to re-check the slot, and its booking."""

    availability: Availability
    booking: Booking


@dataclass(frozen=True, slots=True)
class BookingAnswer:
    reservation: Reservation
    replayed: bool = False
    deep_links: tuple[DeepLink, ...] = ()
    failures: tuple[LayerFailure, ...] = ()
    alternatives: tuple[Slot, ...] = ()


def fingerprint(request: BookingInput) -> str:
    """Equal for requests that ask for the same booking."""
    r = request.restaurant
    parts = (
        r.resy_venue_id,
        r.opentable_slug,
        r.time_zone,
        str(request.party_size),
        request.slot_token,
        request.day.isoformat() if request.day else "",
        request.at.isoformat() if request.at else "",
        request.guest.name.strip().casefold(),
        request.guest.phone,
        request.guest.email.casefold(),
    )
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


class MakeReservation:
    def __init__(
        self,
        layers: Sequence[BookingLayer],
        store: ReservationStore,
        clock: Clock,
        new_id: Callable[[], str],
        pending_grace: float = 120.0,
    ) -> None:
        self._layers = tuple(layers)
        self._store = store
        self._clock = clock
        self._new_id = new_id
        self._pending_grace = pending_grace
        self._in_flight: dict[str, asyncio.Task[BookingAnswer]] = {}

    async def __call__(self, request: BookingInput) -> BookingAnswer:
        now = self._clock.now()
        draft = Reservation(
            reservation_id=self._new_id(),
            idempotency_key=request.idempotency_key,
            fingerprint=fingerprint(request),
            restaurant=request.restaurant,
            party_size=request.party_size,
            guest=request.guest,
            status=ReservationStatus.PENDING,
            created_at=now,
            updated_at=now,
            slot_token=request.slot_token,
        )
        stored, created = self._store.claim(draft)
        if stored.fingerprint != draft.fingerprint:
            raise InvalidRequestError(
                [
                    FieldViolation(
                        "idempotency_key",
                        f"was already used for a different booking "
                        f"({stored.reservation_id}); use a new key for a new booking",
                    )
                ]
            )
        if created:
            return await self._run(
                stored.idempotency_key,
                self._guarded(stored, self._book(stored, request)),
            )

        return await self._replay(stored, request)

    async def _guarded(
        self, reservation: Reservation, work: Coroutine[object, object, BookingAnswer]
    ) -> BookingAnswer:
        """An unexpected failure leaves the booking UNKNOWN, not PENDING forever:
        a replay then reads the platform back before anything is sent again."""
        try:
            return await work
        except Exception:
            logger.exception(
                "booking.unexpected_error",
                extra={"reservation_id": reservation.reservation_id},
            )
            current = self._store.get(reservation.reservation_id) or reservation
            if current.status in (ReservationStatus.PENDING, ReservationStatus.UNKNOWN):
                self._save(
                    current,
                    ReservationStatus.UNKNOWN,
                    message="The gateway failed while booking; calling "
                    "MakeReservation again with the same key checks what happened.",
                )
            raise

    async def _run(
        self, key: str, work: Coroutine[object, object, BookingAnswer]
    ) -> BookingAnswer:
        task = asyncio.ensure_future(work)
        self._in_flight[key] = task
        task.add_done_callback(lambda _t: self._in_flight.pop(key, None))
        # A caller that goes away must not abandon a booking half made.
        return await asyncio.shield(task)

    async def _replay(
        self, stored: Reservation, request: BookingInput
    ) -> BookingAnswer:
        running = self._in_flight.get(stored.idempotency_key)
        if running is not None:
            answer = await asyncio.shield(running)
            return replace(answer, replayed=True)
        if stored.status in (ReservationStatus.CONFIRMED, ReservationStatus.CANCELLED):
            return BookingAnswer(stored, replayed=True)
        if stored.status is ReservationStatus.FAILED:
            # Nothing was booked, so trying again can book at most once; a
            # platform that was down may be back, a gone slot stays gone.
            # `replayed` stays False: this call may book something new.
            return await self._run(
                stored.idempotency_key,
                self._guarded(stored, self._book(stored, request)),
            )
        age = (self._clock.now() - stored.updated_at).total_seconds()
        if stored.status is ReservationStatus.PENDING and age < self._pending_grace:
            return BookingAnswer(stored, replayed=True)

        return await self._run(
            stored.idempotency_key,
            self._guarded(stored, self._resume(stored, request)),
        )

    async def _resume(
        self, stored: Reservation, request: BookingInput
    ) -> BookingAnswer:
        """An UNKNOWN or abandoned PENDING booking: read back before booking again."""
        slot = slot_of(stored)
        for layer in self._serving(stored):
            if slot is None or layer.booking.provider != provider_of(slot):
                continue
            try:
                found = await layer.booking.find_booked(
                    slot, stored.party_size, stored.guest
                )
            except APIError as error:
                return BookingAnswer(
                    self._unknown(stored, layer.booking.provider, error), replayed=True
                )
            if found is not None:
                return BookingAnswer(self._confirm(stored, slot, found), replayed=True)

        # The read-back found nothing: this call books anew, so not a replay.
        return await self._book(stored, request)

    async def _book(
        self, reservation: Reservation, request: BookingInput
    ) -> BookingAnswer:
        assert request.day is not None  # validation gives every booking a day
        links = deep_links(
            request.restaurant, request.day, request.party_size, request.at
        )
        failures: list[LayerFailure] = []
        for index, layer in enumerate(self._layers_for(request)):
            provider = layer.booking.provider
            try:
                slots = await layer.availability.find_slots(query_of(request))
            except APIError as error:
                failures.append(layer_failure(error, link_for(links, provider)))
                continue
            slot = matching(slots, request)
            if slot is None:
                if index == 0:
                    return self._gone(reservation, request, slots, links, failures)
                failures.append(not_offered(provider, request))
                continue
            try:
                confirmation = await layer.booking.book(
                    slot, request.party_size, request.guest
                )
            except UpstreamTimeoutError as error:
                if error.maybe_received:
                    return await self._ambiguous(reservation, layer, slot, error, links)
                failures.append(layer_failure(error, link_for(links, provider)))
                continue
            except SlotGoneError:
                fresh = await self._recheck(layer, request)
                return self._gone(reservation, request, fresh, links, failures)
            except APIError as error:
                failures.append(layer_failure(error, link_for(links, provider)))
                continue
            return BookingAnswer(
                self._confirm(reservation, slot, confirmation), failures=tuple(failures)
            )

        message = hand_booking_steps(request, links, failures)
        failed = self._save(reservation, ReservationStatus.FAILED, message=message)
        return BookingAnswer(failed, deep_links=links, failures=tuple(failures))

    async def _ambiguous(
        self,
        reservation: Reservation,
        layer: BookingLayer,
        slot: Slot,
        error: UpstreamTimeoutError,
        links: tuple[DeepLink, ...],
    ) -> BookingAnswer:
        """The platform may have booked it: read back, never re-send blind."""
        provider = layer.booking.provider
        logger.warning(
            "booking.ambiguous",
            extra={"reservation_id": reservation.reservation_id, "provider": provider},
        )
        reservation = self._save(
            reservation,
            ReservationStatus.UNKNOWN,
            platform=PLATFORMS.get(provider),
            start=slot.start,
            slot_token=slot.token,
            message="Checking with the platform whether the booking went through.",
        )
        try:
            found = await layer.booking.find_booked(
                slot, reservation.party_size, reservation.guest
            )
        except APIError as check:
            return BookingAnswer(
                self._unknown(reservation, provider, check), deep_links=links
            )
        if found is not None:
            return BookingAnswer(self._confirm(reservation, slot, found))

        message = hand_booking_steps(
            as_input(reservation), links, [layer_failure(error)]
        )
        failed = self._save(reservation, ReservationStatus.FAILED, message=message)
        return BookingAnswer(failed, deep_links=links, failures=(layer_failure(error),))

    async def _recheck(
        self, layer: BookingLayer, request: BookingInput
    ) -> Sequence[Slot]:
        try:
            return await layer.availability.find_slots(query_of(request))
        except APIError:
            return ()

    def _gone(
        self,
        reservation: Reservation,
        request: BookingInput,
        slots: Sequence[Slot],
        links: tuple[DeepLink, ...],
        failures: list[LayerFailure],
    ) -> BookingAnswer:
        alternatives = nearest(slots, request, 3)
        message = slot_gone_sentence(request, alternatives)
        failed = self._save(reservation, ReservationStatus.FAILED, message=message)
        return BookingAnswer(
            failed,
            deep_links=links,
            failures=tuple(failures),
            alternatives=alternatives,
        )

    def _confirm(
        self, reservation: Reservation, slot: Slot, confirmation: BookingConfirmation
    ) -> Reservation:
        return self._save(
            reservation,
            ReservationStatus.CONFIRMED,
            platform=slot.platform,
            confirmation_id=confirmation.confirmation_id,
            platform_token=confirmation.platform_token,
            start=slot.start,
            slot_token=slot.token,
            message="",
        )

    def _unknown(
        self, reservation: Reservation, provider: str, error: APIError
    ) -> Reservation:
        told = layer_failure(error)
        message = (
            "The booking may or may not have gone through: the platform did not "
            f"answer in time and I couldn't check ({told.message}). Check the "
            "guest's upcoming reservations on the platform before booking again; "
            "calling MakeReservation again with the same idempotency key checks again."
        )
        return self._save(reservation, ReservationStatus.UNKNOWN, message=message)

    def _save(
        self, reservation: Reservation, status: ReservationStatus, **changes: Any
    ) -> Reservation:
        updated = replace(
            reservation, status=status, updated_at=self._clock.now(), **changes
        )
        self._store.save(updated)
        logger.info(
            "booking.status",
            extra={
                "reservation_id": updated.reservation_id,
                "status": status.value,
                "platform": updated.platform.value if updated.platform else "",
            },
        )
        return updated

    def _layers_for(self, request: BookingInput) -> list[BookingLayer]:
        """The token's platform first, then the others that know the place."""
        serving = [
            layer for layer in self._layers if layer.booking.serves(request.restaurant)
        ]
        first = token_provider(request.slot_token)
        return sorted(serving, key=lambda layer: layer.booking.provider != first)

    def _serving(self, reservation: Reservation) -> list[BookingLayer]:
        return [
            layer
            for layer in self._layers
            if layer.booking.serves(reservation.restaurant)
        ]
