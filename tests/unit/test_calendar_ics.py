"""The .ics file, parsed back with icalendar: every property, escaping, folding, DST."""

from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from adapters.calendar.ics import PRODID, IcalendarIcs
from domain.calendar import EventShape, event_for
from domain.models import ReservationStatus, RestaurantRef
from tests.calendar_fakes import NEW_YORK, booked

STAMP = datetime(2027, 1, 10, 17, 5, 9, tzinfo=UTC)
AWKWARD = [
    "Café, Bar; Grill",
    "Back\\slash \\n not a break",
    "Two\nlines",
    'Quote "here" and colon: there',
    "日本料理 すし 🍣 Ünïcødé " * 4,
    "Evil\nEND:VEVENT\nBEGIN:VEVENT\nSUMMARY:injected",
    "Evil\r\nATTACH:http://x.invalid/\r\nX: y",
    "Semi;TZID=Europe/Paris:20270101T000000",
]


def _build(reservation, **kwargs) -> bytes:
    return IcalendarIcs().build(event_for(reservation, **kwargs), STAMP)


def _parse(data: bytes):
    calendar = Calendar.from_ical(data)
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return calendar, events[0]


def test_every_property_is_there_and_parses_back():
    data = _build(booked())
    calendar, event = _parse(data)

    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"]) == PRODID
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(calendar["CALSCALE"]) == "GREGORIAN"
    assert str(event["UID"]).endswith("@reservation-gateway")
    assert event.decoded("DTSTAMP") == STAMP
    assert event["DTSTAMP"].to_ical() == b"20270110T170509Z"
    assert event.decoded("DTSTART") == datetime(2027, 1, 15, 19, 30, tzinfo=NEW_YORK)
    assert event.decoded("DTEND") == datetime(2027, 1, 15, 21, 30, tzinfo=NEW_YORK)
    assert event["DTSTART"].params["TZID"] == "America/New_York"
    assert event["DTEND"].params["TZID"] == "America/New_York"
    assert str(event["SUMMARY"]) == "Dinner at Sandbox Tavern"
    assert str(event["LOCATION"]) == "12 Harrow Lane, New York, NY 10013"
    assert str(event["DESCRIPTION"]) == (
        "Party of 2\nConfirmation: RESY-987654321\nBooked via: Resy"
    )
    assert event.decoded("SEQUENCE") == 0
    assert str(event["STATUS"]) == "CONFIRMED"
    assert b"DTSTART;TZID=America/New_York:20270115T193000\r\n" in data


def test_the_vtimezone_matches_the_tzid_and_covers_the_event():
    calendar, _ = _parse(_build(booked()))

    zones = calendar.walk("VTIMEZONE")
    assert [str(z["TZID"]) for z in zones] == ["America/New_York"]
    assert calendar.get_missing_tzids() == set()
    offsets = {
        (str(part["TZNAME"]), part["TZOFFSETTO"].to_ical())
        for part in zones[0].walk()
        if part.name in ("STANDARD", "DAYLIGHT")
    }
    assert ("EST", "-0500") in offsets and ("EDT", "-0400") in offsets


def test_a_popup_alarm_rings_two_hours_before():
    _, event = _parse(_build(booked()))

    alarms = event.walk("VALARM")
    assert len(alarms) == 1
    assert str(alarms[0]["ACTION"]) == "DISPLAY"
    assert alarms[0].decoded("TRIGGER") == timedelta(hours=-2)
    assert str(alarms[0]["DESCRIPTION"]) == "Dinner at Sandbox Tavern in 2 hours"


def test_the_reminder_and_duration_follow_the_shape():
    shape = EventShape(timedelta(minutes=150), 45)

    _, event = _parse(_build(booked(), shape=shape))

    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(minutes=150)
    assert event.walk("VALARM")[0].decoded("TRIGGER") == timedelta(minutes=-45)


def test_a_cancellation_is_published_as_cancel_with_a_higher_sequence():
    cancelled = booked(status=ReservationStatus.CANCELLED)

    data = _build(cancelled, sequence=1)
    calendar, event = _parse(data)

    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(event["STATUS"]) == "CANCELLED"
    assert event.decoded("SEQUENCE") == 1
    assert str(event["UID"]) == str(_parse(_build(booked()))[1]["UID"])
    assert event.walk("VALARM") == []


