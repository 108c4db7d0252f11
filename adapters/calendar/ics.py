"""RFC 5545 files of one reservation's event, built and escaped by icalendar."""

from datetime import UTC, date, datetime, timedelta

from icalendar import Alarm, Calendar, Event

from domain.calendar import CalendarEvent

PRODID = "-//reservation-gateway//Reservation calendar 1.0//EN"


class IcalendarIcs:
    """IcsBuilder: METHOD:PUBLISH for a booking, METHOD:CANCEL once cancelled.

    Times carry the restaurant's TZID with a VTIMEZONE that covers the
    event's years (UTC is written with Z); icalendar escapes the text,
    folds lines at 75 octets between UTF-8 sequences and ends them in CRLF.
    """

    def build(self, event: CalendarEvent, stamp: datetime) -> bytes:
        calendar = Calendar()
        calendar.add("version", "2.0")
        calendar.add("prodid", PRODID)
        calendar.add("calscale", "GREGORIAN")
        calendar.add("method", "CANCEL" if event.cancelled else "PUBLISH")
        calendar.add_component(_vevent(event, stamp))
        if event.time_zone != "UTC":
            calendar.add_missing_timezones(
                first_date=date(event.start.year, 1, 1),
                last_date=date(event.end.year + 1, 1, 1),
            )

        return calendar.to_ical()


def _vevent(event: CalendarEvent, stamp: datetime) -> Event:
    vevent = Event()
    vevent.add("uid", event.uid)
    vevent.add("dtstamp", stamp.astimezone(UTC))
    vevent.add("sequence", event.sequence)
    vevent.add("dtstart", _moment(event.start, event.time_zone))
    vevent.add("dtend", _moment(event.end, event.time_zone))
    vevent.add("summary", event.summary)
    vevent.add("location", event.location)
    vevent.add("description", event.description)
    vevent.add("status", "CANCELLED" if event.cancelled else "CONFIRMED")
    vevent.add("transp", "OPAQUE")
    if not event.cancelled:
        vevent.add_component(_reminder(event))

    return vevent


def _moment(moment: datetime, zone: str) -> datetime:
    """The local time, or UTC where the local one names another instant.

    RFC 5545 reads a repeated wall time (the hour after clocks go back) as
    its first occurrence, so the second one is written in UTC.
    """
    repeated = moment.replace(fold=0).utcoffset() != moment.utcoffset()

    return moment.astimezone(UTC) if zone == "UTC" or repeated else moment


def _reminder(event: CalendarEvent) -> Alarm:
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("trigger", timedelta(minutes=-event.reminder_minutes))
    alarm.add("description", f"{event.summary} in {_lead(event.reminder_minutes)}")

    return alarm


def _lead(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if rest or not hours:
        return f"{minutes} minutes"

    return "1 hour" if hours == 1 else f"{hours} hours"
