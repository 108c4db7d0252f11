"""Resy's venue search against the sandbox over loopback, and how a hit is chosen."""

import httpx
import pytest

from adapters.resy.settings import ResySettings
from adapters.resy.venues import (
    ResyVenueMatcher,
    _best,
    distance_m,
    normalise,
    similarity,
)
from domain.errors import (
    AuthError,
    SchemaChangeError,
    TransientAPIError,
    UpstreamTimeoutError,
)
from domain.models import Coordinates, ResyVenue
from entrypoints.sandbox.resy import REVOKED_KEY
from entrypoints.sandbox.server import RunningSandbox
from tests.fakes import FakeClock

KEY = "sandboxPublicKey0001"
TAVERN_AT = Coordinates(40.7208, -74.0041)
TAVERN = ResyVenue("1001", "sandbox-1001", "new-york-ny", "America/New_York")
SEARCH = "/3/venuesearch/search"
BROWSER = {
    "Authorization": f'ResyAPI api_key="{KEY}"',
    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64)",
}


@pytest.fixture
def matcher(http: httpx.AsyncClient, sandbox: RunningSandbox, clock: FakeClock):
    def make(timeout: float = 5.0, key: str = KEY) -> ResyVenueMatcher:
        settings = ResySettings(base_url=sandbox.base_url, api_key=key, timeout=timeout)
        return ResyVenueMatcher(http, settings, clock)

    return make


async def test_finds_venue_1001_by_name_near_its_coordinates(matcher, sandbox):
    assert await matcher().match("Sandbox Tavern", TAVERN_AT) == TAVERN
    assert sandbox.stats.count("resy", SEARCH) == 1


async def test_a_name_as_google_spells_it_still_matches(matcher) -> None:
    assert await matcher().match("SANDBOX TAVERN", TAVERN_AT) == TAVERN
    juniper = await matcher().match("Juniper and Salt", Coordinates(34.0781, -118.26))
    assert juniper is not None and juniper.venue_id == "3001"


async def test_an_unknown_name_is_none(matcher) -> None:
    assert await matcher().match("Nowhere Grill", TAVERN_AT) is None


async def test_the_right_name_in_another_city_is_none(matcher) -> None:
    assert (
        await matcher().match("Sandbox Tavern", Coordinates(51.5246, -0.0817)) is None
    )


async def test_without_coordinates_only_an_exact_name_matches(matcher) -> None:
    assert await matcher().match("Sandbox Tavern", None) == TAVERN


async def test_the_flat_envelope_with_object_ids_is_understood(matcher, sandbox):
    sandbox.faults.apply("resy=schema:flat")

    found = await matcher().match("Sandbox Tavern", TAVERN_AT)

    assert found == ResyVenue("1001", "sandbox-1001", "ny", "")


@pytest.mark.parametrize("variant", ["renamed", "html"])
async def test_schema_drift_is_a_schema_change(matcher, sandbox, variant) -> None:
    sandbox.faults.apply(f"resy=schema:{variant}")

    with pytest.raises(SchemaChangeError):
        await matcher().match("Sandbox Tavern", TAVERN_AT)


async def test_an_unknown_field_is_400_unknown_field(http, sandbox) -> None:
    body = {"query": "tavern", "location": "ny"}
    answer = await http.post(sandbox.base_url + SEARCH, json=body, headers=BROWSER)

    assert (answer.status_code, answer.json()) == (400, {"message": "Unknown field."})


async def test_the_form_encoded_struct_data_is_accepted(http, sandbox) -> None:
    form = {"struct_data": '{"query": "copper finch", "per_page": 5}'}
    answer = await http.post(sandbox.base_url + SEARCH, data=form, headers=BROWSER)

    [hit] = answer.json()["search"]["hits"]
    assert (hit["id"]["resy"], hit["objectID"]) == (1002, "1002")


async def test_the_revoked_key_is_an_auth_error(matcher) -> None:
    with pytest.raises(AuthError) as caught:
        await matcher(key=REVOKED_KEY).match("Sandbox Tavern", TAVERN_AT)

    assert caught.value.status_code == 419
    assert REVOKED_KEY not in caught.value.message


@pytest.mark.parametrize(
    ("spec", "status", "retry_after"),
    [
        ("resy=outage", 503, None),
        ("resy=429", 429, None),
        ("resy=429-seconds:30", 429, 30.0),
    ],
)
async def test_outages_and_rate_limits_are_transient(
    matcher, sandbox, spec, status, retry_after
) -> None:
    sandbox.faults.apply(spec)

    with pytest.raises(TransientAPIError) as caught:
        await matcher().match("Sandbox Tavern", TAVERN_AT)

    assert (caught.value.status_code, caught.value.retry_after) == (status, retry_after)


async def test_a_slow_reply_past_the_timeout_is_an_upstream_timeout(matcher, sandbox):
    sandbox.faults.apply("resy=slow:0.25")

    with pytest.raises(UpstreamTimeoutError):
        await matcher(timeout=0.05).match("Sandbox Tavern", TAVERN_AT)


@pytest.mark.parametrize(
    ("name", "normal"),
    [
        ("The Quiet Ledger", "quiet ledger"),
        ("Juniper & Salt", "juniper and salt"),
        ("  Café  Kumo! ", "cafe kumo"),
        ("The", "the"),
    ],
)
def test_names_are_normalised_before_they_are_compared(name: str, normal: str):
    assert normalise(name) == normal


def test_similar_names_score_high_and_different_ones_low() -> None:
    assert similarity("sandbox tavern", "sandbox tavern") == 1.0
    assert similarity("carbone", "carbone new york") >= 0.85
    assert similarity("sandbox grill", "sandbox tavern") < 0.8
    assert similarity("", "sandbox") == 0.0


def test_distance_is_in_metres() -> None:
    a, b = Coordinates(40.7208, -74.0041), Coordinates(40.7298, -74.0041)

    assert 990 < distance_m(a, b) < 1010


def _hit(venue_id: object, name: str, lat: float, lng: float) -> dict[str, object]:
    return {"id": {"resy": venue_id}, "name": name, "_geoloc": {"lat": lat, "lng": lng}}


def test_the_best_hit_is_the_most_similar_one_within_a_kilometre() -> None:
    far = _hit(1, "Sandbox Tavern", 40.80, -74.0041)
    near_typo = _hit("2", "Sandbox Taverns", 40.7210, -74.0040)
    exact = _hit(3, "Sandbox Tavern", 40.7250, -74.0041)

    best = _best("Sandbox Tavern", TAVERN_AT, [far, near_typo, exact])

    assert best is not None and best.venue_id == "3"
    assert _best("Sandbox Tavern", TAVERN_AT, [far]) is None


def test_a_hit_without_coordinates_needs_the_exact_name() -> None:
    hit = {"objectID": "7", "name": "Sandbox Tavern Bar"}

    assert _best("Sandbox Tavern", TAVERN_AT, [hit]) is None
    assert _best("Sandbox Tavern Bar", TAVERN_AT, [hit]).venue_id == "7"


@pytest.mark.parametrize(
    "hit",
    [{"name": "No id"}, {"objectID": "abc", "name": "x"}, {"objectID": "1"}],
)
def test_a_hit_without_a_usable_id_or_name_is_a_schema_change(hit) -> None:
    with pytest.raises(SchemaChangeError):
        _best("x", None, [hit])
