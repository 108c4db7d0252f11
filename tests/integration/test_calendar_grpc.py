"""Booking over gRPC with Calendar sync against the sandbox: link, .ics, one event."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import grpc
import httpx
import pytest
from icalendar import Calendar

from adapters.calendar.resilient import ResilientCalendarSync
from adapters.resilience.policy import UpstreamPolicy
from adapters.resilience.registry import BreakerRegistry
from adapters.storage.migrate import upgrade
from entrypoints.config import Settings
from entrypoints.container import Container
from entrypoints.grpc_api.server import GatewayServer
from entrypoints.sandbox.server import start_sandbox
from reservations.v1 import (
    availability_pb2,
    availability_pb2_grpc,
    booking_pb2,
    booking_pb2_grpc,
    calendar_pb2,
    calendar_pb2_grpc,
)
from tests.fakes import FakeClock

BISTRO = {
    "name": "Sandbox Bistro",
    "resy_venue_id": "1001",
    "resy_url_slug": "sandbox-1001",
    "resy_city": "new-york-ny",
    "time_zone": "America/New_York",
    "address": "1 Sandbox Way, New York, NY",
}
SYNCED = calendar_pb2.CALENDAR_SYNC_STATUS_SYNCED


class Gateway:
    def __init__(self, container, sandbox, channel, backoff: FakeClock) -> None:
        self.container = container
        self.sandbox = sandbox
        self.backoff = backoff
        self.availability = availability_pb2_grpc.AvailabilityServiceStub(channel)
        self.booking = booking_pb2_grpc.BookingServiceStub(channel)
        self.calendar = calendar_pb2_grpc.CalendarServiceStub(channel)

    async def settle(self) -> None:
        await self.container.calendar.syncer().settle()

    async def book(self, key: str, day_offset: int = 3):
        day = (self.container.clock().now() + timedelta(days=day_offset)).date()
        found = await self.availability.CheckAvailability(
            availability_pb2.CheckAvailabilityRequest(
                restaurant=BISTRO, date=day.isoformat(), party_size=2
            )
        )
        slot = found.slots[0]
        return await self.booking.MakeReservation(
            booking_pb2.MakeReservationRequest(
                restaurant=BISTRO,
                slot_token=slot.token,
                party_size=2,
                guest={"name": "Ada Lovelace"},
                idempotency_key=key,
            )
        )

    async def events(self) -> list[dict]:
        async with httpx.AsyncClient() as client:
            answer = await client.get(
                self.sandbox.base_url + "/_sandbox/calendar/events"
            )
        return answer.json()["events"]


@pytest.fixture
async def gateway(tmp_path):
    sandbox = await start_sandbox()
    settings = Settings(
        data_dir=tmp_path,
        sandbox_address=sandbox.base_url.removeprefix("http://"),
        opentable_base_url="http://127.0.0.1:9",  # OpenTable is not in this test
        calendar_sync="sandbox",
    )
    container = Container(settings=settings)
    # The calendar's retries wait on a fake clock: no test sleeps for backoff.
    backoff = FakeClock()
    registry = BreakerRegistry(backoff, [UpstreamPolicy("calendar", jitter="none")])
    container.calendar.sync.override(
        ResilientCalendarSync(
            container.calendar.google(), registry.resilience("calendar")
        )
    )
    upgrade(container.engine())
    await container.ledger().start()
    server = GatewayServer(container, "127.0.0.1:0")
    await server.start()
    runtime = container.calendar.runtime()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        yield Gateway(container, sandbox, channel, backoff)
    await server.stop(0)
    await runtime.stop()
    await container.ledger().close()
    await container.resy_http().aclose()
    container.engine().dispose()
    await sandbox.close()


async def test_a_booking_answers_with_the_link_and_syncs_one_event(gateway):
    made = await gateway.book("calendar-key-0001")
    await gateway.settle()

    reservation = made.reservation
    assert reservation.status == booking_pb2.RESERVATION_STATUS_CONFIRMED
    assert made.calendar_link.startswith("https://calendar.google.com/calendar/render?")
    lines = made.confirmation_text.split("\n")
    assert lines[0].startswith("Booked! Sandbox Bistro, ")
    assert lines[0].endswith(", party of 2")
    assert lines[-1] == f"Add to Google Calendar: {made.calendar_link}"
    query = parse_qs(urlsplit(made.calendar_link).query)
    assert query["text"] == ["Dinner at Sandbox Bistro"]
    assert query["location"] == [BISTRO["address"]]
    start, end = query["dates"][0].split("/")
    assert start.endswith("Z") and end.endswith("Z")
    assert f"Confirmation: {reservation.confirmation_id}" in query["details"][0]
    got = await gateway.booking.GetReservation(
        booking_pb2.GetReservationRequest(reservation_id=reservation.reservation_id)
    )
    assert got.calendar_sync == SYNCED
    events = await gateway.events()
    assert len(events) == 1 and events[0]["status"] == "confirmed"


async def test_a_retried_booking_leaves_exactly_one_event(gateway):
    gateway.sandbox.faults.apply("calendar=insert-lost")
    first = await gateway.book("calendar-key-0002")
    await gateway.settle()

    again = await gateway.book("calendar-key-0002")
    await gateway.settle()

    assert again.replayed
    assert again.reservation.reservation_id == first.reservation.reservation_id
    assert again.calendar_link == first.calendar_link
    events = await gateway.events()
    assert len(events) == 1
    entry = await gateway.calendar.GetCalendarEvent(
        calendar_pb2.GetCalendarEventRequest(
            reservation_id=first.reservation.reservation_id
        )
    )
    assert entry.sync.status == SYNCED
    assert entry.sync.event_id == events[0]["id"]
    assert gateway.backoff.slept  # the lost insert was retried after a wait


async def test_get_calendar_event_returns_a_parsable_ics(gateway):
    made = await gateway.book("calendar-key-0003")
    await gateway.settle()

    entry = await gateway.calendar.GetCalendarEvent(
        calendar_pb2.GetCalendarEventRequest(
            reservation_id=made.reservation.reservation_id
        )
    )

    assert entry.ics_media_type == "text/calendar"
    assert entry.ics_filename.endswith(".ics")
    assert entry.calendar_link == made.calendar_link
    assert entry.time_zone == "America/New_York"
    event = Calendar.from_ical(entry.ics).walk("VEVENT")[0]
    assert str(event["UID"]) == entry.uid
    assert event.decoded("DTSTART").isoformat() == entry.start_local
    assert event.decoded("DTEND").isoformat() == entry.end_local
    assert made.reservation.start_local == entry.start_local


async def test_a_cancellation_deletes_the_event_and_the_ics_says_cancel(gateway):
    made = await gateway.book("calendar-key-0004")
    await gateway.settle()
    rid = made.reservation.reservation_id

    cancelled = await gateway.booking.CancelReservation(
        booking_pb2.CancelReservationRequest(reservation_id=rid)
    )
    await gateway.settle()

    assert cancelled.status == booking_pb2.RESERVATION_STATUS_CANCELLED
    entry = await gateway.calendar.GetCalendarEvent(
        calendar_pb2.GetCalendarEventRequest(reservation_id=rid)
    )
    assert entry.sync.status == calendar_pb2.CALENDAR_SYNC_STATUS_REMOVED
    assert entry.calendar_link == ""
    assert entry.sequence == 1
    assert b"METHOD:CANCEL\r\n" in entry.ics
    assert [e["status"] for e in await gateway.events()] == ["cancelled"]


async def test_a_calendar_outage_never_fails_the_booking(gateway):
    gateway.sandbox.faults.apply("calendar=outage")

    made = await gateway.book("calendar-key-0005")
    await gateway.settle()

    assert made.reservation.status == booking_pb2.RESERVATION_STATUS_CONFIRMED
    assert made.calendar_link
    listed = await gateway.booking.ListReservations(
        booking_pb2.ListReservationsRequest()
    )
    assert [r.calendar_sync for r in listed.reservations] == [
        calendar_pb2.CALENDAR_SYNC_STATUS_RETRYING
    ]
    entry = await gateway.calendar.GetCalendarEvent(
        calendar_pb2.GetCalendarEventRequest(
            reservation_id=made.reservation.reservation_id
        )
    )
    assert "Google Calendar" in entry.sync.last_error
    assert entry.sync.HasField("next_attempt_at")
    assert await gateway.events() == []


@pytest.mark.parametrize(
    ("reservation_id", "code"),
    [
        ("rsv_doesnotexist00", grpc.StatusCode.NOT_FOUND),
        ("  ", grpc.StatusCode.INVALID_ARGUMENT),
    ],
)
async def test_unknown_or_missing_ids_are_refused(gateway, reservation_id, code):
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await gateway.calendar.GetCalendarEvent(
            calendar_pb2.GetCalendarEventRequest(reservation_id=reservation_id)
        )

    assert caught.value.code() == code
