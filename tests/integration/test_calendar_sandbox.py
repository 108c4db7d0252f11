"""Google Calendar v3 through Authlib and httpx against the sandbox on loopback."""

import httpx
import pytest

from adapters.calendar.google_calendar import GoogleCalendarSync, calendar_operation
from adapters.calendar.resilient import ResilientCalendarSync
from adapters.calendar.settings import GoogleCalendarSettings
from adapters.metering import MeteredTransport
from adapters.resilience.policy import UpstreamPolicy
from adapters.resilience.registry import BreakerRegistry
from domain.calendar import event_for
from domain.errors import AuthError, CircuitOpenError, TransientAPIError
from entrypoints.sandbox import calendar as sandbox
from entrypoints.sandbox.server import start_sandbox
from tests.calendar_fakes import booked
from tests.fakes import FakeClock, FakeLedger

RID = "rsv_0123456789abcdef"
EVENT = event_for(booked(RID))
SECRETS = (
    sandbox.SANDBOX_CLIENT_SECRET,
    sandbox.SANDBOX_REFRESH_TOKEN,
    "ya29.sandbox-",
)


class Rig:
    def __init__(self, running, secret: str = sandbox.SANDBOX_CLIENT_SECRET) -> None:
        self.sandbox = running
        self.clock = FakeClock()
        self.ledger = FakeLedger()
        policy = UpstreamPolicy("calendar", fail_max=3, max_attempts=3, jitter="none")
        self.breakers = BreakerRegistry(self.clock, [policy])
        settings = GoogleCalendarSettings(
            base_url=running.base_url,
            token_url=running.base_url + sandbox.TOKEN_PATH,
            client_id=sandbox.SANDBOX_CLIENT_ID,
            client_secret=secret,
            refresh_token=sandbox.SANDBOX_REFRESH_TOKEN,
        )
        transport = MeteredTransport(
            provider="calendar",
            ledger=self.ledger,
            clock=self.clock,
            operation_of=calendar_operation,
        )
        self.google = GoogleCalendarSync(settings, self.clock, transport)
        self.sync = ResilientCalendarSync(
            self.google, self.breakers.resilience("calendar")
        )

    async def events(self) -> list[dict]:
        async with httpx.AsyncClient() as client:
            answer = await client.get(
                self.sandbox.base_url + "/_sandbox/calendar/events"
            )
        return answer.json()["events"]

    def operations(self) -> list[str]:
        return [f"{row.operation}:{row.http_status}" for row in self.ledger.rows]


@pytest.fixture
async def rig():
    running = await start_sandbox()
    made = Rig(running)
    yield made
    await made.google.aclose()
    await running.close()


async def test_insert_sends_the_derived_id_times_in_zone_and_a_popup(rig):
    await rig.sync.put(EVENT)

    [stored] = await rig.events()
    assert stored["id"] == EVENT.event_id
    assert stored["calendarId"] == "primary"
    assert stored["start"] == {
        "dateTime": "2027-01-15T19:30:00-05:00",
        "timeZone": "America/New_York",
    }
    assert stored["end"]["dateTime"] == "2027-01-15T21:30:00-05:00"
    assert stored["reminders"] == {
        "useDefault": False,
        "overrides": [{"method": "popup", "minutes": 120}],
    }
    assert stored["summary"] == "Dinner at Sandbox Tavern"
    assert stored["extendedProperties"] == {"private": {"reservationId": RID}}
    assert rig.operations() == ["token:200", "events.insert:200"]


async def test_an_insert_that_meets_409_patches_the_event_already_there(rig):
    await rig.sync.put(EVENT)
    moved = event_for(booked(RID, party_size=5))

    await rig.sync.put(moved)

    [stored] = await rig.events()
    assert stored["description"].startswith("Party of 5")
    assert stored["sequence"] == 1
    assert rig.operations()[-2:] == ["events.insert:409", "events.patch:200"]


async def test_an_expired_access_token_is_refreshed_once_and_the_call_resent(rig):
    await rig.sync.put(EVENT)
    rig.sandbox.faults.apply("calendar=expired")

    await rig.sync.put(event_for(booked(RID, party_size=3)), existing=True)

    assert rig.operations() == [
        "token:200",
        "events.insert:200",
        "events.patch:401",
        "token:200",
        "events.patch:200",
    ]
    assert rig.clock.slept == []  # no backoff: the refresh was the fix


