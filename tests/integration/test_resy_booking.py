"""The Resy booking adapter against the sandbox's booking routes over loopback."""

import json
import logging
from datetime import date

import httpx
import pytest

from adapters.resy.availability import ResyAvailability
from adapters.resy.booking import ResyBooking, SlotGoneError
from adapters.resy.settings import ResySettings
from domain import context
from domain.errors import AuthError, PermanentAPIError, UpstreamTimeoutError
from domain.models import (
    AvailabilityQuery,
    Guest,
    Platform,
    Reservation,
    ReservationStatus,
    RestaurantRef,
    Slot,
)
from entrypoints.sandbox.resy_booking import SANDBOX_AUTH_TOKEN
from entrypoints.sandbox.server import RunningSandbox, start_sandbox
from tests.fakes import FakeClock

KEY = "sandboxPublicKey0001"
TAVERN = RestaurantRef("Sandbox Tavern", "America/New_York", resy_venue_id="1001")
DAY = date(2027, 1, 12)  # two days after FakeClock's "now"
GUEST = Guest("Ada Lovelace", "+1 212 555 0100", "ada@example.invalid")


class Rewire(httpx.AsyncBaseTransport):
    """The real transport, except for one path: raise there, or rewrite the answer."""

    def __init__(self, path: str, error: Exception | None = None) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self._path, self._error = path, error
        self.sent: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        if request.url.path == self._path and self._error is not None:
            raise self._error
        response = await self._inner.handle_async_request(request)
        if request.url.path == self._path:
            await response.aread()
            return httpx.Response(200, json={"venue_opt_in": False})
        return response


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def sandbox(clock: FakeClock):
    running = await start_sandbox(clock=clock)
    yield running
    await running.close()


@pytest.fixture
async def http():
    async with httpx.AsyncClient(trust_env=False) as client:
        yield client


def _settings(base_url: str, timeout: float = 5.0, token: str | None = None):
    auth = SANDBOX_AUTH_TOKEN if token is None else token
    return ResySettings(base_url, api_key=KEY, auth_token=auth, timeout=timeout)


@pytest.fixture
def booking(http, sandbox: RunningSandbox, clock: FakeClock):
    def make(timeout: float = 5.0, client: httpx.AsyncClient | None = None):
        settings = _settings(sandbox.base_url, timeout)
        return ResyBooking(client or http, settings, clock)

    return make


@pytest.fixture
async def slots(http, sandbox, clock) -> list[Slot]:
    return list(await _slots(http, sandbox, clock))


async def _slots(http, sandbox, clock, party: int = 2):
    resy = ResyAvailability(http, _settings(sandbox.base_url), clock)
    return await resy.find_slots(AvailabilityQuery(TAVERN, DAY, party))


async def _upstream(http, sandbox) -> list[dict]:
    return (await http.get(sandbox.base_url + "/_sandbox/resy/reservations")).json()


async def test_a_booking_confirms_and_its_slot_leaves_find(
    booking, http, sandbox, clock, slots
):
    made = await booking().book(slots[0], 2, GUEST)

    [upstream] = await _upstream(http, sandbox)
    assert made.confirmation_id == str(upstream["reservation_id"])
    assert made.platform_token == upstream["resy_token"]
    assert upstream["time_slot"] == slots[0].start.strftime("%H:%M:%S")
    left = [s.token for s in await _slots(http, sandbox, clock)]
    assert slots[0].token not in left and len(left) == len(slots) - 1
    assert sandbox.stats.count("resy", "/3/book") == 1


async def test_the_card_is_asked_once_and_the_book_is_form_encoded(
    sandbox, clock, slots
):
    wire = Rewire("/nowhere")
    async with httpx.AsyncClient(transport=wire, trust_env=False) as client:
        adapter = ResyBooking(client, _settings(sandbox.base_url), clock)
        await adapter.book(slots[0], 2, GUEST)
        await adapter.book(slots[1], 2, GUEST)

    assert sandbox.stats.count("resy", "/2/user") == 1
    book = next(r for r in wire.sent if r.url.path == "/3/book")
    assert book.headers["Content-Type"] == "application/x-www-form-urlencoded"
    form = dict(httpx.QueryParams(book.content.decode()))
    assert isinstance(json.loads(form["struct_payment_method"])["id"], int)


