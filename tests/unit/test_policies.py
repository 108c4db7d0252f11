"""Pure policies: deep links, age wording, request validation, error sentences."""

from datetime import UTC, date, datetime, time
from urllib.parse import parse_qs, urlsplit

import pytest

from domain.deeplinks import deep_links, opentable_link, resy_link, website_link
from domain.errors import (
    AuthError,
    CAPTCHAError,
    CircuitOpenError,
    InvalidRequestError,
    SchemaChangeError,
    TransientAPIError,
)
from domain.messages import explain
from domain.models import DeepLink, RestaurantRef
from domain.validation import parse_query
from domain.wording import describe_age, stale_disclaimer
from tests.unit.conftest import BISTRO


def test_resy_link_uses_city_and_slug_and_encodes():
    ref = RestaurantRef("X", "America/New_York", "7", "café & bar", "new-york-ny")

    link = resy_link(ref, date(2027, 1, 15), 2)

    parts = urlsplit(link.url)
    assert parts.path == "/cities/new-york-ny/venues/caf%C3%A9%20%26%20bar"
    assert parse_qs(parts.query) == {"date": ["2027-01-15"], "seats": ["2"]}


def test_resy_link_is_not_made_from_a_numeric_venue_id():
    ref = RestaurantRef("X", "America/New_York", "1001", "1001", "new-york-ny")

    assert resy_link(ref, date(2027, 1, 15), 2) is None


def test_opentable_link_has_covers_and_local_datetime():
    link = opentable_link(BISTRO, date(2027, 1, 15), 4, time(20, 30))

    assert link.url == (
        "https://www.opentable.com/r/sandbox-1001-new-york"
        "?covers=4&dateTime=2027-01-15T20%3A30"
    )


@pytest.mark.parametrize(
    "site", ["javascript:alert(1)", "ftp://x.example", "bistro.example", ""]
)
def test_website_link_only_for_http_and_https(site):
    assert website_link(RestaurantRef("X", "UTC", website=site)) is None


def test_all_links_in_order():
    labels = [link.label for link in deep_links(BISTRO, date(2027, 1, 15), 2)]

    assert labels == ["Resy", "OpenTable", "Website"]


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (0.4, "just now"),
        (1, "1 second ago"),
        (42, "42 seconds ago"),
        (60, "1 minute ago"),
        (20 * 60 + 59, "20 minutes ago"),
        (3600, "1 hour ago"),
        (2 * 3600 + 5 * 60, "2 hours 5 minutes ago"),
        (3 * 86400, "3 days ago"),
    ],
)
def test_describe_age(seconds, words):
    assert describe_age(seconds) == words


def test_stale_disclaimer_matches_the_spec_wording():
    assert stale_disclaimer(1200, "resy") == (
        "Note: These time slots are from 20 minutes ago and may have changed. "
        "I couldn't reach Resy to get fresh data."
    )


NOW = datetime(2027, 1, 10, 17, 0, tzinfo=UTC)


def violations(**overrides):
    args = {
        "restaurant": BISTRO,
        "day_text": "2027-01-15",
        "party_size": 2,
        "preferred_time_text": "",
        "now": NOW,
    }
    args.update(overrides)
    with pytest.raises(InvalidRequestError) as caught:
        parse_query(**args)
    return {v.field for v in caught.value.violations}


def test_valid_query_parses():
    query = parse_query(BISTRO, "2027-01-15", 2, "19:30", NOW)

    assert (query.day, query.party_size, query.preferred_time) == (
        date(2027, 1, 15),
        2,
        time(19, 30),
    )


@pytest.mark.parametrize("size", [0, -1, 21])
def test_party_size_out_of_range(size):
    assert violations(party_size=size) == {"party_size"}


@pytest.mark.parametrize("text", ["2027-02-30", "15/01/2027", "", "2027-1-5"])
def test_malformed_date(text):
    assert violations(day_text=text) == {"date"}


def test_past_date_is_judged_in_the_restaurants_zone():
    # 02:00 UTC on the 11th is still the 10th in New York.
    early = datetime(2027, 1, 11, 2, 0, tzinfo=UTC)

    parse_query(BISTRO, "2027-01-10", 2, "", early)
    assert violations(day_text="2027-01-09", now=early) == {"date"}


def test_unknown_zone_and_no_platform_are_reported_together():
    ref = RestaurantRef("X", "Mars/Olympus")

    assert violations(restaurant=ref) == {"restaurant.time_zone", "restaurant"}


LINK = DeepLink("Resy", "https://resy.com/cities/ny/venues/x")


@pytest.mark.parametrize(
    ("error", "reason", "words"),
    [
        (
            AuthError("401", 401, provider="resy"),
            "UPSTREAM_AUTH_FAILED",
            "credentials may have expired",
        ),
        (CAPTCHAError("wall", provider="opentable"), "UPSTREAM_CAPTCHA", LINK.url),
        (
            TransientAPIError("503", 503, provider="resy", retry_after=30),
            "UPSTREAM_UNAVAILABLE",
            "30 seconds",
        ),
        (
            SchemaChangeError("drift", provider="resy"),
            "UPSTREAM_SCHEMA_CHANGED",
            "updated their system",
        ),
        (
            CircuitOpenError("open", provider="resy", retry_after=600),
            "CIRCUIT_OPEN",
            "10 minutes",
        ),
    ],
)
def test_every_error_kind_has_a_reason_and_a_filled_sentence(error, reason, words):
    told = explain(error, LINK)

    assert told.reason == reason
    assert words in told.sentence
    assert "{" not in told.sentence and "}" not in told.sentence


@pytest.mark.parametrize(
    "zone", ["America", "Europe", "localtime", "Factory", "x" * 100_000, "UTC "]
)
def test_only_place_zones_are_accepted(zone):
    assert violations(restaurant=RestaurantRef("X", zone, "1001")) == {
        "restaurant.time_zone"
    }


@pytest.mark.parametrize("venue", ["9" * 70_000, "١٠٠١", "10a1"])
def test_a_resy_venue_id_is_a_short_ascii_number(venue):
    ref = RestaurantRef("X", "America/New_York", venue)

    assert violations(restaurant=ref) == {"restaurant.resy_venue_id"}


def test_a_huge_value_is_not_echoed_whole():
    with pytest.raises(InvalidRequestError) as caught:
        parse_query(BISTRO, "9" * 100_000, 2, "", NOW)

    assert len(str(caught.value)) < 300
    assert "100000 characters" in str(caught.value)


def test_preferred_time_is_hh_mm_only():
    assert violations(preferred_time_text="19:30:00") == {"preferred_time"}
