"""A booking in the guest's calendar: the link, the .ics, and the sync queue."""

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from application.calendar_sync import CalendarSyncer
from domain.calendar import (
    DEFAULT_SHAPE,
    WAITING,
    CalendarEvent,
    EventShape,
    SyncAction,
    SyncRecord,
    SyncState,
    event_for,
    fingerprint,
    has_event,
    render_link,
)
from domain.errors import NotFoundError, PreconditionError
from domain.models import Reservation
from domain.ports import CalendarSyncStore, Clock, IcsBuilder, ReservationStore

logger = logging.getLogger(__name__)

ICS_MEDIA_TYPE = "text/calendar"


@dataclass(frozen=True, slots=True)
class CalendarEntry:
    """What GetCalendarEvent answers: the link is empty once cancelled."""

    reservation: Reservation
    event: CalendarEvent
    link: str
    ics: bytes
    sync: SyncRecord

    @property
    def filename(self) -> str:
        return f"reservation-{self.reservation.reservation_id}.ics"


class ReservationCalendar:
    """Link and .ics always; sync only when a CalendarSyncer is given.

    Booking never depends on this: the servicer reports what happened
    (`confirmed`, `changed`, `cancelled`), each of which queues the wanted
    state and tries it once in the background.
    """

    def __init__(
        self,
        reservations: ReservationStore,
        records: CalendarSyncStore,
        ics: IcsBuilder,
        clock: Clock,
        syncer: CalendarSyncer | None = None,
        shape: EventShape = DEFAULT_SHAPE,
    ) -> None:
        self._reservations = reservations
        self._records = records
        self._ics = ics
        self._clock = clock
        self._syncer = syncer
        self._shape = shape

    @property
    def syncing(self) -> bool:
        return self._syncer is not None

    def link(self, reservation: Reservation) -> str:
        """The add-to-calendar link of a confirmed booking; "" for any other."""
        if not has_event(reservation):
            return ""
        event = self._event(reservation)

        return "" if event.cancelled else render_link(event)

    def entry(self, reservation_id: str) -> CalendarEntry:
        """The link, the .ics and the sync status; NOT_FOUND for an unknown id."""
        reservation = self._reservations.get(reservation_id)
        if reservation is None:
            raise NotFoundError(
                f"No reservation {reservation_id!r} was made through this gateway."
            )
        if not has_event(reservation):
            raise PreconditionError(
                f"Reservation {reservation_id} is {reservation.status.value}: "
                "only a confirmed or cancelled booking has a calendar event."
            )
        record = self._note(reservation)
        event = self._event(reservation, record.sequence)
        ics = self._ics.build(event, self._clock.now())

        return CalendarEntry(reservation, event, self.link(reservation), ics, record)

    def confirmed(self, reservation: Reservation) -> None:
        """A booking is confirmed (or answered again): put its event in place."""
        self._hook(reservation, "confirmed")

    def changed(self, reservation: Reservation) -> None:
        """The booking's time, party or place changed: patch the event."""
        self._hook(reservation, "changed")

    def cancelled(self, reservation: Reservation) -> None:
        """The booking is cancelled: delete the event."""
        self._hook(reservation, "cancelled")

    def sync_states(self, reservation_ids: Sequence[str]) -> dict[str, SyncState]:
        """Each listed reservation's sync state; OFF where none is known."""
        known = self._records.states(reservation_ids)

        return {rid: known.get(rid, SyncState.OFF) for rid in reservation_ids}

    def _hook(self, reservation: Reservation, what: str) -> None:
        # Whatever happens here, the booking's answer must not change.
        try:
            if has_event(reservation):
                self._note(reservation)
        except Exception as error:  # noqa: BLE001 - never fail the booking
            logger.error(
                "calendar.enqueue_failed",
                extra={
                    "reservation_id": reservation.reservation_id,
                    "hook": what,
                    "error": type(error).__name__,
                },
            )

    def _event(self, reservation: Reservation, sequence: int = 0) -> CalendarEvent:
        return event_for(reservation, self._shape, sequence)

    def _note(self, reservation: Reservation) -> SyncRecord:
        """The reservation's record, renewed (and tried) when the event changed."""
        event = self._event(reservation)
        wanted = fingerprint(event)
        stored = self._records.get(reservation.reservation_id)
        if stored is not None and stored.fingerprint == wanted:
            if not (self.syncing and stored.state is SyncState.OFF):
                return stored
        record = self._renewed(stored, event, wanted)
        self._records.save(record)
        logger.info(
            "calendar.queued",
            extra={
                "reservation_id": record.reservation_id,
                "action": record.action.value,
                "state": record.state.value,
                "sequence": record.sequence,
            },
        )
        if self._syncer is not None and record.state in WAITING:
            self._syncer.kick(record.reservation_id)

        return record

    def _renewed(
        self, stored: SyncRecord | None, event: CalendarEvent, wanted: str
    ) -> SyncRecord:
        now = self._clock.now()
        if stored is None:
            sequence, revision, synced_at = 0, 1, None
        else:
            same = stored.fingerprint == wanted
            sequence = stored.sequence if same else stored.sequence + 1
            revision, synced_at = stored.revision + 1, stored.synced_at

        return SyncRecord(
            reservation_id=event.reservation_id,
            event_id=event.event_id,
            action=SyncAction.REMOVE if event.cancelled else SyncAction.PUT,
            state=SyncState.PENDING if self.syncing else SyncState.OFF,
            fingerprint=wanted,
            sequence=sequence,
            revision=revision,
            updated_at=now,
            next_attempt_at=now if self.syncing else None,
            synced_at=synced_at,
        )
