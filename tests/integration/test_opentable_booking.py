"""OpenTable booking and cancelling in real headless Chromium against the sandbox."""

from datetime import date

import httpx
import pytest
import pytest_asyncio

from adapters.opentable.availability import OpenTableAvailability
from adapters.opentable.booking import OpenTableBooking, OpenTableGuest
from adapters.opentable.browser import BrowserPool
from adapters.opentable.settings import OpenTableSettings
from domain.errors import (
    CAPTCHAError,
    InvalidRequestError,
    PermanentAPIError,
    SchemaChangeError,
    UpstreamTimeoutError,
)
from domain.models import AvailabilityQuery, RestaurantRef
from entrypoints.sandbox.server import RunningSandbox, start_sandbox
from tests.fakes import FakeClock, FakeLedger

pytestmark = pytest.mark.asyncio(loop_scope="module")

TAVERN = RestaurantRef(
    "Sandbox Tavern", "America/New_York", opentable_slug="sandbox-1001-new-york"
)
DAY = date(2027, 1, 12)
ADA = OpenTableGuest("Ada", "Lovelace", "+1 212 555 0100", "ada@example.com")


@pytest.fixture(scope="module")
def clock() -> FakeClock:
    return FakeClock()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def sandbox(clock: FakeClock):
    running = await start_sandbox(clock=clock)
    yield running
    await running.close()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def pool(sandbox: RunningSandbox):
    shared = BrowserPool(OpenTableSettings(base_url=sandbox.base_url))
    yield shared
    await shared.close()


@pytest_asyncio.fixture(loop_scope="module")
async def http():
    # trust_env=False: no proxy from the environment may carry loopback traffic away.
    async with httpx.AsyncClient(trust_env=False) as client:
        yield client


@pytest.fixture(autouse=True)
def healthy(sandbox: RunningSandbox):
    yield
    sandbox.faults.clear()


@pytest.fixture
def ledger() -> FakeLedger:
    return FakeLedger()


@pytest.fixture
def settings(sandbox: RunningSandbox) -> OpenTableSettings:
    return OpenTableSettings(base_url=sandbox.base_url)


@pytest.fixture
def booking(pool, settings, clock, ledger) -> OpenTableBooking:
    return OpenTableBooking(pool, settings, clock, ledger)


@pytest.fixture
def availability(pool, settings, clock) -> OpenTableAvailability:
    return OpenTableAvailability(pool, settings, clock, FakeLedger())


async def _a_token(availability: OpenTableAvailability, index: int = 0) -> str:
    slots = await availability.find_slots(AvailabilityQuery(TAVERN, DAY, 2))
    return slots[index].token


async def _bookings(http: httpx.AsyncClient, sandbox: RunningSandbox) -> dict:
    answer = await http.get(sandbox.base_url + "/_sandbox/opentable/bookings")
    return {b["confirmation_number"]: b for b in answer.json()["bookings"]}


async def test_a_booking_goes_through_the_form_to_a_confirmation(
    booking, availability, http, sandbox, ledger
) -> None:
    token = await _a_token(availability)

    confirmation = await booking.book(token, 2, ADA)

    stored = (await _bookings(http, sandbox))[confirmation.confirmation_id]
    assert stored["date_time"] == token.split("/")[3]
    assert stored["party_size"] == 2
    assert stored["status"] == "confirmed"
    assert stored["guest"] == {
        "firstName": "Ada",
        "lastName": "Lovelace",
        "phoneNumber": "+1 212 555 0100",
        "email": "ada@example.com",
    }
    assert f"{confirmation.local_start:%Y-%m-%dT%H:%M}" == stored["date_time"]
    assert [(r.operation, r.outcome, r.http_status) for r in ledger.rows] == [
        ("book", "ok", 200)
    ]


async def test_cancel_marks_the_booking_cancelled_and_may_be_repeated(
    booking, availability, http, sandbox, ledger
) -> None:
    confirmation = await booking.book(await _a_token(availability, 1), 2, ADA)

    await booking.cancel(confirmation.confirmation_id)
    await booking.cancel(confirmation.confirmation_id)

    stored = (await _bookings(http, sandbox))[confirmation.confirmation_id]
    assert stored["status"] == "cancelled"
    assert [r.operation for r in ledger.rows] == ["book", "cancel", "cancel"]


