"""The Calendar v3 client's classification of answers, on a scripted transport."""

import json

import httpx
import pytest

from adapters.calendar.google_calendar import (
    GoogleCalendarSync,
    calendar_operation,
    event_resource,
)
from adapters.calendar.settings import GoogleCalendarSettings
from domain.calendar import event_for
from domain.errors import (
    AuthError,
    PermanentAPIError,
    SchemaChangeError,
    TransientAPIError,
    UpstreamTimeoutError,
)
from tests.calendar_fakes import booked
from tests.fakes import FakeClock

BASE = "http://127.0.0.1:9"
SECRET = "client-secret-3f9a7c"
REFRESH = "1//refresh-token-8d2e41"
ACCESS = "ya29.access-token-55b1"
EVENT = event_for(booked())
TOKEN = {"access_token": ACCESS, "expires_in": 3599, "token_type": "Bearer"}


def _legacy(status: int, reason: str, domain: str = "global") -> httpx.Response:
    item = {"domain": domain, "reason": reason, "message": reason}
    body = {"error": {"errors": [item], "code": status, "message": reason}}
    return httpx.Response(status, json=body)


class Script:
    """Answers the token endpoint and the events API from two lists."""

    def __init__(self, events=(), token=None) -> None:
        self.events = list(events)
        self.token = token or (lambda: httpx.Response(200, json=TOKEN))
        self.seen: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        if request.url.path == "/token":
            return self.token()
        answer = self.events.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def _client(script: Script, calendar_id: str = "primary") -> GoogleCalendarSync:
    settings = GoogleCalendarSettings(
        base_url=BASE,
        token_url=BASE + "/token",
        client_id="client-id",
        client_secret=SECRET,
        refresh_token=REFRESH,
        calendar_id=calendar_id,
    )
    return GoogleCalendarSync(settings, FakeClock(), httpx.MockTransport(script))


def _ok() -> httpx.Response:
    return httpx.Response(200, json={"id": EVENT.event_id})


async def test_the_first_call_refreshes_a_token_with_the_refresh_grant():
    script = Script([_ok()])

    await _client(script).put(EVENT)

    token, insert = script.seen
    form = dict(httpx.QueryParams(token.content.decode()))
    assert form == {
        "grant_type": "refresh_token",
        "refresh_token": REFRESH,
        "client_id": "client-id",
        "client_secret": SECRET,
    }
    assert insert.headers["Authorization"] == f"Bearer {ACCESS}"
    assert insert.url.params["sendUpdates"] == "none"
    assert json.loads(insert.content) == event_resource(EVENT)


async def test_a_calendar_id_is_percent_encoded_into_the_path():
    script = Script([_ok()])

    await _client(script, "team@group.calendar.google.com").put(EVENT)

    assert script.seen[1].url.raw_path.startswith(
        b"/calendar/v3/calendars/team%40group.calendar.google.com/events"
    )


async def test_an_existing_event_is_patched_first_and_inserted_when_missing():
    script = Script([httpx.Response(404, json={}), _ok()])

    await _client(script).put(EVENT, existing=True)

    assert [r.method for r in script.seen[1:]] == ["PATCH", "POST"]
    assert "id" not in json.loads(script.seen[1].content)


@pytest.mark.parametrize(
    ("answer", "error", "status"),
    [
        (_legacy(403, "rateLimitExceeded", "usageLimits"), TransientAPIError, 403),
        (_legacy(403, "userRateLimitExceeded", "usageLimits"), TransientAPIError, 403),
        (_legacy(403, "forbidden"), AuthError, 403),
        (_legacy(429, "rateLimitExceeded", "usageLimits"), TransientAPIError, 429),
        (_legacy(400, "timeRangeEmpty"), PermanentAPIError, 400),
        (_legacy(503, "backendError"), TransientAPIError, 503),
        (httpx.Response(200, text="<html>"), SchemaChangeError, None),
        (httpx.Response(200, json={"id": "someoneelse"}), SchemaChangeError, None),
    ],
)
async def test_answers_become_domain_errors(answer, error, status):
    with pytest.raises(error) as caught:
        await _client(Script([answer])).put(EVENT)

    assert caught.value.status_code == status
    assert caught.value.provider == "calendar"


async def test_a_second_401_after_the_refresh_is_an_auth_error():
    unauthorized = _legacy(401, "authError")
    script = Script([unauthorized, _legacy(401, "authError")])

    with pytest.raises(AuthError):
        await _client(script).put(EVENT)

    assert [r.url.path for r in script.seen].count("/token") == 2


@pytest.mark.parametrize(
    ("token", "error"),
    [
        (lambda: httpx.Response(503, text="busy"), TransientAPIError),
        (lambda: httpx.Response(429, json={"error": "rate"}), TransientAPIError),
        (lambda: httpx.Response(200, text="<html>"), SchemaChangeError),
        (
            lambda: httpx.Response(400, json={"error": "invalid_grant"}),
            AuthError,
        ),
    ],
)
async def test_token_endpoint_failures_are_classified(token, error):
    with pytest.raises(error) as caught:
        await _client(Script([], token=token)).put(EVENT)

    for secret in (SECRET, REFRESH):
        assert secret not in str(caught.value)


async def test_a_dropped_connection_may_have_been_received():
    dropped = httpx.ReadError("connection reset")

    with pytest.raises(TransientAPIError):
        await _client(Script([dropped])).put(EVENT)


async def test_a_timeout_after_sending_is_an_upstream_timeout():
    with pytest.raises(UpstreamTimeoutError) as caught:
        await _client(Script([httpx.ReadTimeout("slow")])).remove(EVENT.event_id)

    assert caught.value.maybe_received


def test_ledger_operations_name_the_call_and_never_the_path():
    def named(method: str, path: str) -> str:
        return calendar_operation(httpx.Request(method, BASE + path))

    events = "/calendar/v3/calendars/a%40b.c/events"
    assert named("POST", "/token") == "token"
    assert named("POST", events) == "events.insert"
    assert named("PATCH", events + "/abcde") == "events.patch"
    assert named("DELETE", events + "/abcde") == "events.delete"
    assert named("GET", events + "/abcde") == "events.get"
