"""The event of a reservation: its id, its times in the restaurant's zone, its link."""

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest

from domain.calendar import (
    EventShape,
    event_for,
    event_id_for,
    fingerprint,
    has_event,
    plain_text,
    render_link,
    retry_delay,
)
from domain.models import Platform, ReservationStatus, RestaurantRef
from tests.calendar_fakes import NEW_YORK, TAVERN, booked

BASE32HEX_LOWER = re.compile(r"[0-9a-v]{5,1024}\Z")
TOKYO = ZoneInfo("Asia/Tokyo")


def _query(link: str) -> dict[str, list[str]]:
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "https",
        "calendar.google.com",
        "/calendar/render",
    )
    return parse_qs(parts.query, keep_blank_values=True, strict_parsing=True)


@pytest.mark.parametrize(
    "reservation_id", ["rsv_0123456789abcdef", "x", "RSV-UPPER_case", "é" * 64]
)
def test_event_id_is_lowercase_base32hex_of_5_to_1024_characters(reservation_id):
    event_id = event_id_for(reservation_id)

    assert BASE32HEX_LOWER.match(event_id)
    assert event_id == event_id_for(reservation_id)


def test_event_ids_differ_between_reservations():
    ids = {event_id_for(f"rsv_{n:016x}") for n in range(500)}

    assert len(ids) == 500


def test_event_keeps_the_restaurants_zone_and_ends_after_the_duration():
    event = event_for(booked(), EventShape(timedelta(minutes=90), 45))

    assert event.start == datetime(2027, 1, 15, 19, 30, tzinfo=NEW_YORK)
    assert event.start.tzinfo == NEW_YORK and event.end.tzinfo == NEW_YORK
    assert event.end - event.start == timedelta(minutes=90)
    assert event.time_zone == "America/New_York"
    assert event.reminder_minutes == 45
    assert event.summary == "Dinner at Sandbox Tavern"
    assert event.location == TAVERN.address
    assert event.description == (
        "Party of 2\nConfirmation: RESY-987654321\nBooked via: Resy"
    )


def test_a_start_stored_in_utc_is_shown_in_the_restaurants_zone():
    start = datetime(2027, 1, 15, 10, 0, tzinfo=UTC)
    tokyo = RestaurantRef("Sushi Bar", "Asia/Tokyo")

    event = event_for(booked(restaurant=tokyo, start=start))

    assert event.start == datetime(2027, 1, 15, 19, 0, tzinfo=TOKYO)
    assert event.start.utcoffset() == timedelta(hours=9)


@pytest.mark.parametrize(
    ("local", "fold", "start_utc", "end_utc"),
    [
        # Spring forward 2027-03-14: 02:00 EST becomes 03:00 EDT.
        ((2027, 3, 14, 1, 30), 0, "2027-03-14T06:30", "2027-03-14T08:30"),
        ((2027, 3, 14, 19, 0), 0, "2027-03-14T23:00", "2027-03-15T01:00"),
        ((2027, 3, 13, 19, 0), 0, "2027-03-14T00:00", "2027-03-14T02:00"),
        # Fall back 2027-11-07: 01:00-02:00 happens twice.
        ((2027, 11, 7, 1, 30), 0, "2027-11-07T05:30", "2027-11-07T07:30"),
        ((2027, 11, 7, 1, 30), 1, "2027-11-07T06:30", "2027-11-07T08:30"),
        ((2027, 11, 7, 19, 0), 0, "2027-11-08T00:00", "2027-11-08T02:00"),
    ],
)
def test_dst_change_days_give_correct_utc_instants(local, fold, start_utc, end_utc):
    start = datetime(*local, tzinfo=NEW_YORK, fold=fold)

    event = event_for(booked(start=start))

    moments = (event.start, event.end)
    as_utc = [m.astimezone(UTC).strftime("%Y-%m-%dT%H:%M") for m in moments]
    assert as_utc == [start_utc, end_utc]
    assert event.end.astimezone(UTC) - event.start.astimezone(UTC) == timedelta(hours=2)


