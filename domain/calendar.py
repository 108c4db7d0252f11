"""A reservation as a calendar event: its times, its id, and Google's add-event link."""

import base64
import enum
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from domain.models import Reservation, ReservationStatus
from domain.validation import zone_or_none
from domain.wording import provider_name

RENDER_URL = "https://calendar.google.com/calendar/render"
UID_DOMAIN = "reservation-gateway"
DEFAULT_DURATION = timedelta(hours=2)
DEFAULT_REMINDER_MINUTES = 120
_UTC_STAMP = "%Y%m%dT%H%M%SZ"
# Control characters have no place in a calendar property; line breaks are
# normalised to "\n" first and kept, tabs are kept.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_LINE_BREAK = re.compile(r"\r\n?")


class SyncState(enum.Enum):
    OFF = "off"  # sync is not configured: the link and the .ics are the way
    PENDING = "pending"  # queued, not yet tried
    SYNCED = "synced"
    RETRYING = "retrying"  # the last try failed; another is scheduled
    FAILED = "failed"  # given up; the link and the .ics still work
    REMOVED = "removed"  # the cancelled reservation's event is deleted


class SyncAction(enum.Enum):
    PUT = "put"  # the event should be in the calendar, as it is now
    REMOVE = "remove"  # the reservation was cancelled: the event should go


WAITING = frozenset({SyncState.PENDING, SyncState.RETRYING})


@dataclass(frozen=True, slots=True)
class EventShape:
    """How long a dinner lasts and how long before it the reminder pops up."""

    duration: timedelta = DEFAULT_DURATION
    reminder_minutes: int = DEFAULT_REMINDER_MINUTES


DEFAULT_SHAPE = EventShape()


@dataclass(frozen=True, slots=True)
class CalendarEvent:
    """One reservation's event; `start` and `end` are aware, in `time_zone`."""

    reservation_id: str
    event_id: str
    summary: str
    location: str
    description: str
    start: datetime
    end: datetime
    time_zone: str
    reminder_minutes: int = DEFAULT_REMINDER_MINUTES
    sequence: int = 0
    cancelled: bool = False

    @property
    def uid(self) -> str:
        """The .ics UID: stable for the reservation, whatever changes."""
        return f"{self.event_id}@{UID_DOMAIN}"


@dataclass(frozen=True, slots=True)
class SyncRecord:
    """Where one reservation's event stands with the person's calendar.

    `revision` grows each time the wanted event changes, so an attempt that
    started before a change cannot mark the newer wish as done.
    """

    reservation_id: str
    event_id: str
    action: SyncAction
    state: SyncState
    fingerprint: str
    sequence: int
    revision: int
    updated_at: datetime
    attempts: int = 0
    next_attempt_at: datetime | None = None
    synced_at: datetime | None = None
    last_error: str = ""


def event_id_for(reservation_id: str) -> str:
    """Google's event id for a reservation: lowercase base32hex, 32 characters.

    Derived, never random, so a retried insert names the same event and gets
    409 instead of creating a second one.
    """
    digest = hashlib.sha256(f"{UID_DOMAIN}:{reservation_id}".encode()).digest()

    return base64.b32hexencode(digest[:20]).decode("ascii").lower()


def plain_text(value: str) -> str:
    """The text as a calendar may carry it: "\\n" line breaks, no control bytes."""
    return _CONTROL.sub(" ", _LINE_BREAK.sub("\n", value))


def has_event(reservation: Reservation) -> bool:
    """A confirmed or cancelled booking with a known start has an event."""
    booked = (ReservationStatus.CONFIRMED, ReservationStatus.CANCELLED)

    return reservation.status in booked and reservation.start is not None


def event_for(
    reservation: Reservation, shape: EventShape = DEFAULT_SHAPE, sequence: int = 0
) -> CalendarEvent:
    """The event of a reservation that `has_event`; ValueError otherwise.

    The end is the start plus the duration in elapsed time, so a dinner that
    spans a change of the clocks still lasts that long.
    """
    if not has_event(reservation) or reservation.start is None:
        raise ValueError(
            f"reservation {reservation.reservation_id} is "
            f"{reservation.status.value} and has no calendar event"
        )
    place = reservation.restaurant
    zone = zone_or_none(place.time_zone)
    start = reservation.start.astimezone(zone or UTC)
    end = (start.astimezone(UTC) + shape.duration).astimezone(zone or UTC)

    return CalendarEvent(
        reservation_id=reservation.reservation_id,
        event_id=event_id_for(reservation.reservation_id),
        summary=plain_text(f"Dinner at {place.name}"),
        location=plain_text(place.address or place.name),
        description=plain_text(_details(reservation)),
        start=start,
        end=end,
        time_zone=place.time_zone if zone is not None else "UTC",
        reminder_minutes=shape.reminder_minutes,
        sequence=sequence,
        cancelled=reservation.status is ReservationStatus.CANCELLED,
    )


def _details(reservation: Reservation) -> str:
    platform = reservation.platform.value if reservation.platform else ""
    lines = [f"Party of {reservation.party_size}"]
    if reservation.confirmation_id:
        lines.append(f"Confirmation: {reservation.confirmation_id}")
    lines.append(f"Booked via: {provider_name(platform)}")

    return "\n".join(lines)


def render_link(event: CalendarEvent) -> str:
    """Google Calendar's pre-filled add-event page; times in UTC, values encoded."""
    start, end = (
        m.astimezone(UTC).strftime(_UTC_STAMP) for m in (event.start, event.end)
    )
    dates = f"{start}/{end}"
    params = (
        ("action", "TEMPLATE"),
        ("text", event.summary),
        ("dates", dates),
        ("ctz", event.time_zone),
        ("location", event.location),
        ("details", event.description),
    )
    query = "&".join(f"{name}={quote(value, safe='')}" for name, value in params)

    return f"{RENDER_URL}?{query}"


def fingerprint(event: CalendarEvent) -> str:
    """Equal for events a calendar would show the same way (sequence aside)."""
    parts = (
        event.summary,
        event.location,
        event.description,
        event.start.isoformat(),
        event.end.isoformat(),
        event.time_zone,
        str(event.reminder_minutes),
        "cancelled" if event.cancelled else "live",
    )

    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def retry_delay(attempts: int, base: float, ceiling: float) -> float:
    """Seconds before the next try after `attempts` failed ones: doubling, capped."""
    exponent = min(max(attempts, 1), 32) - 1

    return float(min(ceiling, base * 2**exponent))
