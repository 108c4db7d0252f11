"""Calendar sync records in SQL: one row per reservation, also the worker's queue."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.exc import IntegrityError

from adapters.storage.engine import READ_ONLY
from adapters.storage.schema import calendar_sync
from domain.calendar import WAITING, SyncAction, SyncRecord, SyncState

_WAITING = sorted(state.value for state in WAITING)


class SqlCalendarSyncStore:
    """CalendarSyncStore on any SQLAlchemy engine.

    `finish` is a compare-and-set on `revision`, so of two replicas (or a
    worker and a background try) only the one that saw the newest wish
    records its outcome.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def get(self, reservation_id: str) -> SyncRecord | None:
        query = select(calendar_sync).where(
            calendar_sync.c.reservation_id == reservation_id
        )
        with self._reading() as conn:
            row = conn.execute(query).mappings().first()

        return None if row is None else _record(row)

    def save(self, record: SyncRecord) -> None:
        values = _columns(record)
        key = calendar_sync.c.reservation_id == record.reservation_id
        with self._engine.begin() as conn:
            if conn.execute(update(calendar_sync).where(key).values(values)).rowcount:
                return
        try:
            with self._engine.begin() as conn:
                conn.execute(insert(calendar_sync).values(values))
        except IntegrityError:
            # Another writer inserted it first; the later wish wins.
            with self._engine.begin() as conn:
                conn.execute(update(calendar_sync).where(key).values(values))

    def finish(self, record: SyncRecord) -> bool:
        query = (
            update(calendar_sync)
            .where(calendar_sync.c.reservation_id == record.reservation_id)
            .where(calendar_sync.c.revision == record.revision)
            .values(_columns(record))
        )
        with self._engine.begin() as conn:
            return bool(conn.execute(query).rowcount)

    def due(self, now: datetime, limit: int) -> Sequence[SyncRecord]:
        query = (
            select(calendar_sync)
            .where(calendar_sync.c.state.in_(_WAITING))
            .where(calendar_sync.c.next_attempt_at <= now)
            .order_by(calendar_sync.c.next_attempt_at, calendar_sync.c.reservation_id)
            .limit(limit)
        )
        with self._reading() as conn:
            return [_record(row) for row in conn.execute(query).mappings()]

    def next_due(self) -> datetime | None:
        query = select(func.min(calendar_sync.c.next_attempt_at)).where(
            calendar_sync.c.state.in_(_WAITING)
        )
        with self._reading() as conn:
            earliest: datetime | None = conn.execute(query).scalar()

        return earliest

    def states(self, reservation_ids: Sequence[str]) -> dict[str, SyncState]:
        if not reservation_ids:
            return {}
        query = select(calendar_sync.c.reservation_id, calendar_sync.c.state).where(
            calendar_sync.c.reservation_id.in_(list(reservation_ids))
        )
        with self._reading() as conn:
            rows = conn.execute(query).all()

        return {rid: SyncState(state) for rid, state in rows}

    def _reading(self) -> Connection:
        return self._engine.connect().execution_options(**READ_ONLY)


def _columns(r: SyncRecord) -> dict[str, Any]:
    return {
        "reservation_id": r.reservation_id,
        "event_id": r.event_id,
        "action": r.action.value,
        "state": r.state.value,
        "fingerprint": r.fingerprint,
        "sequence": r.sequence,
        "revision": r.revision,
        "attempts": r.attempts,
        "next_attempt_at": r.next_attempt_at,
        "synced_at": r.synced_at,
        "last_error": r.last_error,
        "updated_at": r.updated_at,
    }


def _record(row: RowMapping) -> SyncRecord:
    return SyncRecord(
        reservation_id=row["reservation_id"],
        event_id=row["event_id"],
        action=SyncAction(row["action"]),
        state=SyncState(row["state"]),
        fingerprint=row["fingerprint"],
        sequence=row["sequence"],
        revision=row["revision"],
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        synced_at=row["synced_at"],
        last_error=row["last_error"],
        updated_at=row["updated_at"],
    )