def test_a_dinner_across_spring_forward_lasts_two_real_hours():
    event = event_for(booked(start=datetime(2027, 3, 14, 1, 0, tzinfo=NEW_YORK)))

    assert event.end == datetime(2027, 3, 14, 4, 0, tzinfo=NEW_YORK)
    assert event.end.utcoffset() == timedelta(hours=-4)


def test_link_carries_every_parameter_percent_encoded_with_utc_dates():
    event = event_for(booked())

    link = render_link(event)
    query = _query(link)

    assert query == {
        "action": ["TEMPLATE"],
        "text": ["Dinner at Sandbox Tavern"],
        "dates": ["20270116T003000Z/20270116T023000Z"],
        "ctz": ["America/New_York"],
        "location": ["12 Harrow Lane, New York, NY 10013"],
        "details": ["Party of 2\nConfirmation: RESY-987654321\nBooked via: Resy"],
    }
    raw = urlsplit(link).query
    assert " " not in raw and "+" not in raw and "\n" not in raw
    assert "dates=20270116T003000Z%2F20270116T023000Z" in raw


AWKWARD = 'Café "Chez Nous", Bar; Grill\\Back\nRoom & Co #1 ?x=y 日本'


def test_link_round_trips_awkward_names_and_cannot_add_a_parameter():
    place = RestaurantRef(AWKWARD, "America/New_York", address="1 Rue; A, B & C")

    query = _query(render_link(event_for(booked(restaurant=place))))

    assert query["text"] == [f"Dinner at {AWKWARD}"]
    assert query["location"] == ["1 Rue; A, B & C"]
    assert set(query) == {"action", "text", "dates", "ctz", "location", "details"}


def test_plain_text_normalises_line_breaks_and_drops_control_characters():
    assert plain_text("a\r\nb\rc\nd\te") == "a\nb\nc\nd\te"
    assert plain_text("x\x00y\x1bz\x7f\x85") == "x y z  "
    assert plain_text(AWKWARD) == AWKWARD


def test_only_confirmed_or_cancelled_bookings_with_a_start_have_an_event():
    assert has_event(booked())
    assert has_event(booked(status=ReservationStatus.CANCELLED))
    assert not has_event(booked(start=None))
    for status in (ReservationStatus.PENDING, ReservationStatus.FAILED):
        assert not has_event(booked(status=status))
        with pytest.raises(ValueError, match="has no calendar event"):
            event_for(booked(status=status))


def test_an_unknown_zone_falls_back_to_utc():
    start = datetime(2027, 1, 15, 19, 0, tzinfo=UTC)
    nowhere = RestaurantRef("Nowhere", "Nowhere/Special")

    event = event_for(booked(restaurant=nowhere, start=start))

    assert event.time_zone == "UTC" and event.start.utcoffset() == timedelta(0)


def test_fingerprint_changes_with_what_a_calendar_shows_and_not_with_sequence():
    event = event_for(booked())
    moved = event_for(booked(start=datetime(2027, 1, 15, 20, 0, tzinfo=NEW_YORK)))
    bigger = event_for(booked(party_size=4))
    cancelled = event_for(booked(status=ReservationStatus.CANCELLED))
    again = event_for(booked(), sequence=3)

    assert fingerprint(again) == fingerprint(event)
    prints = {fingerprint(e) for e in (event, moved, bigger, cancelled)}
    assert len(prints) == 4


def test_opentable_bookings_say_so_and_a_missing_confirmation_is_left_out():
    event = event_for(booked(platform=Platform.OPENTABLE, confirmation_id=""))

    assert event.description == "Party of 2\nBooked via: OpenTable"


def test_retry_delay_doubles_from_the_base_up_to_the_ceiling():
    delays = [retry_delay(n, 30.0, 3600.0) for n in range(1, 10)]

    assert delays == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
    assert retry_delay(10_000, 30.0, 3600.0) == 3600
