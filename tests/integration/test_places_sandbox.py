"""The Places adapter against the sandbox over loopback HTTP: masks, faults, costs."""

import logging

import httpx
import pytest

from adapters.metering import MeteredTransport
from adapters.places.cost import places_cost, places_operation
from adapters.places.directory import GooglePlacesDirectory
from adapters.places.masks import DETAILS_MASK, SEARCH_MASK
from adapters.places.settings import PlacesSettings
from domain.errors import (
    AuthError,
    InvalidRequestError,
    PermanentAPIError,
    SchemaChangeError,
    TransientAPIError,
    UpstreamTimeoutError,
)
from domain.models import Coordinates
from entrypoints.sandbox.places import REVOKED_KEY
from entrypoints.sandbox.server import RunningSandbox, start_sandbox
from tests.fakes import FakeClock, FakeLedger

KEY = "sandboxPlacesKey000001"
TAVERN_AT = Coordinates(40.7208, -74.0041)
SANDBOX_LOG = "entrypoints.sandbox.places"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def sandbox(clock: FakeClock):
    running = await start_sandbox(clock=clock)
    yield running
    await running.close()


@pytest.fixture
def ledger() -> FakeLedger:
    return FakeLedger()


@pytest.fixture
async def http(ledger: FakeLedger, clock: FakeClock):
    transport = MeteredTransport(
        provider="google_places",
        ledger=ledger,
        clock=clock,
        operation_of=places_operation,
        cost_of=places_cost,
        # No proxy from the environment may carry loopback traffic away.
        inner=httpx.AsyncHTTPTransport(trust_env=False),
    )
    async with httpx.AsyncClient(transport=transport, trust_env=False) as client:
        yield client


@pytest.fixture
def places(http: httpx.AsyncClient, sandbox: RunningSandbox, clock: FakeClock):
    def make(timeout: float = 5.0, key: str = KEY) -> GooglePlacesDirectory:
        settings = PlacesSettings(
            base_url=sandbox.base_url, api_key=key, timeout=timeout
        )
        return GooglePlacesDirectory(http, settings, clock)

    return make


async def _raw(http, sandbox, path="/v1/places:searchText", headers=None, body=None):
    url = sandbox.base_url + path
    headers = {"X-Goog-Api-Key": KEY} | (headers or {})
    if path.endswith(":searchText"):
        return await http.post(
            url, json=body or {"textQuery": "tavern"}, headers=headers
        )
    return await http.get(url, headers=headers)


async def test_search_finds_the_tavern_near_its_coordinates(places, ledger) -> None:
    [tavern] = await places().search("Sandbox Tavern", TAVERN_AT, 2000, 5)

    assert tavern.place_id == "sandbox-place-1001"
    assert tavern.name == "Sandbox Tavern"
    assert tavern.location == TAVERN_AT
    assert tavern.time_zone == "America/New_York"
    assert tavern.rating == 4.5 and tavern.price_level == "PRICE_LEVEL_MODERATE"
    assert tavern.cuisines == ("american", "bar")
    assert tavern.website and tavern.phone
    assert [(r.operation, r.sku, r.cost_micros) for r in ledger.rows] == [
        ("places.search", "places.text_search.enterprise", 35_000)
    ]


async def test_search_ranks_by_the_bias_and_respects_the_limit(places) -> None:
    found = await places().search("restaurant", Coordinates(51.52, -0.08), 5000, 3)

    assert len(found) == 3
    assert found[0].name == "The Quiet Ledger"


async def test_an_unknown_name_finds_nothing(places, ledger) -> None:
    assert await places().search("Nowhere Grill", None, 0, 5) == []
    assert ledger.rows[0].cost_micros == 35_000  # an empty answer is still billed