async def test_a_retried_insert_whose_answer_was_lost_leaves_one_event(rig):
    rig.sandbox.faults.apply("calendar=insert-lost")

    await rig.sync.put(EVENT)

    events = await rig.events()
    assert [e["id"] for e in events] == [EVENT.event_id]
    assert rig.operations() == [
        "token:200",
        "events.insert:None",
        "events.insert:409",
        "events.patch:200",
    ]
    assert len(rig.clock.slept) == 1


@pytest.mark.parametrize("fault", ["calendar=ratelimit:2", "calendar=fail:2"])
async def test_rate_limits_and_outages_are_retried_with_backoff(rig, fault):
    await rig.sync.put(EVENT)
    rig.sandbox.faults.apply(fault)

    await rig.sync.remove(EVENT.event_id)

    assert rig.clock.slept == [2.0, 2.0]  # min_wait, backoff 1 and 2 s, bounded
    assert [e["status"] for e in await rig.events()] == ["cancelled"]


async def test_429_is_retried_then_the_breaker_opens(rig):
    rig.sandbox.faults.apply("calendar=429")

    tried = []
    for _ in range(3):
        with pytest.raises(TransientAPIError) as caught:
            await rig.sync.put(EVENT)
        assert caught.value.status_code == 429
        tried.append(sum(op.startswith("events.insert") for op in rig.operations()))
    with pytest.raises(CircuitOpenError):
        await rig.sync.put(EVENT)

    assert tried[0] == 3  # retried up to max_attempts, then the retry budget
    assert set(rig.operations()) == {"token:200", "events.insert:429"}
    assert await rig.events() == []


async def test_rate_limit_403_is_transient_with_its_reason(rig):
    rig.sandbox.faults.apply("calendar=ratelimit:3")

    with pytest.raises(TransientAPIError) as caught:
        await rig.sync.put(EVENT)

    assert caught.value.status_code == 403
    assert "rateLimitExceeded" in caught.value.message


async def test_deleting_twice_is_fine_410_means_already_gone(rig):
    await rig.sync.put(EVENT)

    await rig.sync.remove(EVENT.event_id)
    await rig.sync.remove(EVENT.event_id)
    await rig.sync.remove("neverinserted0000")

    assert rig.operations()[-3:] == [
        "events.delete:204",
        "events.delete:410",
        "events.delete:404",
    ]


async def test_a_revoked_refresh_token_is_an_auth_error_without_secrets(rig):
    rig.sandbox.faults.apply("google_oauth=badgrant")

    with pytest.raises(AuthError) as caught:
        await rig.sync.put(EVENT)

    message = str(caught.value)
    assert "invalid_grant" in message
    for secret in SECRETS:
        assert secret not in message
    assert rig.operations() == ["token:400"]


async def test_a_wrong_client_secret_is_refused_and_never_shown():
    running = await start_sandbox()
    rig = Rig(running, secret="not-the-secret-0123")
    try:
        with pytest.raises(AuthError) as caught:
            await rig.sync.put(EVENT)
    finally:
        await rig.google.aclose()
        await running.close()

    assert "invalid_client" in str(caught.value)
    assert "not-the-secret-0123" not in str(caught.value)


async def test_ledger_rows_hold_no_secret(rig):
    rig.sandbox.faults.apply("calendar=expired")
    await rig.sync.put(EVENT)
    await rig.sync.remove(EVENT.event_id)

    text = repr(rig.ledger.rows)
    for secret in SECRETS:
        assert secret not in text
    assert {row.provider for row in rig.ledger.rows} == {"calendar"}


async def test_the_sandbox_refuses_bad_events_as_google_does(rig):
    await rig.sync.put(EVENT)
    token = rig.google._access_token()
    url = rig.sandbox.base_url + "/calendar/v3/calendars/primary/events"
    bad = {
        "id": "UPPER-case",
        "start": {"dateTime": "2027-01-15T19:00:00Z"},
        "end": {"dateTime": "2027-01-15T21:00:00Z"},
    }
    empty = {**bad, "id": "abcde12345", "end": bad["start"]}
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}) as c:
        invalid = await c.post(url, json=bad)
        reversed_times = await c.post(url, json=empty)
        anonymous = await c.post(url, json=empty, headers={"Authorization": ""})

    assert invalid.status_code == 400
    assert reversed_times.json()["error"]["errors"][0]["reason"] == "timeRangeEmpty"
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["errors"][0]["location"] == "Authorization"
