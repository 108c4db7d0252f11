"""The Resy adapter against the sandbox over loopback HTTP, one test per fault."""

import asyncio
import logging
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from adapters.resy.availability import ResyAvailability
from adapters.resy.settings import ResySettings
from domain import context
from domain.errors import (
    AuthError,
    SchemaChangeError,
    TransientAPIError,
    UpstreamTimeoutError,
)
from domain.models import AvailabilityQuery, Platform, RestaurantRef
from entrypoints.sandbox.faults import FaultBoard
from entrypoints.sandbox.resy import REVOKED_KEY
from entrypoints.sandbox.server import RunningSandbox, serve_forever, start_sandbox
from tests.fakes import FakeClock

KEY = "sandboxPublicKey0001"
TAVERN = RestaurantRef(
    "Sandbox Tavern",
    "America/New_York",
    resy_venue_id="1001",
    resy_url_slug="sandbox-1001",
    resy_city="new-york-ny",
    opentable_slug="sandbox-1001-new-york",
)
DAY = date(2027, 1, 12)  # two days after FakeClock's "now"
BROWSER = {
    "Authorization": f'ResyAPI api_key="{KEY}"',
    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64)",
    "Origin": "https://resy.com",
    "Referer": "https://resy.com/",
}


@pytest.fixture
def resy(http: httpx.AsyncClient, sandbox: RunningSandbox, clock: FakeClock):
    def make(timeout: float = 5.0, key: str = KEY) -> ResyAvailability:
        settings = ResySettings(base_url=sandbox.base_url, api_key=key, timeout=timeout)
        return ResyAvailability(http, settings, clock)

    return make


def _query(day: date = DAY, party: int = 2, restaurant: RestaurantRef = TAVERN):
    return AvailabilityQuery(restaurant, day, party)


async def _find(http, sandbox, params=None, headers=None, method="GET"):
    params = params or {"venue_id": 1001, "day": DAY.isoformat(), "party_size": 2}
    url = sandbox.base_url + "/4/find"
    if method == "POST":
        return await http.post(url, json=params, headers=headers or BROWSER)
    return await http.get(url, params=params, headers=headers or BROWSER)


async def test_healthy_answer_maps_to_slots_in_the_venue_zone(resy, sandbox) -> None:
    slots = await resy().find_slots(_query())

    zone = ZoneInfo("America/New_York")
    assert len(slots) > 5
    assert all(s.start.tzinfo == zone and s.start.date() == DAY for s in slots)
    assert all(s.platform is Platform.RESY for s in slots)
    assert all(s.token.startswith("rgs://resy/1001/") for s in slots)
    assert {s.seating for s in slots} <= {"Dining Room", "Bar", "Patio"}
    assert [s.start for s in slots] == sorted(s.start for s in slots)
    assert await resy().find_slots(_query()) == slots
    assert sandbox.stats.count("resy", "/4/find") == 2


async def test_get_and_post_find_agree(http, sandbox) -> None:
    got = await _find(http, sandbox)
    posted = await _find(http, sandbox, method="POST")

    assert got.status_code == posted.status_code == 200
    assert got.json() == posted.json()
    assert got.json()["query"] == {"day": DAY.isoformat(), "party_size": 2}


def test_venue_1001_has_slots_every_day_of_the_window_for_1_to_8(sandbox, clock):
    venue = sandbox.catalogue.resy_venue(1001)
    today = clock.now().astimezone(ZoneInfo("America/New_York")).date()

    for offset in range(60):
        for party in range(1, 9):
            day = today + timedelta(days=offset)
            assert sandbox.catalogue.openings(venue, day, party, clock.now()), (
                day,
                party,
            )


async def test_unknown_venue_is_no_slots(resy, http, sandbox) -> None:
    stranger = RestaurantRef("Nowhere", "America/New_York", resy_venue_id="999999")

    assert await resy().find_slots(_query(restaurant=stranger)) == []
    params = {"venue_id": 999999, "day": DAY.isoformat(), "party_size": 2}
    assert (await _find(http, sandbox, params)).json()["results"]["venues"] == []


@pytest.mark.parametrize(("days_ahead", "party"), [(60, 2), (-1, 2), (2, 9)])
async def test_outside_the_window_or_party_limits_is_a_venue_without_slots(
    resy, http, sandbox, days_ahead: int, party: int
) -> None:
    day = date(2027, 1, 10) + timedelta(days=days_ahead)
    params = {"venue_id": 1001, "day": day.isoformat(), "party_size": party}

    venues = (await _find(http, sandbox, params)).json()["results"]["venues"]
    assert [v["slots"] for v in venues] == [[]]
    assert await resy().find_slots(_query(day=day, party=party)) == []


async def test_the_venue_zone_wins_over_the_restaurant_record(resy) -> None:
    ledger = RestaurantRef("The Quiet Ledger", "America/New_York", resy_venue_id="4001")

    slots = await resy().find_slots(_query(day=date(2027, 1, 14), restaurant=ledger))

    assert slots and slots[0].start.tzinfo == ZoneInfo("Europe/London")


