"""The sync worker with fakes: failures queue, back off on the fake clock, give up."""

import asyncio
from datetime import timedelta

import pytest

from domain.calendar import SyncState
from domain.errors import (
    AuthError,
    CircuitOpenError,
    PermanentAPIError,
    TransientAPIError,
)
from tests.calendar_fakes import RID, T0, World, booked


@pytest.fixture
def world() -> World:
    return World()


async def test_a_failed_sync_never_reaches_the_caller_and_is_retried_later(world):
    reservation = world.book()
    world.sync.script = [TransientAPIError("503", 503, provider="calendar")]

    world.calendar.confirmed(reservation)
    await world.syncer.settle()

    record = world.record()
    assert record.state is SyncState.RETRYING
    assert record.attempts == 1
    assert record.next_attempt_at == T0 + timedelta(seconds=30)
    assert "Google Calendar is temporarily unavailable" in record.last_error
    assert await world.syncer.run_due() == 0  # not yet due
    world.clock.advance(30)
    assert await world.syncer.run_due() == 1
    assert world.record().state is SyncState.SYNCED
    assert world.record().last_error == ""


async def test_waits_double_and_respect_a_longer_retry_after(world):
    world.book()
    world.calendar.confirmed(booked(RID))
    world.sync.script = [
        TransientAPIError("429", 429, provider="calendar"),
        CircuitOpenError("open", provider="calendar", retry_after=300),
        TransientAPIError("429", 429, provider="calendar"),
    ]
    waits = []
    for _ in range(3):
        before = world.clock.now()
        await world.syncer.attempt(RID)
        waits.append((world.record().next_attempt_at - before).total_seconds())
        world.clock.advance(waits[-1])

    assert waits == [30, 300, 120]
    await world.syncer.run_due()
    assert world.record().state is SyncState.SYNCED


async def test_a_refused_event_fails_at_once_but_credentials_are_retried(world):
    world.book()
    world.calendar.confirmed(booked(RID))
    world.sync.script = [AuthError("401", 401, provider="calendar")]
    await world.syncer.settle()
    assert world.record().state is SyncState.RETRYING
    assert "credentials" in world.record().last_error

    world.sync.script = [
        PermanentAPIError("400 timeRangeEmpty", 400, provider="calendar")
    ]
    world.clock.advance(60)
    await world.syncer.run_due()

    assert world.record().state is SyncState.FAILED
    assert world.record().next_attempt_at is None
    assert "timeRangeEmpty" in world.record().last_error


async def test_gives_up_after_the_last_attempt():
    world = World(max_attempts=3)
    world.book()
    world.calendar.confirmed(booked(RID))
    world.sync.script = [TransientAPIError("503", 503, provider="calendar")] * 3
    await world.syncer.settle()

    for _ in range(2):
        world.clock.advance(3600)
        await world.syncer.run_due()

    assert world.record().state is SyncState.FAILED
    assert world.record().attempts == 3
    assert world.records.next_due() is None


async def test_the_worker_retries_on_the_clock_and_stops_cleanly():
    world = World(poll_interval=600.0)
    world.book()
    world.sync.script = [TransientAPIError("503", 503, provider="calendar")] * 2
    world.calendar.confirmed(booked(RID))
    await world.syncer.settle()

    world.syncer.start()
    for _ in range(50):
        if world.record().state is SyncState.SYNCED:
            break
        await asyncio.sleep(0)
    await world.syncer.stop()

    assert world.record().state is SyncState.SYNCED
    assert world.record().attempts == 3
    assert world.clock.slept[:2] == [30.0, 60.0]  # slept until each was due
    assert world.record().synced_at == T0 + timedelta(seconds=90)
