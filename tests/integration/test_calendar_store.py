"""The calendar sync store's promises, on the fake, SQLite and PostgreSQL alike."""

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from adapters.storage.calendar_sync import SqlCalendarSyncStore
from adapters.storage.engine import default_sqlite_url, make_engine
from adapters.storage.migrate import upgrade
from domain.calendar import SyncAction, SyncRecord, SyncState
from domain.ports import CalendarSyncStore
from tests.calendar_fakes import InMemoryCalendarSyncStore
from tests.postgres import scratch_schema

T0 = datetime(2027, 1, 10, 17, 0, tzinfo=UTC)


def _postgres_store() -> Iterator[CalendarSyncStore]:
    with scratch_schema("rg_cal") as url:
        engine = make_engine(url)
        try:
            upgrade(engine)
            yield SqlCalendarSyncStore(engine)
        finally:
            engine.dispose()


@pytest.fixture(
    params=["fake", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def store(request, tmp_path) -> Iterator[CalendarSyncStore]:
    if request.param == "fake":
        yield InMemoryCalendarSyncStore()
    elif request.param == "sqlite":
        engine = make_engine(default_sqlite_url(tmp_path / "data"))
        upgrade(engine)
        yield SqlCalendarSyncStore(engine)
        engine.dispose()
    else:
        yield from _postgres_store()


def record(rid: str = "rsv_1", **changes) -> SyncRecord:
    fields = {
        "reservation_id": rid,
        "event_id": "abcdef0123456789",
        "action": SyncAction.PUT,
        "state": SyncState.PENDING,
        "fingerprint": "fp-1",
        "sequence": 0,
        "revision": 1,
        "updated_at": T0,
        "next_attempt_at": T0,
    }
    fields.update(changes)
    return SyncRecord(**fields)


def test_a_saved_record_reads_back_equal_with_aware_utc_times(store):
    saved = record(synced_at=T0 - timedelta(hours=1), last_error="Tried; said “no”.")

    store.save(saved)

    assert store.get("rsv_1") == saved
    assert store.get("rsv_1").next_attempt_at.tzinfo is not None
    assert store.get("rsv_other") is None


def test_save_replaces_the_stored_record(store):
    store.save(record())

    store.save(record(revision=2, action=SyncAction.REMOVE, sequence=1))

    assert store.get("rsv_1").revision == 2
    assert store.get("rsv_1").action is SyncAction.REMOVE


def test_finish_is_refused_once_a_newer_revision_was_saved(store):
    store.save(record())
    store.save(record(revision=2, fingerprint="fp-2"))

    kept = store.finish(record(state=SyncState.SYNCED, attempts=1))

    assert not kept
    assert store.get("rsv_1").state is SyncState.PENDING
    assert store.finish(record(revision=2, fingerprint="fp-2", state=SyncState.SYNCED))
    assert store.get("rsv_1").state is SyncState.SYNCED


def test_due_lists_waiting_records_whose_time_has_come_oldest_first(store):
    store.save(record("rsv_late", next_attempt_at=T0 + timedelta(minutes=5)))
    store.save(record("rsv_b", next_attempt_at=T0 - timedelta(minutes=1)))
    store.save(
        record("rsv_a", state=SyncState.RETRYING, next_attempt_at=T0 - timedelta(1))
    )
    store.save(record("rsv_done", state=SyncState.SYNCED, next_attempt_at=None))
    store.save(record("rsv_off", state=SyncState.OFF, next_attempt_at=None))

    due = store.due(T0, 10)

    assert [r.reservation_id for r in due] == ["rsv_a", "rsv_b"]
    assert [r.reservation_id for r in store.due(T0, 1)] == ["rsv_a"]
    assert store.next_due() == T0 - timedelta(days=1)


def test_next_due_is_none_when_nothing_waits(store):
    assert store.next_due() is None
    store.save(record(state=SyncState.FAILED, next_attempt_at=None))

    assert store.next_due() is None
    assert store.due(T0 + timedelta(days=365), 10) == []


def test_states_of_many_reservations_at_once(store):
    store.save(record("rsv_1", state=SyncState.SYNCED))
    store.save(record("rsv_2", state=SyncState.REMOVED))

    assert store.states(["rsv_1", "rsv_2", "rsv_3"]) == {
        "rsv_1": SyncState.SYNCED,
        "rsv_2": SyncState.REMOVED,
    }
    assert store.states([]) == {}


def test_a_finished_record_keeps_every_field(store):
    store.save(record())
    done = replace(
        record(),
        state=SyncState.RETRYING,
        attempts=4,
        next_attempt_at=T0 + timedelta(seconds=240),
        last_error="Google Calendar is temporarily unavailable.",
    )

    assert store.finish(done)

    assert store.get("rsv_1") == done