async def test_a_slot_booked_already_is_gone_404(booking, slots) -> None:
    await booking().book(slots[0], 2, GUEST)

    with pytest.raises(SlotGoneError) as caught:
        await booking().book(slots[0], 2, GUEST)

    assert caught.value.status_code == 404


@pytest.mark.parametrize(
    ("spec", "status"),
    [("resy=slotgone", 404), ("resy=slotgone:410", 410), ("resy=412", 412)],
)
async def test_slot_gone_statuses_are_permanent_with_their_status(
    booking, http, sandbox, slots, spec: str, status: int
) -> None:
    sandbox.faults.apply(spec)

    with pytest.raises(PermanentAPIError) as caught:
        await booking().book(slots[0], 2, GUEST)

    assert isinstance(caught.value, SlotGoneError)
    assert caught.value.status_code == status
    assert "no retry" in caught.value.message
    assert await _upstream(http, sandbox) == []


async def test_no_card_is_402_asking_for_one_before_any_book(booking, sandbox, slots):
    sandbox.faults.apply("resy=nocard")

    with pytest.raises(PermanentAPIError) as caught:
        await booking().book(slots[0], 2, GUEST)

    assert caught.value.status_code == 402
    assert "add a card to your Resy account" in caught.value.message
    assert sandbox.stats.count("resy", "/3/book") == 0


async def test_an_expired_book_token_is_refused_not_slot_gone(sandbox, clock, slots):
    async def five_minutes_later(response: httpx.Response) -> None:
        if response.request.url.path == "/3/details":
            clock.advance(300)

    hooks = {"response": [five_minutes_later]}
    async with httpx.AsyncClient(trust_env=False, event_hooks=hooks) as client:
        adapter = ResyBooking(client, _settings(sandbox.base_url), clock)
        with pytest.raises(PermanentAPIError) as caught:
            await adapter.book(slots[0], 2, GUEST)

    assert not isinstance(caught.value, SlotGoneError)
    assert caught.value.status_code == 400
    assert "expired" in caught.value.message


async def test_a_book_that_times_out_was_received_and_is_found_after(
    booking, http, sandbox, slots
) -> None:
    sandbox.faults.apply("resy=book-timeout")

    with pytest.raises(UpstreamTimeoutError) as caught:
        await booking(timeout=0.2).book(slots[0], 2, GUEST)

    assert caught.value.maybe_received is True
    [upstream] = await _upstream(http, sandbox)
    found = await booking().find_booked(slots[0], 2, GUEST)
    assert found is not None
    assert found.confirmation_id == str(upstream["reservation_id"])
    assert await booking().find_booked(slots[0], 3, GUEST) is None
    assert await booking().find_booked(slots[1], 2, GUEST) is None


@pytest.mark.parametrize(
    ("path", "error", "received"),
    [
        ("/3/book", httpx.ConnectError("refused"), False),
        ("/3/book", httpx.RemoteProtocolError("dropped"), True),
        ("/3/book", httpx.ReadTimeout("slow"), True),
        ("/3/details", httpx.ReadTimeout("slow"), False),
        ("/2/user", httpx.RemoteProtocolError("dropped"), False),
    ],
)
async def test_an_unanswered_call_says_whether_the_booking_may_exist(
    sandbox, clock, slots, path: str, error: Exception, received: bool
) -> None:
    async with httpx.AsyncClient(
        transport=Rewire(path, error), trust_env=False
    ) as client:
        adapter = ResyBooking(client, _settings(sandbox.base_url), clock)
        with pytest.raises(UpstreamTimeoutError) as caught:
            await adapter.book(slots[0], 2, GUEST)

    assert caught.value.maybe_received is received


