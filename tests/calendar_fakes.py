"""Test doubles of the calendar ports, and reservations to put in a calendar."""

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from adapters.calendar.ics import IcalendarIcs
from application.calendar import ReservationCalendar
from application.calendar_sync import CalendarSyncer, SyncPolicy
from domain.calendar import WAITING, CalendarEvent, SyncRecord, SyncState
from domain.errors import APIError
from domain.models import (
    Guest,
    Platform,
    Reservation,
    ReservationStatus,
    RestaurantRef,
)
from tests.fakes import FakeClock, InMemoryReservationStore

NEW_YORK = ZoneInfo("America/New_York")
T0 = datetime(2027, 1, 10, 17, 0, tzinfo=UTC)
RID = "rsv_0123456789abcdef"
TAVERN = RestaurantRef(
    "Sandbox Tavern",
    "America/New_York",
    resy_venue_id="1001",
    address="12 Harrow Lane, New York, NY 10013",
)


def booked(reservation_id: str = RID, **changes: Any) -> Reservation:
    """A confirmed Resy booking at the Tavern, 19:30 on 2027-01-15."""
    fields: dict[str, Any] = {
        "reservation_id": reservation_id,
        "idempotency_key": "key-" + reservation_id,
        "fingerprint": "fp",
        "restaurant": TAVERN,
        "party_size": 2,
        "guest": Guest("Ada Lovelace"),
        "status": ReservationStatus.CONFIRMED,
        "created_at": T0,
        "updated_at": T0,
        "start": datetime(2027, 1, 15, 19, 30, tzinfo=NEW_YORK),
        "platform": Platform.RESY,
        "confirmation_id": "RESY-987654321",
    }
    fields.update(changes)

    return Reservation(**fields)


class FakeCalendarSync:
    """A calendar in memory; `script` makes the next calls raise, one each."""

    provider = "calendar"

    def __init__(self) -> None:
        self.events: dict[str, CalendarEvent] = {}
        self.removed: list[str] = []
        self.calls: list[tuple[str, str]] = []
        self.script: list[APIError] = []

    async def put(self, event: CalendarEvent, *, existing: bool = False) -> None:
        self.calls.append(("put", event.event_id))
        self._maybe_fail()
        self.events[event.event_id] = event

    async def remove(self, event_id: str) -> None:
        self.calls.append(("remove", event_id))
        self._maybe_fail()
        self.events.pop(event_id, None)
        self.removed.append(event_id)

    def _maybe_fail(self) -> None:
        if self.script:
            raise self.script.pop(0)


class InMemoryCalendarSyncStore:
    def __init__(self) -> None:
        self.rows: dict[str, SyncRecord] = {}

    def get(self, reservation_id: str) -> SyncRecord | None:
        return self.rows.get(reservation_id)

    def save(self, record: SyncRecord) -> None:
        self.rows[record.reservation_id] = record

    def finish(self, record: SyncRecord) -> bool:
        stored = self.rows.get(record.reservation_id)
        if stored is None or stored.revision != record.revision:
            return False
        self.rows[record.reservation_id] = replace(record)
        return True

    def due(self, now: datetime, limit: int) -> list[SyncRecord]:
        waiting = [
            r
            for r in self.rows.values()
            if r.state in WAITING and r.next_attempt_at and r.next_attempt_at <= now
        ]
        waiting.sort(key=lambda r: (r.next_attempt_at, r.reservation_id))
        return waiting[:limit]

    def next_due(self) -> datetime | None:
        times = [
            r.next_attempt_at
            for r in self.rows.values()
            if r.state in WAITING and r.next_attempt_at
        ]
        return min(times, default=None)

    def states(self, reservation_ids) -> dict[str, SyncState]:
        return {
            rid: self.rows[rid].state for rid in reservation_ids if rid in self.rows
        }


class World:
    """The calendar use case and its syncer on fakes, one fake clock."""

    def __init__(self, syncing: bool = True, **policy) -> None:
        self.clock = FakeClock(T0)
        self.reservations = InMemoryReservationStore()
        self.records = InMemoryCalendarSyncStore()
        self.sync = FakeCalendarSync()
        self.syncer = CalendarSyncer(
            self.sync,
            self.records,
            self.reservations,
            self.clock,
            SyncPolicy(**policy),
        )
        self.calendar = ReservationCalendar(
            self.reservations,
            self.records,
            IcalendarIcs(),
            self.clock,
            self.syncer if syncing else None,
        )

    def book(self, reservation=None):
        reservation = reservation or booked(RID)
        self.reservations.rows[reservation.reservation_id] = reservation
        return reservation

    def record(self):
        return self.records.get(RID)
