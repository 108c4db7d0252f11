"""Booking exactly once: idempotency keys, ambiguous timeouts, slot gone, fallback."""

import asyncio
import itertools
from datetime import date, datetime, time

import pytest

from application.booking import BookingLayer, MakeReservation
from application.reservation_desk import ReservationDesk
from domain.errors import (
    CircuitOpenError,
    InvalidRequestError,
    NotFoundError,
    SlotGoneError,
    TransientAPIError,
    UpstreamTimeoutError,
)
from domain.models import Guest, Platform, ReservationStatus, Slot
from domain.validation import BookingInput
from tests.fakes import FakeAvailability, FakeBooking, InMemoryReservationStore
from tests.unit.conftest import BISTRO, NY

DAY = date(2027, 1, 15)
GUEST = Guest("Ada Lovelace", "+1 212 555 0100", "ada@example.com")


def resy_slot(hour: int, minute: int = 0) -> Slot:
    start = datetime(2027, 1, 15, hour, minute, tzinfo=NY)
    token = (
        f"rgs://resy/1001/9/2/2027-01-15/2027-01-15/{hour:02}:{minute:02}:00/2/Dining"
    )
    return Slot(start, None, "Dining Room", Platform.RESY, token)


def ot_slot(hour: int) -> Slot:
    start = datetime(2027, 1, 15, hour, 0, tzinfo=NY)
    token = f"ot://sandbox-1001-new-york/2027-01-15T{hour:02}:00/2"
    return Slot(start, None, "Standard", Platform.OPENTABLE, token)


def request(
    slot: Slot | None = None, key: str = "key-00000001", **changes
) -> BookingInput:
    slot = slot or resy_slot(19)
    local = slot.start
    fields = dict(
        restaurant=BISTRO,
        party_size=2,
        guest=GUEST,
        idempotency_key=key,
        slot_token=slot.token,
        day=local.date(),
        at=time(local.hour, local.minute),
    )
    fields.update(changes)
    return BookingInput(**fields)


@pytest.fixture
def platforms():
    resy_slots, ot_slots = FakeAvailability("resy"), FakeAvailability("opentable")
    resy_slots.default = [resy_slot(18), resy_slot(19), resy_slot(20, 30)]
    ot_slots.default = [ot_slot(19), ot_slot(21)]
    return {
        "resy": (resy_slots, FakeBooking("resy")),
        "opentable": (ot_slots, FakeBooking("opentable")),
    }


@pytest.fixture
def store():
    return InMemoryReservationStore()


@pytest.fixture
def book(platforms, store, clock):
    ids = (f"rsv_{n:016x}" for n in itertools.count(1))
    layers = [BookingLayer(a, b) for a, b in platforms.values()]
    return MakeReservation(layers, store, clock, lambda: next(ids))


async def test_books_on_resy_and_stores_the_confirmation(book, platforms, store):
    answer = await book(request())

    reservation = answer.reservation
    assert reservation.status is ReservationStatus.CONFIRMED
    assert (reservation.platform, reservation.confirmation_id) == (
        Platform.RESY,
        "resy-1",
    )
    assert reservation.start == datetime(2027, 1, 15, 19, 0, tzinfo=NY)
    assert store.get(reservation.reservation_id) == reservation
    assert len(platforms["resy"][1].booked) == 1


async def test_the_same_key_returns_the_same_reservation_and_books_once(
    book, platforms
):
    first = await book(request())
    again = await book(request())

    assert again.replayed and not first.replayed
    assert again.reservation == first.reservation
    assert len(platforms["resy"][1].booked) == 1


async def test_the_same_key_with_another_request_is_refused(book, platforms):
    await book(request())

    with pytest.raises(InvalidRequestError) as caught:
        await book(request(resy_slot(18)))

    assert caught.value.violations[0].field == "idempotency_key"
    assert len(platforms["resy"][1].booked) == 1


async def test_concurrent_calls_with_one_key_book_once(book, platforms):
    answers = await asyncio.gather(*(book(request()) for _ in range(50)))

    assert len(platforms["resy"][1].booked) == 1
    assert len({a.reservation.reservation_id for a in answers}) == 1
    assert sum(not a.replayed for a in answers) == 1


async def test_a_timeout_after_sending_is_read_back_not_resent(book, platforms):
    resy = platforms["resy"][1]
    resy.outcomes = [UpstreamTimeoutError("no answer", provider="resy")]

    answer = await book(request())

    assert answer.reservation.status is ReservationStatus.CONFIRMED
    assert answer.reservation.confirmation_id == "resy-1"
    assert len(resy.booked) == 1
    assert platforms["opentable"][1].booked == []


