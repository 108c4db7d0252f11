"""grpcurl: availability from OpenTable while Resy is out; booking on both; replays."""

import pytest

from tests.e2e.conftest import next_week, start_gateway, stop_gateway

CHECK = "reservations.v1.AvailabilityService/CheckAvailability"
BOOK = "reservations.v1.BookingService/MakeReservation"
GET = "reservations.v1.BookingService/GetReservation"
TAVERN = {
    "name": "Sandbox Tavern",
    "resy_venue_id": "1001",
    "resy_url_slug": "sandbox-1001",
    "resy_city": "new-york-ny",
    "time_zone": "America/New_York",
    "opentable_slug": "sandbox-1001-new-york",
}
GUEST = {"name": "Ada Lovelace", "phone": "+1 212 555 0100", "email": "ada@example.com"}


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    running = start_gateway(
        tmp_path_factory.mktemp("booking"),
        RESGW_RESY_MAX_ATTEMPTS="1",
        RESGW_AVAILABILITY_FRESH_FOR="0",
    )
    yield running
    stop_gateway(running)


def _first_slot(gateway, size: int) -> dict:
    answer = gateway.call(
        CHECK, {"restaurant": TAVERN, "date": next_week(), "party_size": size}
    )
    assert answer["source"] == "SOURCE_LIVE", answer
    return answer["slots"][0]


def test_books_on_resy_and_the_same_key_returns_the_same_reservation(gateway):
    slot = _first_slot(gateway, 2)
    request = {
        "restaurant": TAVERN,
        "slot_token": slot["token"],
        "party_size": 2,
        "guest": GUEST,
        "idempotency_key": "e2e-resy-0001",
    }

    first = gateway.call(BOOK, request)
    again = gateway.call(BOOK, request)
    fetched = gateway.call(
        GET, {"reservation_id": first["reservation"]["reservation_id"]}
    )

    reservation = first["reservation"]
    assert reservation["status"] == "RESERVATION_STATUS_CONFIRMED"
    assert reservation["platform"] == "PLATFORM_RESY"
    assert reservation["start_local"] == slot["start_local"]
    assert first["confirmation_text"].startswith("Booked! Sandbox Tavern, ")
    assert again["replayed"] is True
    assert again["reservation"] == reservation
    assert fetched == reservation
    upstream = gateway.sandbox_get("/_sandbox/resy/reservations")
    assert len(upstream) == 1


def test_resy_out_availability_and_booking_come_from_opentable(gateway):
    gateway.set_faults("resy=outage")
    try:
        answer = gateway.call(
            CHECK,
            {
                "restaurant": TAVERN,
                "date": next_week(),
                "party_size": 4,
                "preferred_time": "19:00",
            },
        )
        slot = answer["slots"][0]
        booked = gateway.call(
            BOOK,
            {
                "restaurant": TAVERN,
                "date": next_week(),
                "time": slot["start_local"][11:16],
                "party_size": 4,
                "guest": GUEST,
                "idempotency_key": "e2e-opentable-0001",
            },
        )
    finally:
        gateway.set_faults("resy=none")

    assert answer["source"] == "SOURCE_LIVE"
    assert answer["provider"] == "opentable"
    assert slot["platform"] == "PLATFORM_OPENTABLE"
    assert answer["failures"][0]["provider"] == "resy"
    reservation = booked["reservation"]
    assert reservation["status"] == "RESERVATION_STATUS_CONFIRMED"
    assert reservation["platform"] == "PLATFORM_OPENTABLE"
    assert booked["failures"][0]["provider"] == "resy"
    assert len(gateway.sandbox_get("/_sandbox/opentable/bookings")) == 1


def test_a_booking_request_with_bad_input_books_nothing(gateway):
    failed = gateway.grpcurl(
        BOOK,
        data={
            "restaurant": TAVERN,
            "slot_token": "rgs://resy/2002/9/2/2030-01-01/2030-01-01/19:00:00/2/Bar",
            "party_size": 2,
            "guest": {"name": ""},
            "idempotency_key": "short",
        },
        flags=("-format-error",),
    )

    assert failed.returncode == 64 + 3, failed.stdout + failed.stderr
    for field in ("slot_token", "guest.name", "idempotency_key"):
        assert f'"field":"{field}"' in failed.stdout + failed.stderr
