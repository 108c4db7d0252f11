"""A gateway process syncing to the sandbox calendar, driven by grpcurl and the CLI."""

import base64
import json
import os
import subprocess
import urllib.request
from urllib.parse import parse_qs, urlsplit

import pytest
from icalendar import Calendar

from entrypoints.sandbox import calendar as sandbox
from tests.e2e.conftest import (
    BIN,
    BISTRO,
    free_port,
    next_week,
    start_gateway,
    stop_gateway,
)

CHECK = "reservations.v1.AvailabilityService/CheckAvailability"
MAKE = "reservations.v1.BookingService/MakeReservation"
GET = "reservations.v1.BookingService/GetReservation"
CANCEL = "reservations.v1.BookingService/CancelReservation"
EVENT = "reservations.v1.CalendarService/GetCalendarEvent"
PLACE = {**BISTRO, "address": "1 Sandbox Way; Floor 2, New York"}
SYNC_ENV = {
    "RESGW_CALENDAR_SYNC": "sandbox",
    # The lost insert is retried at once: this run's backoff is 10 ms.
    "RESGW_CALENDAR_MULTIPLIER": "0.01",
    "RESGW_CALENDAR_MIN_WAIT": "0",
    "RESGW_CALENDAR_JITTER": "none",
    "RESGW_SANDBOX_FAULTS": "calendar=insert-lost",
}


@pytest.fixture(scope="module")
def synced(tmp_path_factory):
    data = tmp_path_factory.mktemp("calendar")
    running = start_gateway(data, **SYNC_ENV)
    running.data_dir = data
    yield running
    stop_gateway(running)


def _events(gateway) -> list[dict]:
    url = gateway.sandbox_url + "/_sandbox/calendar/events"
    with urllib.request.urlopen(url, timeout=10) as answer:
        return json.loads(answer.read())["events"]


def _until(gateway, rid: str, status: str) -> dict:
    """GetCalendarEvent once the background sync has logged reaching `status`."""
    state = status.removeprefix("CALENDAR_SYNC_STATUS_").lower()
    gateway.wait_for_event("calendar.sync_tried", reservation_id=rid, state=state)
    entry = gateway.call(EVENT, {"reservation_id": rid})
    assert entry["sync"]["status"] == status, entry["sync"]
    return entry


def _request(gateway, key: str, slot: int = 0) -> dict:
    """A booking of the `slot`-th free table next week: one per test."""
    found = gateway.call(
        CHECK, {"restaurant": PLACE, "date": next_week(), "party_size": 2}
    )
    return {
        "restaurant": PLACE,
        "slot_token": found["slots"][slot]["token"],
        "party_size": 2,
        "guest": {"name": "Ada Lovelace"},
        "idempotency_key": key,
    }


def _book(gateway, key: str, slot: int = 0) -> dict:
    return gateway.call(MAKE, _request(gateway, key, slot))


def test_a_retried_booking_has_its_link_and_exactly_one_event(synced):
    request = _request(synced, "e2e-calendar-0001")
    made = synced.call(MAKE, request)
    rid = made["reservation"]["reservation_id"]

    link = made["calendar_link"]
    query = parse_qs(urlsplit(link).query, strict_parsing=True)
    assert link.startswith("https://calendar.google.com/calendar/render?")
    assert query["action"] == ["TEMPLATE"]
    assert query["text"] == ["Dinner at Sandbox Bistro"]
    assert query["location"] == [PLACE["address"]]
    start, end = query["dates"][0].split("/")
    assert len(start) == len(end) == 16 and start.endswith("Z") and end.endswith("Z")
    assert "Party of 2" in query["details"][0]
    assert made["confirmation_text"].startswith("Booked! Sandbox Bistro, ")
    assert made["confirmation_text"].endswith(f"Add to Google Calendar: {link}")

    entry = _until(synced, rid, "CALENDAR_SYNC_STATUS_SYNCED")
    again = synced.call(MAKE, request)
    assert again["replayed"] is True
    _until(synced, rid, "CALENDAR_SYNC_STATUS_SYNCED")

    events = _events(synced)
    assert [e["id"] for e in events] == [entry["sync"]["event_id"]]
    got = synced.call(GET, {"reservation_id": rid})
    assert got["calendar_sync"] == "CALENDAR_SYNC_STATUS_SYNCED"
    ics = base64.b64decode(entry["ics"])
    event = Calendar.from_ical(ics).walk("VEVENT")[0]
    assert str(event["LOCATION"]) == PLACE["address"]
    assert event["DTSTART"].params["TZID"] == "America/New_York"