async def test_details_map_the_place_and_cost_the_details_sku(places, ledger) -> None:
    ledger_place = await places().details("sandbox-place-4001")

    assert ledger_place.name == "The Quiet Ledger"
    assert ledger_place.time_zone == "Europe/London"
    assert ledger_place.cuisines == ("british", "wine bar")
    assert [(r.operation, r.sku, r.cost_micros) for r in ledger.rows] == [
        ("places.details", "places.place_details.enterprise", 20_000)
    ]


async def test_an_unknown_place_is_permanent_and_costs_nothing(places, ledger):
    with pytest.raises(PermanentAPIError) as caught:
        await places().details("sandbox-place-9999")

    assert caught.value.status_code == 404
    assert ledger.rows[0].cost_micros == 0


async def test_a_malformed_place_id_is_refused_without_a_call(places, sandbox):
    with pytest.raises(InvalidRequestError):
        await places().details("../../v1/places:searchText")

    assert sandbox.stats.count("google_places") == 0


async def test_every_call_sends_the_explicit_mask_header_never_a_wildcard(
    places, caplog
) -> None:
    caplog.set_level(logging.DEBUG, logger=SANDBOX_LOG)
    await places().search("Sandbox Tavern", TAVERN_AT, 1000, 5)
    await places().search("Copper Finch", None, 0, 1)
    await places().details("sandbox-place-1001")

    seen = [r for r in caplog.records if r.msg == "sandbox.places.field_mask"]
    assert [(r.source, r.mask) for r in seen] == [
        ("header", SEARCH_MASK.header),
        ("header", SEARCH_MASK.header),
        ("header", DETAILS_MASK.header),
    ]
    assert not [r for r in caplog.records if r.msg == "sandbox.places.wildcard_mask"]


async def test_a_missing_mask_is_400_invalid_argument(http, sandbox) -> None:
    answer = await _raw(http, sandbox)

    assert answer.status_code == 400
    error = answer.json()["error"]
    assert (error["code"], error["status"]) == (400, "INVALID_ARGUMENT")
    assert error["message"].startswith("FieldMask is a required parameter")


async def test_a_wildcard_is_served_whole_and_logged(http, sandbox, caplog) -> None:
    answer = await _raw(http, sandbox, headers={"X-Goog-FieldMask": "*"})

    [place] = answer.json()["places"]
    assert {"reservable", "timeZone", "rating", "displayName"} <= set(place)
    assert any(r.msg == "sandbox.places.wildcard_mask" for r in caplog.records)


async def test_only_the_masked_fields_come_back(http, sandbox) -> None:
    mask = {"X-Goog-FieldMask": "places.id,places.displayName.text"}
    answer = await _raw(http, sandbox, headers=mask)

    assert answer.json() == {
        "places": [
            {
                "id": "sandbox-place-1001",
                "displayName": {"text": "Sandbox Tavern", "languageCode": "en"},
            }
        ]
    }


@pytest.mark.parametrize(
    ("path", "mask"),
    [
        ("/v1/places:searchText", "displayName"),
        ("/v1/places:searchText", "places.colour"),
        ("/v1/places/sandbox-place-1001", "places.displayName"),
        ("/v1/places/sandbox-place-1001", "id,flavour"),
    ],
)
async def test_a_field_outside_the_grammar_is_400(http, sandbox, path, mask) -> None:
    answer = await _raw(http, sandbox, path, headers={"X-Goog-FieldMask": mask})

    assert answer.status_code == 400
    assert answer.json()["error"]["status"] == "INVALID_ARGUMENT"


@pytest.mark.parametrize(
    "body",
    [
        {"textQuery": ""},
        {"textQuery": "tavern", "pageSize": 21},
        {"textQuery": "tavern", "location": "nyc"},
        {"textQuery": "tavern", "locationBias": {"circle": {"radius": 10}}},
    ],
)
async def test_a_bad_search_body_is_400(http, sandbox, body) -> None:
    mask = {"X-Goog-FieldMask": "places.id"}
    answer = await _raw(http, sandbox, headers=mask, body=body)

    assert answer.status_code == 400