async def test_an_unresolved_timeout_is_unknown_until_a_retry_reads_it_back(
    book, platforms
):
    resy = platforms["resy"][1]
    resy.outcomes = [UpstreamTimeoutError("no answer", provider="resy")]
    resy.read_back_fails = [TransientAPIError("503", 503, provider="resy")]

    unknown = await book(request())
    settled = await book(request())

    assert unknown.reservation.status is ReservationStatus.UNKNOWN
    assert "may or may not have gone through" in unknown.reservation.message
    assert settled.reservation.status is ReservationStatus.CONFIRMED
    assert len(resy.booked) == 1
    assert platforms["opentable"][1].booked == []


async def test_a_timeout_that_booked_nothing_is_failed_not_resent(book, platforms):
    resy = platforms["resy"][1]
    resy.commit_before_failing = False
    resy.outcomes = [UpstreamTimeoutError("no answer", provider="resy")]

    answer = await book(request())

    assert answer.reservation.status is ReservationStatus.FAILED
    assert resy.booked == [] and platforms["opentable"][1].booked == []


async def test_a_slot_gone_at_book_offers_the_nearest_rechecked_live(book, platforms):
    availability, resy = platforms["resy"]
    resy.outcomes = [SlotGoneError("taken", 404, provider="resy")]

    answer = await book(request())

    assert answer.reservation.status is ReservationStatus.FAILED
    assert [s.start.hour for s in answer.alternatives] == [18, 20]
    assert "no longer available" in answer.reservation.message
    assert len(availability.calls) == 2
    assert resy.booked == []


async def test_a_slot_missing_from_the_live_check_is_gone_without_booking(
    book, platforms
):
    answer = await book(request(resy_slot(17, 15)))

    assert answer.reservation.status is ReservationStatus.FAILED
    assert platforms["resy"][1].booked == []
    assert answer.alternatives


async def test_resy_down_books_the_same_time_on_opentable(book, platforms):
    platforms["resy"][1].outcomes = [CircuitOpenError("open", provider="resy")]

    answer = await book(request())

    reservation = answer.reservation
    assert reservation.status is ReservationStatus.CONFIRMED
    assert reservation.platform is Platform.OPENTABLE
    assert reservation.start.hour == 19
    assert answer.failures[0].reason == "CIRCUIT_OPEN"


async def test_every_layer_down_gives_steps_and_links(book, platforms):
    for availability, _ in platforms.values():
        availability.default = TransientAPIError(
            "503", 503, provider=availability.provider
        )

    answer = await book(request())

    assert answer.reservation.status is ReservationStatus.FAILED
    assert "To book by hand:" in answer.reservation.message
    assert "1. Open https://resy.com/cities/new-york-ny/venues/sandbox-1001" in (
        answer.reservation.message
    )
    assert [f.provider for f in answer.failures] == ["resy", "opentable"]
    assert answer.deep_links


async def test_cancel_keeps_the_reservation_with_its_status(
    book, platforms, store, clock
):
    made = await book(request())
    desk = ReservationDesk(
        [BookingLayer(a, b) for a, b in platforms.values()], store, clock
    )

    cancelled = await desk.cancel(made.reservation.reservation_id)

    assert cancelled.status is ReservationStatus.CANCELLED
    assert store.get(cancelled.reservation_id).status is ReservationStatus.CANCELLED
    assert platforms["resy"][1].cancelled == ["resy-1"]
    with pytest.raises(NotFoundError):
        desk.get("rsv_unknown")


async def test_a_failed_booking_is_tried_again_with_the_same_key(book, platforms):
    resy_slots, resy = platforms["resy"]
    ot_slots, _ = platforms["opentable"]
    down = TransientAPIError("503", 503, provider="resy")
    resy_slots.script = [down]
    ot_slots.script = [TransientAPIError("503", 503, provider="opentable")]

    failed = await book(request())
    retried = await book(request())
    again = await book(request())

    assert failed.reservation.status is ReservationStatus.FAILED
    assert retried.reservation.status is ReservationStatus.CONFIRMED
    assert retried.reservation.reservation_id == failed.reservation.reservation_id
    assert not retried.replayed and again.replayed
    assert again.reservation == retried.reservation
    assert len(resy.booked) == 1


async def test_an_unexpected_failure_leaves_unknown_and_a_replay_reads_back(
    book, platforms, store
):
    resy = platforms["resy"][1]
    resy.outcomes = [RuntimeError("a bug after the booking was sent")]
    resy.commit_before_failing = True

    with pytest.raises(RuntimeError):
        await book(request())
    stuck = next(iter(store.rows.values()))

    again = await book(request())

    assert stuck.status is ReservationStatus.UNKNOWN
    assert again.reservation.status is ReservationStatus.CONFIRMED
    assert again.reservation.reservation_id == stuck.reservation_id
    assert len(resy.booked) == 1