async def test_cancelling_an_unknown_number_is_a_permanent_404(booking) -> None:
    with pytest.raises(PermanentAPIError) as caught:
        await booking.cancel("999999")

    assert caught.value.status_code == 404


async def test_a_submit_that_never_answers_may_have_booked(
    pool, sandbox, clock, ledger, availability, http
) -> None:
    token = await _a_token(availability, 2)
    sandbox.faults.apply("opentable=bookhang")
    # Ample for the pages before the submit; the hang after it waits this out.
    quick = OpenTableSettings(base_url=sandbox.base_url, navigation_timeout=2.0)

    with pytest.raises(UpstreamTimeoutError) as caught:
        await OpenTableBooking(pool, quick, clock, ledger).book(token, 2, ADA)

    assert caught.value.maybe_received is True
    made = [b for b in (await _bookings(http, sandbox)).values()]
    assert any(b["date_time"] == token.split("/")[3] for b in made)
    assert [row.outcome for row in ledger.rows] == ["timeout"]


async def test_a_server_error_after_the_submit_may_have_booked(
    booking, sandbox, ledger, availability, http
) -> None:
    token = await _a_token(availability, 3)
    sandbox.faults.apply("opentable=bookerror")

    with pytest.raises(UpstreamTimeoutError, match="after the form was sent") as caught:
        await booking.book(token, 2, ADA)

    assert caught.value.maybe_received is True
    made = (await _bookings(http, sandbox)).values()
    assert any(b["date_time"] == token.split("/")[3] for b in made)
    assert [row.http_status for row in ledger.rows] == [500]


async def test_a_time_no_longer_offered_is_gone_and_nothing_is_sent(
    booking, http, sandbox
) -> None:
    before = len(await _bookings(http, sandbox))

    with pytest.raises(PermanentAPIError) as caught:
        await booking.book("ot://sandbox-1001-new-york/2027-01-12T16:00/2", 2, ADA)

    assert caught.value.status_code == 410
    assert len(await _bookings(http, sandbox)) == before


@pytest.mark.parametrize("fault", ["botwall", "botwall200", "captcha"])
async def test_a_bot_wall_at_booking_is_a_captcha_error(
    booking, sandbox, fault: str
) -> None:
    sandbox.faults.apply(f"opentable={fault}")

    with pytest.raises(CAPTCHAError):
        await booking.book("ot://sandbox-1001-new-york/2027-01-12T19:00/2", 2, ADA)


async def test_changed_markup_at_booking_is_a_schema_change(booking, sandbox):
    sandbox.faults.apply("opentable=markup")

    with pytest.raises(SchemaChangeError):
        await booking.book("ot://sandbox-1001-new-york/2027-01-12T19:00/2", 2, ADA)


@pytest.mark.parametrize(
    ("token", "party", "guest", "field"),
    [
        ("ot://sandbox-1001-new-york/2027-01-12T19:00/2", 4, ADA, "party_size"),
        ("rgs://resy/1001/1/2/2027-01-12", 2, ADA, "slot_token"),
        ("ot://sandbox-1001-new-york/2027-02-30T19:00/2", 2, ADA, "slot_token"),
        (
            "ot://sandbox-1001-new-york/2027-01-12T19:00/2",
            2,
            OpenTableGuest("Ada", "", "+1 212 555 0100", "ada-at-example"),
            "guest.last_name",
        ),
    ],
)
async def test_bad_input_is_refused_before_any_page_opens(
    booking, sandbox, ledger, token: str, party: int, guest, field: str
) -> None:
    before = sandbox.stats.count("opentable")

    with pytest.raises(InvalidRequestError) as caught:
        await booking.book(token, party, guest)

    assert field in [v.field for v in caught.value.violations]
    assert sandbox.stats.count("opentable") == before
    assert ledger.rows == []


async def test_a_malformed_confirmation_number_is_refused(booking) -> None:
    with pytest.raises(InvalidRequestError):
        await booking.cancel("100001/../x")
