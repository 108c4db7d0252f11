"""The sandbox's OpenTable pages over plain HTTP: what a browser would be served."""

import re
from datetime import date, datetime, timedelta

import httpx
import pytest

from entrypoints.sandbox.catalogue import default_catalogue
from entrypoints.sandbox.faults import FaultBoard
from entrypoints.sandbox.server import (
    RunningSandbox,
    installed_upstreams,
    start_sandbox,
)
from tests.fakes import FakeClock

SLUG = "sandbox-1001-new-york"
PAGE = f"/r/{SLUG}"
EVENING = {"covers": "2", "dateTime": "2027-01-12T19:00"}
GUEST = {
    "firstName": "Ada",
    "lastName": "Lovelace",
    "phoneNumber": "+1 212 555 0100",
    "email": "ada@example.com",
}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def sandbox(clock: FakeClock):
    running = await start_sandbox(clock=clock)
    yield running
    await running.close()


@pytest.fixture
async def http(sandbox: RunningSandbox):
    # trust_env=False: no proxy from the environment may carry loopback traffic away.
    async with httpx.AsyncClient(base_url=sandbox.base_url, trust_env=False) as client:
        yield client


async def _book(
    http: httpx.AsyncClient, at: str = "2027-01-12T19:15"
) -> httpx.Response:
    details = await http.get(
        "/booking/details", params={"slug": SLUG, "dateTime": at, "partySize": "2"}
    )
    form = dict(re.findall(r'name="(\w+)" value="([^"]*)"', details.text))

    return await http.post("/booking/make-reservation", data={**form, **GUEST})


async def test_the_restaurant_page_has_its_form_and_an_empty_slot_list(http):
    page = await http.get(PAGE, params=EVENING)

    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert 'data-test="search-form"' in page.text
    assert 'data-test="availability-slots" aria-busy="true"' in page.text
    assert 'data-test="time-slot"' not in page.text.split("<script>")[0]
    assert '<option value="19:00" selected>' in page.text


async def test_the_times_endpoint_offers_the_catalogues_tables_near_the_time(
    http, clock
) -> None:
    answer = await http.get("/dapi/availability", params={"slug": SLUG, **EVENING})
    shown = [s["dateTime"] for s in answer.json()["availability"]["timeslots"]]

    catalogue = default_catalogue()
    venue = catalogue.opentable_venue(SLUG)
    asked = datetime(2027, 1, 12, 19, 0)
    openings = catalogue.openings(venue, date(2027, 1, 12), 2, clock.now())
    near = {o.start for o in openings if abs(o.start - asked) <= timedelta(hours=2.5)}
    assert shown == [f"{t:%Y-%m-%dT%H:%M}" for t in sorted(near)]


async def test_an_unknown_restaurant_is_a_404_page(http) -> None:
    page = await http.get("/r/no-such-place")

    assert page.status_code == 404
    assert 'data-test="not-found"' in page.text


@pytest.mark.parametrize("spec", ["dateTime=tomorrow", "covers=lots"])
async def test_bad_search_parameters_are_a_400_page(http, spec: str) -> None:
    name, _, value = spec.partition("=")

    page = await http.get(PAGE, params={**EVENING, name: value})

    assert page.status_code == 400


@pytest.mark.parametrize(("fault", "status"), [("botwall", 403), ("botwall200", 200)])
async def test_the_bot_wall_is_akamais_access_denied(
    http, sandbox, fault: str, status: int
) -> None:
    sandbox.faults.apply(f"opentable={fault}")

    page = await http.get(PAGE, params=EVENING)

    assert page.status_code == status
    assert page.headers["Server"] == "AkamaiGHost"
    assert "<TITLE>Access Denied</TITLE>" in page.text
    assert re.search(r"Reference&#32;&#35;18\.[0-9a-f]{8}\.\d+\.[0-9a-f]{8}", page.text)


async def test_the_captcha_page_holds_a_challenge_frame(http, sandbox) -> None:
    sandbox.faults.apply("opentable=captcha")

    page = await http.get(PAGE, params=EVENING)

    assert page.status_code == 200
    assert '<iframe title="Human verification challenge"' in page.text


async def test_a_booking_is_kept_and_listed_even_behind_a_bot_wall(http, sandbox):
    made = await _book(http)
    sandbox.faults.apply("opentable=botwall")

    listed = (await http.get("/_sandbox/opentable/bookings")).json()["bookings"]

    assert made.status_code == 303
    assert made.headers["Location"] == "/booking/view?confirmationNumber=100001"
    assert [(b["confirmation_number"], b["date_time"]) for b in listed] == [
        ("100001", "2027-01-12T19:15")
    ]


async def test_a_form_token_works_once(http) -> None:
    details = await http.get(
        "/booking/details",
        params={"slug": SLUG, "dateTime": "2027-01-12T19:15", "partySize": "2"},
    )
    form = {**dict(re.findall(r'name="(\w+)" value="([^"]*)"', details.text)), **GUEST}

    first = await http.post("/booking/make-reservation", data=form)
    again = await http.post("/booking/make-reservation", data=form)

    assert first.status_code == 303
    assert again.status_code == 400
    assert 'data-test="session-expired"' in again.text


async def test_a_form_without_the_guests_details_is_refused(http) -> None:
    details = await http.get(
        "/booking/details",
        params={"slug": SLUG, "dateTime": "2027-01-12T19:15", "partySize": "2"},
    )
    form = dict(re.findall(r'name="(\w+)" value="([^"]*)"', details.text))

    refused = await http.post(
        "/booking/make-reservation", data={**form, **GUEST, "email": ""}
    )

    assert refused.status_code == 400
    assert "Email" in refused.text


async def test_a_time_not_on_offer_is_gone(http) -> None:
    page = await http.get(
        "/booking/details",
        params={"slug": SLUG, "dateTime": "2027-01-12T16:00", "partySize": "2"},
    )

    assert page.status_code == 410
    assert 'data-test="slot-unavailable"' in page.text


async def test_the_reservation_page_cancels_with_its_own_form(http) -> None:
    await _book(http)
    view = await http.get("/booking/view", params={"confirmationNumber": "100001"})
    form = dict(re.findall(r'name="(\w+)" value="([^"]*)"', view.text))

    cancelled = await http.post("/booking/cancel", data=form)
    shown = await http.get("/booking/view", params={"confirmationNumber": "100001"})

    assert 'data-test="cancel-form"' in view.text
    assert cancelled.status_code == 303
    assert 'data-test="cancelled"' in shown.text
    listed = (await http.get("/_sandbox/opentable/bookings")).json()["bookings"]
    assert listed[0]["status"] == "cancelled"


async def test_generic_faults_answer_with_an_error_page(http, sandbox) -> None:
    sandbox.faults.apply("opentable=503-seconds:7")

    page = await http.get(PAGE, params=EVENING)

    assert (page.status_code, page.headers["Retry-After"]) == (503, "7")
    assert 'data-test="error"' in page.text


@pytest.mark.parametrize(
    "spec",
    ["opentable=slowrender:7", "opentable=markup:tables", "opentable=botwall:1"],
)
def test_opentables_own_faults_take_only_their_arguments(spec: str) -> None:
    extras = {u.name: u.extra_faults for u in installed_upstreams()}

    with pytest.raises(ValueError):
        FaultBoard(spec, extras=extras)