async def test_no_key_is_403_permission_denied(http, sandbox) -> None:
    url = sandbox.base_url + "/v1/places/sandbox-place-1001"
    answer = await http.get(url, headers={"X-Goog-FieldMask": "id"})

    assert answer.status_code == 403
    assert answer.json()["error"]["status"] == "PERMISSION_DENIED"


async def test_the_revoked_key_is_an_auth_error_that_never_shows_the_key(places):
    with pytest.raises(AuthError) as caught:
        await places(key=REVOKED_KEY).search("tavern", None, 0, 5)

    assert caught.value.status_code == 400
    assert "API_KEY_INVALID" in caught.value.message
    assert REVOKED_KEY not in caught.value.message


@pytest.mark.parametrize(
    ("spec", "status", "reason"),
    [
        ("google_places=badkey", 400, "API_KEY_INVALID"),
        ("google_places=denied", 403, "SERVICE_DISABLED"),
        ("google_places=denied:key_blocked", 403, "API_KEY_SERVICE_BLOCKED"),
        ("google_places=denied:billing", 403, "BILLING_DISABLED"),
    ],
)
async def test_refusals_by_reason_are_auth_errors(
    places, sandbox, spec, status, reason
):
    sandbox.faults.apply(spec)

    with pytest.raises(AuthError) as caught:
        await places().details("sandbox-place-1001")

    assert caught.value.status_code == status
    assert reason in caught.value.message
    assert KEY not in caught.value.message


async def test_outage_is_transient_503_in_googles_envelope(places, http, sandbox):
    sandbox.faults.apply("google_places=outage")

    with pytest.raises(TransientAPIError) as caught:
        await places().search("tavern", None, 0, 5)

    assert caught.value.status_code == 503
    error = (await _raw(http, sandbox)).json()["error"]
    assert error["status"] == "UNAVAILABLE"


async def test_fail_n_then_recover(places, sandbox) -> None:
    sandbox.faults.apply("google_places=fail:2")
    statuses = []
    for _ in range(2):
        with pytest.raises(TransientAPIError) as caught:
            await places().details("sandbox-place-1001")
        statuses.append(caught.value.status_code)

    assert statuses == [503, 500]
    assert (await places().details("sandbox-place-1001")).name == "Sandbox Tavern"


@pytest.mark.parametrize(
    ("spec", "retry_after"),
    [
        ("google_places=429", None),
        ("google_places=429-seconds:30", 30.0),
        ("google_places=429-date:120", 120.0),
        ("google_places=quota", 30.0),
        ("google_places=quota:2.5s", 2.5),
    ],
)
async def test_resource_exhausted_is_transient_with_the_wait_given(
    places, http, sandbox, ledger, spec, retry_after
) -> None:
    sandbox.faults.apply(spec)

    with pytest.raises(TransientAPIError) as caught:
        await places().search("tavern", None, 0, 5)

    assert caught.value.status_code == 429
    assert caught.value.retry_after == retry_after
    assert "RESOURCE_EXHAUSTED" in caught.value.message
    assert ledger.rows[0].cost_micros == 0


@pytest.mark.parametrize("variant", ["renamed", "flat", "html"])
async def test_schema_drift_is_a_schema_change(places, sandbox, variant) -> None:
    sandbox.faults.apply(f"google_places=schema:{variant}")

    with pytest.raises(SchemaChangeError):
        await places().search("Sandbox Tavern", None, 0, 5)
    with pytest.raises(SchemaChangeError):
        await places().details("sandbox-place-1001")


async def test_a_slow_reply_past_the_timeout_is_an_upstream_timeout(places, sandbox):
    sandbox.faults.apply("google_places=slow:0.25")

    with pytest.raises(UpstreamTimeoutError) as caught:
        await places(timeout=0.05).search("tavern", None, 0, 5)

    assert caught.value.maybe_received is True


async def test_a_reset_is_transient(places, sandbox) -> None:
    sandbox.faults.apply("google_places=reset")

    with pytest.raises(TransientAPIError):
        await places().details("sandbox-place-1001")
