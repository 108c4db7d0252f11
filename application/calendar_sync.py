"""Drain the calendar sync queue: one try at a time per reservation, retried later."""

import asyncio
import logging
from dataclasses import dataclass, replace
from datetime import timedelta

from domain.calendar import (
    DEFAULT_SHAPE,
    WAITING,
    EventShape,
    SyncAction,
    SyncRecord,
    SyncState,
    event_for,
    has_event,
    retry_delay,
)
from domain.errors import APIError, AuthError, PermanentAPIError
from domain.messages import explain
from domain.ports import CalendarSync, CalendarSyncStore, Clock, ReservationStore

logger = logging.getLogger(__name__)

_DONE = {SyncAction.PUT: SyncState.SYNCED, SyncAction.REMOVE: SyncState.REMOVED}


@dataclass(frozen=True, slots=True)
class SyncPolicy:
    """How often to try a reservation's event, and how long to wait between."""

    max_attempts: int = 10
    retry_base: float = 30.0
    retry_ceiling: float = 3600.0
    poll_interval: float = 30.0
    batch: int = 20


class CalendarSyncer:
    """Tries records now (after a booking) and later (the worker loop).

    A failed try leaves the record RETRYING with the sentence a person
    reads, due again after a doubling wait on the clock port. Tries of one
    reservation are serialised here; between replicas the derived event id
    keeps a repeated insert harmless.
    """

    def __init__(
        self,
        sync: CalendarSync,
        records: CalendarSyncStore,
        reservations: ReservationStore,
        clock: Clock,
        policy: SyncPolicy | None = None,
        shape: EventShape = DEFAULT_SHAPE,
    ) -> None:
        self.provider = sync.provider
        self._sync = sync
        self._records = records
        self._reservations = reservations
        self._clock = clock
        self._policy = policy or SyncPolicy()
        self._shape = shape
        self._locks: dict[str, asyncio.Lock] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._worker: asyncio.Task[None] | None = None

    def kick(self, reservation_id: str) -> None:
        """Try this record once in the background; with no event loop, leave it."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        task = loop.create_task(self._quietly(reservation_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def settle(self) -> None:
        """Wait for the background tries started so far (tests and shutdown)."""
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def attempt(self, reservation_id: str) -> SyncRecord | None:
        """One try of a waiting record; the record as it was left, or None."""
        lock = self._locks.setdefault(reservation_id, asyncio.Lock())
        try:
            async with lock:
                return await self._attempt(reservation_id)
        finally:
            if not lock.locked():
                self._locks.pop(reservation_id, None)

    async def run_due(self) -> int:
        """Try every record that is due now; how many were tried."""
        due = self._records.due(self._clock.now(), self._policy.batch)
        for record in due:
            await self._quietly(record.reservation_id)

        return len(due)

    def start(self) -> None:
        if self._worker is None:
            self._worker = asyncio.get_running_loop().create_task(self._run())
            logger.info("calendar.worker_started", extra={"provider": self.provider})

    async def stop(self) -> None:
        """Stop the worker and any try in flight; their records stay queued."""
        tasks = [*self._tasks, *([self._worker] if self._worker else [])]
        self._worker = None
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        logger.info("calendar.worker_stopped", extra={"provider": self.provider})

    async def _run(self) -> None:
        while True:
            try:
                await self.run_due()
            except Exception as error:  # noqa: BLE001 - the worker must outlive a bug
                logger.error(
                    "calendar.worker_failed", extra={"error": type(error).__name__}
                )
            await self._clock.sleep(self._pause())

    def _pause(self) -> float:
        """Until the next record is due, within one second and the poll interval."""
        poll = self._policy.poll_interval
        due = self._records.next_due()
        if due is None:
            return poll
        wait = (due - self._clock.now()).total_seconds()

        return min(poll, max(1.0, wait))

    async def _quietly(self, reservation_id: str) -> None:
        try:
            await self.attempt(reservation_id)
        except Exception as error:  # noqa: BLE001 - a try must never fail its caller
            logger.error(
                "calendar.sync_crashed",
                extra={"reservation_id": reservation_id, "error": type(error).__name__},
            )

    async def _attempt(self, reservation_id: str) -> SyncRecord | None:
        record = self._records.get(reservation_id)
        if record is None or record.state not in WAITING:
            return record
        reservation = self._reservations.get(reservation_id)
        try:
            if record.action is SyncAction.REMOVE:
                await self._sync.remove(record.event_id)
            elif reservation is not None and has_event(reservation):
                event = event_for(reservation, self._shape, record.sequence)
                await self._sync.put(event, existing=record.synced_at is not None)
            else:
                return self._finish(record, SyncState.FAILED, "No event to sync.")
        except APIError as error:
            return self._failed(record, error)

        return self._finish(record, _DONE[record.action], "")

    def _failed(self, record: SyncRecord, error: APIError) -> SyncRecord:
        sentence = explain(error).sentence
        # Credentials can be fixed while the record waits; a refusal cannot.
        refused = isinstance(error, PermanentAPIError) and not isinstance(
            error, AuthError
        )
        if refused or record.attempts + 1 >= self._policy.max_attempts:
            return self._finish(record, SyncState.FAILED, sentence)
        policy = self._policy
        wait = retry_delay(record.attempts + 1, policy.retry_base, policy.retry_ceiling)
        if error.retry_after is not None:
            wait = max(wait, error.retry_after)

        return self._finish(record, SyncState.RETRYING, sentence, wait)

    def _finish(
        self, record: SyncRecord, state: SyncState, error: str, wait: float = 0.0
    ) -> SyncRecord:
        now = self._clock.now()
        finished = replace(
            record,
            state=state,
            attempts=record.attempts + 1,
            updated_at=now,
            next_attempt_at=now + timedelta(seconds=wait) if state in WAITING else None,
            synced_at=now if state is SyncState.SYNCED else record.synced_at,
            last_error=error,
        )
        kept = self._records.finish(finished)
        logger.log(
            logging.WARNING if error else logging.INFO,
            "calendar.sync_tried",
            extra={
                "reservation_id": record.reservation_id,
                "action": record.action.value,
                "state": state.value,
                "attempts": finished.attempts,
                "superseded": not kept,
            },
        )
        if kept:
            return finished

        return self._records.get(record.reservation_id) or finished
