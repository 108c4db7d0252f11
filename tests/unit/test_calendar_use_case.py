"""The calendar use case with fakes: link, .ics, queue, change and cancellation."""

import asyncio
from datetime import datetime

import pytest

from adapters.calendar.ics import IcalendarIcs
from application.calendar import ReservationCalendar
from domain.calendar import SyncAction, SyncState, event_id_for
from domain.errors import NotFoundError, PreconditionError
from domain.models import ReservationStatus
from tests.calendar_fakes import NEW_YORK, RID, T0, World, booked


@pytest.fixture
def world() -> World:
    return World()


async def test_confirmed_queues_then_syncs_in_the_background(world):
    reservation = world.book()

    world.calendar.confirmed(reservation)

    assert world.record().state is SyncState.PENDING
    assert world.sync.calls == []  # the caller was not kept waiting
    await world.syncer.settle()
    assert world.record().state is SyncState.SYNCED
    assert world.record().synced_at == T0
    assert list(world.sync.events) == [event_id_for(RID)]
    event = world.sync.events[event_id_for(RID)]
    assert event.reminder_minutes == 120
    assert event.start == datetime(2027, 1, 15, 19, 30, tzinfo=NEW_YORK)


async def test_a_replayed_confirmation_queues_nothing_new(world):
    reservation = world.book()
    world.calendar.confirmed(reservation)
    await world.syncer.settle()

    world.calendar.confirmed(reservation)
    await world.syncer.settle()

    assert world.sync.calls == [("put", event_id_for(RID))]
    assert world.record().revision == 1 and world.record().sequence == 0


async def test_a_change_raises_the_sequence_and_patches(world):
    world.calendar.confirmed(world.book())
    await world.syncer.settle()
    later = world.book(booked(RID, start=datetime(2027, 1, 15, 20, 0, tzinfo=NEW_YORK)))

    world.calendar.changed(later)
    await world.syncer.settle()

    record = world.record()
    assert (record.sequence, record.revision, record.state) == (1, 2, SyncState.SYNCED)
    assert world.sync.events[record.event_id].start.hour == 20
    assert world.sync.events[record.event_id].sequence == 1


async def test_a_cancellation_deletes_the_event_and_publishes_cancel(world):
    world.calendar.confirmed(world.book())
    await world.syncer.settle()
    cancelled = world.book(booked(RID, status=ReservationStatus.CANCELLED))

    world.calendar.cancelled(cancelled)
    await world.syncer.settle()

    record = world.record()
    assert record.action is SyncAction.REMOVE
    assert record.state is SyncState.REMOVED
    assert world.sync.events == {}
    entry = world.calendar.entry(RID)
    assert entry.link == ""
    assert b"METHOD:CANCEL" in entry.ics and b"SEQUENCE:1" in entry.ics


async def test_a_cancellation_during_an_insert_is_not_lost(world):
    world.book()
    release = asyncio.Event()
    original_put = world.sync.put

    async def slow_put(event, *, existing=False):
        await release.wait()
        await original_put(event, existing=existing)

    world.sync.put = slow_put
    world.calendar.confirmed(booked(RID))
    await asyncio.sleep(0)  # the insert is under way
    world.calendar.cancelled(
        world.book(booked(RID, status=ReservationStatus.CANCELLED))
    )
    release.set()
    await world.syncer.settle()

    assert world.record().state is SyncState.REMOVED
    assert world.sync.events == {}


async def test_entry_gives_the_link_the_ics_and_the_status(world):
    world.calendar.confirmed(world.book())
    await world.syncer.settle()

    entry = world.calendar.entry(RID)

    assert entry.link.startswith("https://calendar.google.com/calendar/render?")
    assert entry.ics.startswith(b"BEGIN:VCALENDAR\r\n")
    assert entry.sync.state is SyncState.SYNCED
    assert entry.filename == f"reservation-{RID}.ics"


async def test_unknown_and_unbooked_reservations_have_no_entry(world):
    with pytest.raises(NotFoundError, match="rsv_nope"):
        world.calendar.entry("rsv_nope")
    world.book(booked(RID, status=ReservationStatus.FAILED, start=None))
    with pytest.raises(PreconditionError, match="failed"):
        world.calendar.entry(RID)
    assert world.calendar.link(world.reservations.get(RID)) == ""


async def test_without_sync_the_record_says_off_and_nothing_is_sent():
    world = World(syncing=False)

    world.calendar.confirmed(world.book())
    await world.syncer.settle()
    entry = world.calendar.entry(RID)

    assert entry.sync.state is SyncState.OFF
    assert world.sync.calls == []
    assert world.calendar.sync_states([RID, "rsv_other"]) == {
        RID: SyncState.OFF,
        "rsv_other": SyncState.OFF,
    }


async def test_records_made_while_sync_was_off_are_synced_once_it_is_on():
    off = World(syncing=False)
    off.calendar.confirmed(off.book())
    on = World()
    on.reservations, on.records = off.reservations, off.records
    on.syncer._records = on.records
    on.syncer._reservations = on.reservations
    on.calendar = ReservationCalendar(
        on.reservations, on.records, IcalendarIcs(), on.clock, on.syncer
    )

    on.calendar.confirmed(on.reservations.get(RID))
    await on.syncer.settle()

    assert on.records.get(RID).state is SyncState.SYNCED
    assert on.records.get(RID).sequence == 0


async def test_a_broken_store_never_fails_the_booking(world, caplog):
    def broken(_record):
        raise OSError("disk full")

    world.records.save = broken

    world.calendar.confirmed(world.book())

    assert "calendar.enqueue_failed" in caplog.text
