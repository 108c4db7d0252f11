"""BookingService: make, get, list and cancel reservations."""

import grpc

from application.booking import BookingAnswer, MakeReservation
from application.booking_words import confirmation_text
from application.calendar import ReservationCalendar
from application.reservation_desk import ReservationDesk
from domain.calendar import SyncState
from domain.errors import FieldViolation, InvalidRequestError
from domain.models import Guest, Reservation, ReservationStatus
from domain.ports import Clock
from domain.validation import BookingInput, parse_booking
from entrypoints.grpc_api.calendar import SYNC_STATES
from entrypoints.grpc_api.calls import rpc
from entrypoints.grpc_api.translate import (
    PLATFORMS,
    failure_to_proto,
    link_to_proto,
    restaurant_from_proto,
    restaurant_ref_to_proto,
    slot_to_proto,
    timestamp,
)
from reservations.v1 import booking_pb2, booking_pb2_grpc

_STATUSES = {
    ReservationStatus.PENDING: booking_pb2.RESERVATION_STATUS_PENDING,
    ReservationStatus.CONFIRMED: booking_pb2.RESERVATION_STATUS_CONFIRMED,
    ReservationStatus.UNKNOWN: booking_pb2.RESERVATION_STATUS_UNKNOWN,
    ReservationStatus.FAILED: booking_pb2.RESERVATION_STATUS_FAILED,
    ReservationStatus.CANCELLED: booking_pb2.RESERVATION_STATUS_CANCELLED,
}


def reservation_to_proto(
    reservation: Reservation, sync: SyncState = SyncState.OFF
) -> booking_pb2.Reservation:
    message = booking_pb2.Reservation(
        reservation_id=reservation.reservation_id,
        status=_STATUSES[reservation.status],
        confirmation_id=reservation.confirmation_id,
        restaurant=restaurant_ref_to_proto(reservation.restaurant),
        time_zone=reservation.restaurant.time_zone,
        party_size=reservation.party_size,
        guest=booking_pb2.Guest(
            name=reservation.guest.name,
            phone=reservation.guest.phone,
            email=reservation.guest.email,
        ),
        message=reservation.message,
        created_at=timestamp(reservation.created_at),
        updated_at=timestamp(reservation.updated_at),
        idempotency_key=reservation.idempotency_key,
        calendar_sync=SYNC_STATES[sync],
    )
    if reservation.platform is not None:
        message.platform = PLATFORMS[reservation.platform]
    if reservation.start is not None:
        message.start_local = reservation.start.isoformat()
        message.start.CopyFrom(timestamp(reservation.start))
    return message


def _answer_to_proto(
    answer: BookingAnswer, link: str = "", sync: SyncState = SyncState.OFF
) -> booking_pb2.MakeReservationResponse:
    reservation = answer.reservation
    zone = reservation.restaurant.time_zone
    text = ""
    if reservation.status is ReservationStatus.CONFIRMED:
        text = confirmation_text(reservation, link)
    return booking_pb2.MakeReservationResponse(
        reservation=reservation_to_proto(reservation, sync),
        calendar_link=link,
        replayed=answer.replayed,
        confirmation_text=text,
        deep_links=[link_to_proto(link) for link in answer.deep_links],
        failures=[failure_to_proto(f) for f in answer.failures],
        alternatives=[slot_to_proto(s, zone) for s in answer.alternatives],
    )


def _reservation_id(value: str) -> str:
    value = value.strip()
    if not value or len(value) > 64:
        raise InvalidRequestError(
            [
                FieldViolation(
                    "reservation_id", "is required (as MakeReservation gave it)"
                )
            ]
        )
    return value


class BookingServicer(booking_pb2_grpc.BookingServiceServicer):
    """The booking use cases; the calendar hears of each booking afterwards."""

    def __init__(
        self,
        book: MakeReservation,
        desk: ReservationDesk,
        clock: Clock,
        calendar: ReservationCalendar | None = None,
    ):
        self.book = book
        self.desk = desk
        self.clock = clock
        self.calendar = calendar

    def _sync_state(self, reservation: Reservation) -> SyncState:
        if self.calendar is None:
            return SyncState.OFF
        rid = reservation.reservation_id

        return self.calendar.sync_states([rid])[rid]

    @rpc
    async def MakeReservation(
        self,
        request: booking_pb2.MakeReservationRequest,
        context: grpc.aio.ServicerContext,
    ) -> booking_pb2.MakeReservationResponse:
        raw = BookingInput(
            restaurant=restaurant_from_proto(request.restaurant),
            party_size=request.party_size,
            guest=Guest(
                request.guest.name.strip(),
                request.guest.phone.strip(),
                request.guest.email.strip(),
            ),
            idempotency_key=request.idempotency_key,
            slot_token=request.slot_token.strip(),
        )
        checked = parse_booking(raw, request.date, request.time, self.clock.now())
        answer = await self.book(checked)
        booked = answer.reservation
        if self.calendar is None or booked.status is not ReservationStatus.CONFIRMED:
            return _answer_to_proto(answer)
        # A replay queues nothing new: the event id is the reservation's own.
        self.calendar.confirmed(booked)

        return _answer_to_proto(
            answer, self.calendar.link(booked), self._sync_state(booked)
        )

    @rpc
    async def GetReservation(
        self,
        request: booking_pb2.GetReservationRequest,
        context: grpc.aio.ServicerContext,
    ) -> booking_pb2.Reservation:
        found = self.desk.get(_reservation_id(request.reservation_id))
        return reservation_to_proto(found, self._sync_state(found))

    @rpc
    async def ListReservations(
        self,
        request: booking_pb2.ListReservationsRequest,
        context: grpc.aio.ServicerContext,
    ) -> booking_pb2.ListReservationsResponse:
        limit = request.limit or 50
        if not 1 <= limit <= 200:
            raise InvalidRequestError(
                [FieldViolation("limit", f"must be from 1 to 200, got {limit}")]
            )
        found = self.desk.list(limit)
        ids = [r.reservation_id for r in found]
        states = self.calendar.sync_states(ids) if self.calendar else {}
        return booking_pb2.ListReservationsResponse(
            reservations=[
                reservation_to_proto(r, states.get(r.reservation_id, SyncState.OFF))
                for r in found
            ]
        )

    @rpc
    async def CancelReservation(
        self,
        request: booking_pb2.CancelReservationRequest,
        context: grpc.aio.ServicerContext,
    ) -> booking_pb2.Reservation:
        cancelled = await self.desk.cancel(_reservation_id(request.reservation_id))
        if self.calendar is not None:
            self.calendar.cancelled(cancelled)
        return reservation_to_proto(cancelled, self._sync_state(cancelled))