def test_lines_end_in_crlf_and_fold_at_75_octets_between_utf8_sequences():
    place = RestaurantRef(
        "日本料理 すし 🍣 " * 12, "America/New_York", address="é" * 200
    )

    data = _build(booked(restaurant=place))

    assert data.endswith(b"\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")
    lines = data.split(b"\r\n")[:-1]
    assert any(line.startswith(b" ") for line in lines)  # something was folded
    for line in lines:
        assert len(line) <= 75
        line.decode("utf-8")  # no multi-byte character cut in two
    _, event = _parse(data)
    assert str(event["SUMMARY"]) == "Dinner at " + place.name
    assert str(event["LOCATION"]) == "é" * 200


@pytest.mark.parametrize("name", AWKWARD)
def test_awkward_names_round_trip_unchanged_and_add_no_property(name):
    place = RestaurantRef(name, "America/New_York", address=name)

    data = _build(booked(restaurant=place))
    calendar, event = _parse(data)

    expected = name.replace("\r\n", "\n")
    assert str(event["SUMMARY"]) == "Dinner at " + expected
    assert str(event["LOCATION"]) == expected
    properties = {key for key, _ in event.property_items(recursive=False)}
    assert properties == {
        "BEGIN",
        "UID",
        "DTSTAMP",
        "SEQUENCE",
        "DTSTART",
        "DTEND",
        "SUMMARY",
        "LOCATION",
        "DESCRIPTION",
        "STATUS",
        "TRANSP",
        "END",
    }
    unfolded = data.replace(b"\r\n ", b"").split(b"\r\n")
    assert not [line for line in unfolded if line.startswith((b"ATTACH", b"X:"))]
    assert unfolded.count(b"BEGIN:VEVENT") == unfolded.count(b"END:VEVENT") == 1


def test_control_characters_never_reach_the_file():
    place = RestaurantRef("Bad\x00Bell\x07Esc\x1b", "America/New_York")

    data = _build(booked(restaurant=place))

    assert not any(b < 0x20 and b not in (0x0D, 0x0A) for b in data)
    assert str(_parse(data)[1]["SUMMARY"]) == "Dinner at Bad Bell Esc "


@pytest.mark.parametrize(
    ("local", "fold", "start_utc", "end_utc"),
    [
        (
            (2027, 3, 14, 1, 30),
            0,
            datetime(2027, 3, 14, 6, 30),
            datetime(2027, 3, 14, 8, 30),
        ),
        ((2027, 3, 14, 19, 0), 0, datetime(2027, 3, 14, 23), datetime(2027, 3, 15, 1)),
        (
            (2027, 11, 7, 1, 30),
            0,
            datetime(2027, 11, 7, 5, 30),
            datetime(2027, 11, 7, 7, 30),
        ),
        (
            (2027, 11, 7, 1, 30),
            1,
            datetime(2027, 11, 7, 6, 30),
            datetime(2027, 11, 7, 8, 30),
        ),
        ((2027, 11, 7, 19, 0), 0, datetime(2027, 11, 8, 0), datetime(2027, 11, 8, 2)),
    ],
)
def test_dst_change_days_parse_back_to_the_right_utc_instants(
    local, fold, start_utc, end_utc
):
    start = datetime(*local, tzinfo=NEW_YORK, fold=fold)

    _, event = _parse(_build(booked(start=start)))

    parsed = [event.decoded(name).astimezone(UTC) for name in ("DTSTART", "DTEND")]
    assert parsed == [start_utc.replace(tzinfo=UTC), end_utc.replace(tzinfo=UTC)]


def test_a_restaurant_in_utc_is_written_with_z_and_no_vtimezone():
    place = RestaurantRef("Greenwich Grill", "UTC")
    start = datetime(2027, 1, 15, 19, 0, tzinfo=UTC)

    data = _build(booked(restaurant=place, start=start))
    calendar, event = _parse(data)

    assert b"DTSTART:20270115T190000Z\r\n" in data
    assert calendar.walk("VTIMEZONE") == []
    assert event.decoded("DTEND") == datetime(2027, 1, 15, 21, 0, tzinfo=UTC)


def test_text_is_escaped_as_rfc_5545_says():
    place = RestaurantRef("A, B; C\\D\nE", "America/New_York", address="x,y")

    data = _build(booked(restaurant=place))

    assert b"SUMMARY:Dinner at A\\, B\\; C\\\\D\\nE\r\n" in data
    assert b"LOCATION:x\\,y\r\n" in data
    assert b"DESCRIPTION:Party of 2\\nConfirmation: RESY-987654321\\nBooked" in data