async def test_a_book_answer_naming_nothing_is_read_back(sandbox, clock, slots):
    async with httpx.AsyncClient(
        transport=Rewire("/3/book"), trust_env=False
    ) as client:
        adapter = ResyBooking(client, _settings(sandbox.base_url), clock)
        made = await adapter.book(slots[0], 2, GUEST)

    assert made.platform_token.startswith("rr://")
    assert sandbox.stats.count("resy", "/3/user/reservations") == 1


async def test_cancel_frees_the_slot_and_find_booked_is_none(
    booking, http, sandbox, clock, slots
) -> None:
    adapter = booking()
    made = await adapter.book(slots[0], 2, GUEST)
    reservation = _reservation(made.platform_token, clock)

    await adapter.cancel(reservation)
    await adapter.cancel(reservation)  # a retried cancel still succeeds

    assert await adapter.find_booked(slots[0], 2, GUEST) is None
    assert [r["cancelled"] for r in await _upstream(http, sandbox)] == [True]
    assert slots[0] in await _slots(http, sandbox, clock)
    with pytest.raises(AuthError) as caught:
        await adapter.cancel(_reservation("rr://sandbox/unknown", clock))
    assert caught.value.status_code == 419


async def test_without_a_user_token_nothing_is_sent(http, sandbox, clock, slots):
    adapter = ResyBooking(http, _settings(sandbox.base_url, token=""), clock)

    with pytest.raises(AuthError, match="user auth token"):
        await adapter.book(slots[0], 2, GUEST)
    assert sandbox.stats.count("resy", "/2/user") == 0


async def test_a_passed_deadline_sends_nothing(booking, sandbox, clock, slots):
    token = context.deadline.set(clock.monotonic() - 1)
    try:
        with pytest.raises(UpstreamTimeoutError) as caught:
            await booking().book(slots[0], 2, GUEST)
    finally:
        context.deadline.reset(token)

    assert caught.value.maybe_received is False
    assert sandbox.stats.count("resy") == 1  # the /4/find of the fixture


async def test_no_secret_reaches_logs_or_errors(
    booking, http, sandbox, slots, caplog: pytest.LogCaptureFixture
) -> None:
    adapter = booking(timeout=0.2)
    headers = {"Authorization": f'ResyAPI api_key="{KEY}"', "User-Agent": "t"}
    headers["X-Resy-Auth-Token"] = SANDBOX_AUTH_TOKEN
    user = (await http.get(sandbox.base_url + "/2/user", headers=headers)).json()
    card = str(user["payment_methods"][0]["id"])
    with caplog.at_level(logging.DEBUG):
        made = await adapter.book(slots[0], 2, GUEST)
        sandbox.faults.apply("resy=book-timeout")
        with pytest.raises(UpstreamTimeoutError) as caught:
            await adapter.book(slots[1], 2, GUEST)

    secrets = [SANDBOX_AUTH_TOKEN, KEY, made.platform_token, card]
    standard = set(vars(logging.makeLogRecord({})))
    shown = [caught.value.message] + [
        f"{r.getMessage()} {[v for k, v in vars(r).items() if k not in standard]}"
        for r in caplog.records
    ]
    assert not [s for s in secrets for text in shown if s in text]
    assert not [t for t in shown if "sbx|" in t]  # the book token


USER = {
    "Authorization": f'ResyAPI api_key="{KEY}"',
    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64)",
    "X-Resy-Auth-Token": SANDBOX_AUTH_TOKEN,
}


async def _book_token(http, sandbox, slot: Slot, method: str = "POST") -> str:
    params = {"config_id": slot.token, "day": DAY.isoformat(), "party_size": 2}
    url = sandbox.base_url + "/3/details"
    if method == "GET":
        answer = await http.get(url, params=params, headers=USER)
    else:
        answer = await http.post(url, json=params, headers=USER)
    return answer.json()["book_token"]["value"]


async def _raw_book(http, sandbox, token: str, card: object) -> httpx.Response:
    form = {"book_token": token, "struct_payment_method": json.dumps({"id": card})}
    return await http.post(sandbox.base_url + "/3/book", data=form, headers=USER)