def test_the_cli_writes_an_ics_that_parses(synced, tmp_path):
    made = _book(synced, "e2e-calendar-0002", slot=1)
    rid = made["reservation"]["reservation_id"]
    out = tmp_path / "dinner.ics"
    env = {k: v for k, v in os.environ.items() if not k.startswith("RESGW_")}
    env |= {"RESGW_DATA_DIR": str(synced.data_dir), **SYNC_ENV}

    done = subprocess.run(
        [str(BIN / "reservation-gateway"), "calendar-ics", rid, "--out", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )

    assert done.returncode == 0, done.stderr
    calendar = Calendar.from_ical(out.read_bytes())
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert calendar.walk("VEVENT")[0].decoded("SEQUENCE") == 0
    missing = subprocess.run(
        [str(BIN / "reservation-gateway"), "calendar-ics", "rsv_nope", "--out", "-"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert missing.returncode == 1 and "rsv_nope" in missing.stderr


def test_a_cancellation_removes_the_event(synced):
    made = _book(synced, "e2e-calendar-0003", slot=2)
    rid = made["reservation"]["reservation_id"]
    entry = _until(synced, rid, "CALENDAR_SYNC_STATUS_SYNCED")

    synced.call(CANCEL, {"reservation_id": rid})
    removed = _until(synced, rid, "CALENDAR_SYNC_STATUS_REMOVED")

    assert removed.get("calendar_link", "") == ""
    assert b"METHOD:CANCEL" in base64.b64decode(removed["ics"])
    statuses = {e["id"]: e["status"] for e in _events(synced)}
    assert statuses[entry["sync"]["event_id"]] == "cancelled"


def test_an_unknown_reservation_is_not_found(synced):
    failed = synced.grpcurl(EVENT, data={"reservation_id": "rsv_unknown000"})

    assert failed.returncode != 0
    assert "NotFound" in failed.stderr + failed.stdout


def test_without_credentials_sync_is_off_and_nothing_is_sent(gateway):
    made = _book(gateway, "e2e-calendar-0004")
    rid = made["reservation"]["reservation_id"]

    entry = gateway.call(EVENT, {"reservation_id": rid})

    assert made["calendar_link"] == entry["calendar_link"]
    assert entry["sync"]["status"] == "CALENDAR_SYNC_STATUS_OFF"
    assert "calendar" not in gateway.sandbox_stats()
    assert _events(gateway) == []


def test_configured_credentials_never_leave_a_trace(tmp_path):
    """Credentials set (so Google's mode), pointed at the sandbox on loopback."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    running = start_gateway(
        tmp_path,
        RESGW_SANDBOX_ADDRESS=f"127.0.0.1:{port}",
        RESGW_LOG_LEVEL="DEBUG",
        RESGW_CALENDAR_CLIENT_ID=sandbox.SANDBOX_CLIENT_ID,
        RESGW_CALENDAR_CLIENT_SECRET=sandbox.SANDBOX_CLIENT_SECRET,
        RESGW_CALENDAR_REFRESH_TOKEN=sandbox.SANDBOX_REFRESH_TOKEN,
        RESGW_CALENDAR_BASE_URL=base,
        RESGW_CALENDAR_TOKEN_URL=base + sandbox.TOKEN_PATH,
    )
    running.sandbox_url = base
    try:
        made = _book(running, "e2e-calendar-0005")
        rid = made["reservation"]["reservation_id"]
        _until(running, rid, "CALENDAR_SYNC_STATUS_SYNCED")
        running.set_faults("calendar=expired")
        running.call(CANCEL, {"reservation_id": rid})
        answers = [json.dumps(_until(running, rid, "CALENDAR_SYNC_STATUS_REMOVED"))]
        running.set_faults("google_oauth=badgrant,calendar=expired")
        failing = _book(running, "e2e-calendar-0006", slot=1)
        other = failing["reservation"]["reservation_id"]
        answers.append(
            json.dumps(_until(running, other, "CALENDAR_SYNC_STATUS_RETRYING"))
        )
    finally:
        assert stop_gateway(running) == 0

    assert "credentials may have expired" in answers[-1]  # a person is told why
    stored = b"".join(path.read_bytes() for path in tmp_path.glob("gateway.db*"))
    log = "".join(running.log)
    assert '"calendar.token_refreshed"' in log
    for secret in (
        sandbox.SANDBOX_CLIENT_SECRET,
        sandbox.SANDBOX_REFRESH_TOKEN,
        "ya29.sandbox-",
    ):
        assert secret not in log
        assert secret.encode() not in stored
        assert not any(secret in answer for answer in answers)