@pytest.mark.parametrize(
    "params",
    [
        {"day": "2027-01-12", "party_size": 2},
        {"venue_id": "x", "day": "2027-01-12", "party_size": 2},
        {"venue_id": 1001, "day": "12/01/2027", "party_size": 2},
        {"venue_id": 1001, "day": "2027-02-30", "party_size": 2},
        {"venue_id": 1001, "day": "2027-01-12", "party_size": 0},
    ],
)
async def test_bad_params_are_400_with_a_message(http, sandbox, params) -> None:
    answer = await _find(http, sandbox, params)

    assert answer.status_code == 400
    assert answer.json()["message"]


async def test_outage_is_transient_503(resy, sandbox) -> None:
    sandbox.faults.apply("resy=outage")

    with pytest.raises(TransientAPIError) as caught:
        await resy().find_slots(_query())

    assert caught.value.status_code == 503


async def test_fail_n_then_recover(resy, sandbox) -> None:
    sandbox.faults.apply("resy=fail:2")
    adapter = resy()
    statuses = []
    for _ in range(2):
        with pytest.raises(TransientAPIError) as caught:
            await adapter.find_slots(_query())
        statuses.append(caught.value.status_code)

    assert statuses == [503, 500]
    assert await adapter.find_slots(_query())
    assert sandbox.stats.count("resy") == 3


@pytest.mark.parametrize(
    ("spec", "status", "retry_after"),
    [
        ("resy=429", 429, None),
        ("resy=429-seconds:30", 429, 30.0),
        ("resy=429-date:120", 429, 120.0),
        ("resy=503-seconds:5", 503, 5.0),
    ],
)
async def test_rate_limits_carry_retry_after_when_sent(
    resy, sandbox, spec: str, status: int, retry_after: float | None
) -> None:
    sandbox.faults.apply(spec)

    with pytest.raises(TransientAPIError) as caught:
        await resy().find_slots(_query())

    assert caught.value.status_code == status
    assert caught.value.retry_after == retry_after


async def test_seeded_failure_rate_repeats_exactly(resy, sandbox) -> None:
    async def pattern() -> list[bool]:
        sandbox.faults.apply("resy=none,resy=rate:0.5,resy=seed:7")
        outcomes = []
        for _ in range(12):
            try:
                outcomes.append(bool(await resy().find_slots(_query())))
            except TransientAPIError:
                outcomes.append(False)
        return outcomes

    first = await pattern()

    assert first == await pattern()
    assert True in first and False in first


async def test_missing_user_agent_is_a_plain_500(http, sandbox) -> None:
    request = http.build_request("GET", sandbox.base_url + "/4/find", headers=BROWSER)
    del request.headers["User-Agent"]

    answer = await http.send(request)

    assert (answer.status_code, answer.text) == (500, "Internal Server Error")


async def test_strict_header_gate_wants_origin_and_referer(resy, http, sandbox):
    sandbox.faults.apply("resy=headers")
    no_origin = {k: v for k, v in BROWSER.items() if k != "Origin"}

    assert (await _find(http, sandbox, headers=no_origin)).status_code == 500
    assert await resy().find_slots(_query())


@pytest.mark.parametrize("header", ["", 'ResyAPI api_key=""', "Bearer abcdefghijk"])
async def test_missing_or_malformed_key_is_419(http, sandbox, header: str) -> None:
    answer = await _find(http, sandbox, headers={**BROWSER, "Authorization": header})

    assert answer.status_code == 419


async def test_revoked_key_is_an_auth_error(resy) -> None:
    with pytest.raises(AuthError) as caught:
        await resy(key=REVOKED_KEY).find_slots(_query())

    assert caught.value.status_code == 419
    assert REVOKED_KEY not in caught.value.message


async def test_badkey_fault_is_an_auth_error(resy, sandbox) -> None:
    sandbox.faults.apply("resy=badkey")

    with pytest.raises(AuthError):
        await resy().find_slots(_query())


@pytest.mark.parametrize("variant", ["renamed", "tokenless", "html"])
async def test_schema_drift_is_a_schema_change(resy, sandbox, variant: str) -> None:
    sandbox.faults.apply(f"resy=schema:{variant}")

    with pytest.raises(SchemaChangeError):
        await resy().find_slots(_query())


async def test_a_slow_reply_past_the_timeout_is_an_upstream_timeout(resy, sandbox):
    sandbox.faults.apply("resy=slow:0.25")

    with pytest.raises(UpstreamTimeoutError) as caught:
        await resy(timeout=0.05).find_slots(_query())

    assert caught.value.maybe_received is True


async def test_the_callers_deadline_cuts_the_timeout_short(resy, sandbox, clock):
    sandbox.faults.apply("resy=slow:0.25")
    token = context.deadline.set(clock.monotonic() + 0.05)
    try:
        with pytest.raises(UpstreamTimeoutError):
            await resy(timeout=30.0).find_slots(_query())
    finally:
        context.deadline.reset(token)


