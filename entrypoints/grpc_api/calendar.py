"""CalendarService: a reservation's add-to-calendar link, .ics file and sync status."""

import grpc

from application.calendar import ICS_MEDIA_TYPE, CalendarEntry, ReservationCalendar
from domain.calendar import SyncRecord, SyncState
from domain.errors import FieldViolation, InvalidRequestError
from domain.ports import Clock
from entrypoints.grpc_api.calls import rpc
from entrypoints.grpc_api.translate import timestamp
from reservations.v1 import calendar_pb2, calendar_pb2_grpc

SYNC_STATES = {
    SyncState.OFF: calendar_pb2.CALENDAR_SYNC_STATUS_OFF,
    SyncState.PENDING: calendar_pb2.CALENDAR_SYNC_STATUS_PENDING,
    SyncState.SYNCED: calendar_pb2.CALENDAR_SYNC_STATUS_SYNCED,
    SyncState.RETRYING: calendar_pb2.CALENDAR_SYNC_STATUS_RETRYING,
    SyncState.FAILED: calendar_pb2.CALENDAR_SYNC_STATUS_FAILED,
    SyncState.REMOVED: calendar_pb2.CALENDAR_SYNC_STATUS_REMOVED,
}


def sync_to_proto(record: SyncRecord) -> calendar_pb2.CalendarSync:
    message = calendar_pb2.CalendarSync(
        status=SYNC_STATES[record.state],
        event_id=record.event_id,
        attempts=record.attempts,
        last_error=record.last_error,
    )
    if record.next_attempt_at is not None:
        message.next_attempt_at.CopyFrom(timestamp(record.next_attempt_at))
    if record.synced_at is not None:
        message.synced_at.CopyFrom(timestamp(record.synced_at))

    return message


def entry_to_proto(entry: CalendarEntry) -> calendar_pb2.GetCalendarEventResponse:
    event = entry.event

    return calendar_pb2.GetCalendarEventResponse(
        reservation_id=entry.reservation.reservation_id,
        calendar_link=entry.link,
        ics=entry.ics,
        ics_filename=entry.filename,
        ics_media_type=ICS_MEDIA_TYPE,
        uid=event.uid,
        sequence=event.sequence,
        start=timestamp(event.start),
        end=timestamp(event.end),
        start_local=event.start.isoformat(),
        end_local=event.end.isoformat(),
        time_zone=event.time_zone,
        sync=sync_to_proto(entry.sync),
    )


def reservation_id(value: str) -> str:
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


class CalendarServicer(calendar_pb2_grpc.CalendarServiceServicer):
    def __init__(self, calendar: ReservationCalendar, clock: Clock) -> None:
        self.calendar = calendar
        self.clock = clock

    @rpc
    async def GetCalendarEvent(
        self,
        request: calendar_pb2.GetCalendarEventRequest,
        context: grpc.aio.ServicerContext,
    ) -> calendar_pb2.GetCalendarEventResponse:
        found = self.calendar.entry(reservation_id(request.reservation_id))

        return entry_to_proto(found)
