"""grpcurl against a real gateway process: discovery, availability, errors, health."""

import json
import sqlite3
from datetime import date, timedelta

import pytest

from tests.e2e.conftest import BISTRO, next_week, start_gateway, stop_gateway

CHECK = "reservations.v1.AvailabilityService/CheckAvailability"


def test_reflection_lists_every_service(gateway):
    listed = gateway.grpcurl("list")

    assert listed.returncode == 0, listed.stderr
    services = set(listed.stdout.split())
    assert {
        "reservations.v1.AvailabilityService",
        "grpc.health.v1.Health",
        "grpc.reflection.v1alpha.ServerReflection",
    } <= services


def test_describe_shows_the_contract(gateway):
    described = gateway.grpcurl("describe", "reservations.v1.AvailabilityService")

    assert described.returncode == 0, described.stderr
    assert "rpc CheckAvailability" in described.stdout


def test_health_is_serving_overall_and_per_service(gateway):
    overall = gateway.call("grpc.health.v1.Health/Check", {})
    service = gateway.call(
        "grpc.health.v1.Health/Check",
        {"service": "reservations.v1.AvailabilityService"},
    )

    assert overall == {"status": "SERVING"}
    assert service == {"status": "SERVING"}


def test_check_availability_returns_real_looking_slots_then_hot(gateway):
    request = {"restaurant": BISTRO, "date": next_week(), "party_size": 2}

    first = gateway.call(CHECK, request)
    second = gateway.call(CHECK, request)

    assert first["source"] == "SOURCE_LIVE"
    assert first["provider"] == "resy"
    slot = first["slots"][0]
    assert slot["start_local"].startswith(next_week() + "T")
    assert slot["start_local"][-6:] in ("-05:00", "-04:00")
    assert slot["time_zone"] == "America/New_York"
    assert slot["platform"] == "PLATFORM_RESY"
    assert slot["seating_type"]
    assert slot["token"].startswith("rgs://resy/1001/")
    assert second["source"] == "SOURCE_HOT_CACHE"
    assert second["slots"] == first["slots"]
    links = {link["label"]: link["url"] for link in first["deep_links"]}
    assert links["Resy"] == (
        "https://resy.com/cities/new-york-ny/venues/sandbox-1001"
        f"?date={next_week()}&seats=2"
    )


def test_bad_input_is_invalid_argument_with_field_violations(gateway):
    yesterday = (date.today() - timedelta(days=2)).isoformat()
    request = {
        "restaurant": {**BISTRO, "time_zone": "Nowhere/Special"},
        "date": yesterday,
        "party_size": 0,
    }

    failed = gateway.grpcurl(CHECK, data=request, flags=("-format-error",))

    assert failed.returncode == 64 + 3, failed.stdout + failed.stderr
    error = json.loads(failed.stdout or failed.stderr)
    assert error["code"] == 3
    details = {d["@type"].rsplit("/", 1)[1]: d for d in error["details"]}
    fields = {v["field"] for v in details["google.rpc.BadRequest"]["field_violations"]}
    assert fields == {"restaurant.time_zone", "party_size"}
    assert details["google.rpc.ErrorInfo"]["reason"] == "INVALID_ARGUMENT"
    assert "party_size" in details["google.rpc.LocalizedMessage"]["message"]


@pytest.fixture(scope="module")
def always_live(tmp_path_factory):
    """A gateway whose cached answers are never fresh, so each call goes live."""
    running = start_gateway(
        tmp_path_factory.mktemp("live"),
        RESGW_AVAILABILITY_FRESH_FOR="0",
        RESGW_RESY_MAX_ATTEMPTS="1",
    )
    yield running
    stop_gateway(running)


def test_outage_after_a_success_serves_stale_with_the_disclaimer(always_live):
    request = {"restaurant": BISTRO, "date": next_week(), "party_size": 3}
    fresh = always_live.call(CHECK, request)

    always_live.set_faults("resy=outage")
    try:
        stale = always_live.call(CHECK, request)
    finally:
        always_live.set_faults("resy=none")

    assert fresh["source"] == "SOURCE_LIVE"
    assert stale["source"] == "SOURCE_STALE"
    assert stale["slots"] == fresh["slots"]
    assert "may have changed" in stale["message"]
    assert "couldn't reach Resy" in stale["message"]
    assert stale["failures"][0]["provider"] == "resy"


def test_outage_before_any_success_gives_links_and_a_message(always_live):
    later = (date.today() + timedelta(days=9)).isoformat()
    request = {"restaurant": BISTRO, "date": later, "party_size": 5}

    always_live.set_faults("resy=outage")
    try:
        answer = always_live.call(CHECK, request)
    finally:
        always_live.set_faults("resy=none")

    assert answer["source"] == "SOURCE_NONE"
    assert "slots" not in answer
    assert "couldn't check availability" in answer["message"]
    assert answer["deep_links"][0]["url"].startswith(
        "https://resy.com/cities/new-york-ny/venues/sandbox-1001?"
    )
    assert answer["failures"][0]["reason"] == "UPSTREAM_UNAVAILABLE"


def test_sigterm_stops_gracefully_and_every_attempt_left_one_row(tmp_path):
    running = start_gateway(
        tmp_path, RESGW_RESY_MAX_ATTEMPTS="2", RESGW_RESY_MIN_WAIT="0.05"
    )
    running.set_faults("resy=fail:1")
    for size in (2, 3, 4):
        request = {"restaurant": BISTRO, "date": next_week(), "party_size": size}
        running.call(CHECK, request)
    attempts = running.sandbox_stats()["resy"]["/4/find"]

    assert stop_gateway(running) == 0
    with sqlite3.connect(tmp_path / "gateway.db") as db:
        rows = db.execute(
            "select outcome, count(*) from api_calls where provider = 'resy' "
            "group by outcome"
        ).fetchall()
    assert attempts == 4
    assert dict(rows) == {"ok": 3, "http_503": 1}
    events = [json.loads(line)["event"] for line in running.log if line.startswith("{")]
    assert events[0] == "gateway.sandbox_mode"
    assert events[-1] == "gateway.stopped"