async def test_reset_is_transient_not_a_timeout(resy, sandbox) -> None:
    sandbox.faults.apply("resy=reset")

    with pytest.raises(TransientAPIError) as caught:
        await resy().find_slots(_query())

    assert not isinstance(caught.value, UpstreamTimeoutError)
    assert "may have been received" in caught.value.message


async def test_hang_ends_in_a_timeout(resy, sandbox) -> None:
    sandbox.faults.apply("resy=hang")

    with pytest.raises(UpstreamTimeoutError):
        await resy(timeout=0.05).find_slots(_query())


async def test_closing_drops_calls_left_hanging(resy, sandbox) -> None:
    sandbox.faults.apply("resy=hang")
    call = asyncio.create_task(resy(timeout=30.0).find_slots(_query()))
    await sandbox.stats.wait_for("resy")

    await sandbox.close()

    with pytest.raises(TransientAPIError):
        await call


async def test_faults_flip_while_running(resy, http, sandbox) -> None:
    control = sandbox.base_url + "/_sandbox/faults"
    assert await resy().find_slots(_query())

    put = await http.put(control, content="resy=outage")
    assert put.json()["changed"] == ["resy"]
    assert (await http.get(control)).json()["resy"]["outage"] is True
    with pytest.raises(TransientAPIError):
        await resy().find_slots(_query())

    await http.put(control, content="resy=none")
    assert await resy().find_slots(_query())


@pytest.mark.parametrize(
    "spec", ["resy=bogus", "resy", "nosuchupstream=outage", "resy=fail:x"]
)
async def test_a_bad_spec_is_400_and_changes_nothing(http, sandbox, spec) -> None:
    sandbox.faults.apply("resy=slow:0.01")
    answer = await http.put(sandbox.base_url + "/_sandbox/faults", content=spec)

    assert answer.status_code == 400
    assert answer.json()["message"]
    assert sandbox.faults.as_dict()["resy"]["slow"] == 0.01


async def test_stats_count_and_reset_clears_faults_and_counts(resy, http, sandbox):
    await resy().find_slots(_query())
    sandbox.faults.apply("resy=outage")

    stats = (await http.get(sandbox.base_url + "/_sandbox/stats")).json()
    await http.post(sandbox.base_url + "/_sandbox/reset")

    assert stats == {"resy": {"/4/find": 1}}
    assert sandbox.stats.count() == 0
    assert sandbox.faults.as_dict() == {}
    assert await resy().find_slots(_query())


async def test_start_takes_a_fault_spec_and_refuses_garbage(clock) -> None:
    async with await start_sandbox(faults="resy=outage", clock=clock) as running:
        assert running.faults.as_dict()["resy"]["outage"] is True
        assert running.base_url.startswith("http://127.0.0.1:")
    with pytest.raises(ValueError, match="unknown upstream"):
        await start_sandbox(faults="nosuch=outage")
    with pytest.raises(ValueError, match="loopback"):
        await start_sandbox(host="0.0.0.0")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("resy=", "upstream=fault"),
        ("resy=outage,", "upstream=fault"),
        ("Resy=outage", "lower-case"),
        ("resy=rate:2", "from 0 to 1"),
        ("resy=outage:1", "takes no argument"),
        ("resy=schema:weird", "one of"),
        ("resy=429:5", "takes no argument"),
        ("resy=slow:fast", "a number"),
    ],
)
def test_fault_grammar_rejects_garbage_clearly(spec: str, message: str) -> None:
    extras = {"resy": {"schema": ("renamed",)}}

    with pytest.raises(ValueError, match=message):
        FaultBoard(spec, extras=extras)


def test_fault_entries_for_one_upstream_add_up() -> None:
    board = FaultBoard(" resy=fail:3 , resy=slow:0.2,resy=429-seconds:9 ")

    shown = board.as_dict()["resy"]
    assert (shown["fail_remaining"], shown["slow"]) == (3, 0.2)
    assert (shown["status"], shown["status_seconds"]) == ("429-seconds", 9)


class _Started(logging.Handler):
    """Catches the sandbox.started record, so a test can wait for it."""

    def __init__(self) -> None:
        super().__init__()
        self.seen = asyncio.Event()
        self.base_url = ""

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg == "sandbox.started":
            self.base_url = record.base_url
            self.seen.set()


async def test_serve_forever_serves_until_cancelled(http) -> None:
    started = _Started()
    server_log = logging.getLogger("entrypoints.sandbox.server")
    server_log.addHandler(started)
    server_log.setLevel(logging.INFO)
    try:
        task = asyncio.create_task(serve_forever("127.0.0.1", 0, "resy=outage"))
        await started.seen.wait()
        shown = (await http.get(started.base_url + "/_sandbox/faults")).json()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    finally:
        server_log.removeHandler(started)
        server_log.setLevel(logging.NOTSET)

    assert shown["resy"]["outage"] is True