async def test_the_sandbox_book_wants_a_form_with_a_numeric_card_id(
    http, sandbox, slots
) -> None:
    user = (await http.get(sandbox.base_url + "/2/user", headers=USER)).json()
    card = user["payment_methods"][0]["id"]
    token = await _book_token(http, sandbox, slots[0], method="GET")
    url = sandbox.base_url + "/3/book"
    body = {"book_token": token, "struct_payment_method": json.dumps({"id": card})}

    as_json = await http.post(url, json=body, headers=USER)
    quoted = await _raw_book(http, sandbox, token, str(card))
    cardless = await http.post(url, data={"book_token": token}, headers=USER)
    good = await _raw_book(http, sandbox, token, card)
    again = await _raw_book(http, sandbox, token, card)

    assert (as_json.status_code, as_json.json()) == (
        400,
        {"message": "Invalid book token"},
    )
    assert quoted.status_code == 400 and "number" in quoted.json()["message"]
    assert cardless.status_code == 402
    assert good.status_code == 200 and good.json()["resy_token"].startswith("rr://")
    assert again.status_code == 400  # a book token is spent by its booking


async def test_a_book_token_lives_five_minutes_of_the_sandbox_clock(
    http, sandbox, clock, slots
) -> None:
    user = (await http.get(sandbox.base_url + "/2/user", headers=USER)).json()
    card = user["payment_methods"][0]["id"]
    fresh = await _book_token(http, sandbox, slots[0])
    stale = await _book_token(http, sandbox, slots[1])

    clock.advance(299)
    assert (await _raw_book(http, sandbox, fresh, card)).status_code == 200
    clock.advance(1)
    late = await _raw_book(http, sandbox, stale, card)

    assert (late.status_code, late.json()["message"]) == (400, "Book token has expired")


@pytest.mark.parametrize(
    "changes",
    [{"party_size": 3}, {"day": "2027-01-13"}, {"config_id": "rgs://resy/42/x"}],
)
async def test_details_refuses_a_configuration_it_cannot_read(
    http, sandbox, slots, changes: dict
) -> None:
    params = {"config_id": slots[0].token, "day": DAY.isoformat(), "party_size": 2}
    url = sandbox.base_url + "/3/details"

    answer = await http.post(url, json={**params, **changes}, headers=USER)

    assert answer.status_code == 400 and answer.json()["message"]


async def test_user_routes_need_a_user_token_and_the_listing_is_ungated(http, sandbox):
    anonymous = {k: v for k, v in USER.items() if k != "X-Resy-Auth-Token"}
    malformed = {**USER, "X-Resy-Auth-Token": "not-a-jwt"}

    for headers in (anonymous, malformed):
        for path in ("/2/user", "/3/user/reservations"):
            answer = await http.get(sandbox.base_url + path, headers=headers)
            assert answer.status_code == 419
    listing = await http.get(sandbox.base_url + "/_sandbox/resy/reservations")

    assert (listing.status_code, listing.json()) == (200, [])
    assert sandbox.stats.count("resy", "/_sandbox/resy/reservations") == 0


async def test_book_timeout_draws_repeat_with_the_seed(booking, sandbox, slots):
    async def pattern(start: int) -> list[bool]:
        sandbox.faults.apply("resy=none,resy=book-timeout:0.5,resy=seed:3")
        outcomes = []
        for slot in slots[start : start + 6]:
            try:
                outcomes.append(bool(await booking(timeout=0.1).book(slot, 2, GUEST)))
            except UpstreamTimeoutError:
                outcomes.append(False)
        return outcomes

    first = await pattern(0)

    assert first == await pattern(6)
    assert True in first and False in first


def _reservation(platform_token: str, clock: FakeClock) -> Reservation:
    return Reservation(
        "rsv_0000000000000001",
        "key-1",
        "fp",
        TAVERN,
        2,
        GUEST,
        ReservationStatus.CONFIRMED,
        clock.now(),
        clock.now(),
        platform=Platform.RESY,
        platform_token=platform_token,
    )
