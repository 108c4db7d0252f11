"""Resy /4/find answers checked by shape, and mapped to slots, without a network."""

import copy
import logging
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import httpx
import pytest

from adapters.resy.availability import ResyAvailability
from adapters.resy.schema import SchemaWatch, find_problem
from adapters.resy.settings import ResySettings
from domain import context
from domain.errors import SchemaChangeError, TransientAPIError, UpstreamTimeoutError
from domain.models import AvailabilityQuery, Platform, RestaurantRef
from tests.fakes import FakeClock

DAY = "2027-01-15"


def _slot(at: str, seating: str = "Dining Room", venue: int = 4242) -> dict:
    token = f"rgs://resy/{venue}/9001/2/{DAY}/{DAY}/{at}/2/{seating}"
    return {
        "availability": {"id": 3},
        "config": {"id": 777001, "type": seating, "is_visible": True, "token": token},
        "date": {"start": f"{DAY} {at}", "end": f"{DAY} 23:00:00"},
        "size": {"min": 1, "max": 4},
        "quantity": 2,
        "shift": {"id": 55, "day": DAY, "service": {"type": {"id": 2}}},
        "template": {"id": 9001},
        "market": {"date": {"on": 1799000000, "off": 1800000000}},
        "payment": {"is_paid": False, "cancellation_fee": None, "deposit_fee": None},
        "exclusive": {"id": 0, "is_eligible": False},
        "lock": None,
        "score": {"total": 0.5},
        "table": {"id": [12, 13]},
    }


def _answer(*slots: dict, venue: int = 4242, zone: str = "America/New_York") -> dict:
    """A realistic answer: the R7 skeleton of UPSTREAMS.md 1.3, with extra keys."""
    return {
        "results": {
            "venues": [
                {
                    "venue": {
                        "id": {"resy": venue},
                        "name": "Example Bistro",
                        "location": {"time_zone": zone},
                    },
                    "templates": {"9001": {"id": 9001}},
                    "slots": list(slots),
                }
            ]
        },
        "query": {"day": DAY, "party_size": 2},
    }


def test_a_realistic_answer_passes() -> None:
    # The spec's sketch looked for "venues" and "results" inside "results" and
    # so would refuse exactly this answer.
    assert find_problem(_answer(_slot("19:00:00"), _slot("19:30:00", "Bar"))) is None


@pytest.mark.parametrize(
    "payload",
    [
        {"results": {"venues": []}, "query": {}},
        {"results": {"venues": [{"venue": {"id": {"resy": "4242"}}, "slots": []}]}},
    ],
)
def test_no_availability_answers_pass(payload: dict) -> None:
    assert find_problem(payload) is None


def test_a_t_separator_in_times_is_accepted() -> None:
    slot = _slot("19:00:00")
    slot["date"]["start"] = f"{DAY}T19:00:00"

    assert find_problem(_answer(slot)) is None


def _drifted(change) -> dict:
    payload = copy.deepcopy(_answer(_slot("19:00:00")))
    change(payload)
    return payload


def _venue(p: dict) -> dict:
    return p["results"]["venues"][0]


@pytest.mark.parametrize(
    ("change", "where", "found"),
    [
        (
            lambda p: p.pop("results"),
            "results",
            "no 'results' in an object with keys [query]",
        ),
        (
            lambda p: p["results"].update(venue_list=p["results"].pop("venues")),
            "results.venues",
            "no 'venues' in an object with keys [venue_list]",
        ),
        (
            lambda p: p["results"].update(venues={}),
            "results.venues",
            "an object with keys []",
        ),
        (lambda p: p["results"]["venues"].append("x"), "results.venues[1]", "a string"),
        (lambda p: _venue(p).pop("slots"), "results.venues[0].slots", "no 'slots'"),
        (
            lambda p: _venue(p)["venue"].pop("id"),
            "results.venues[0].venue.id",
            "no 'id'",
        ),
        (
            lambda p: _venue(p)["slots"][0]["config"].pop("token"),
            "results.venues[0].slots[0].config.token",
            "no 'token'",
        ),
        (
            lambda p: _venue(p)["slots"][0]["config"].update(token=123),
            "results.venues[0].slots[0].config.token",
            "a number",
        ),
        (
            lambda p: _venue(p)["slots"][0]["date"].update(start=1800000000),
            "results.venues[0].slots[0].date.start",
            "a number",
        ),
        (
            lambda p: _venue(p)["slots"][0]["date"].update(start="2027-01-15 19:00"),
            "results.venues[0].slots[0].date.start",
            "'9999-99-99 99:99'",
        ),
        (
            lambda p: _venue(p)["slots"][0]["date"].update(start="2027-13-15 19:00:00"),
            "results.venues[0].slots[0].date.start",
            "a string shaped",
        ),
    ],
)
def test_drifted_answers_name_what_was_expected_and_what_was_found(
    change, where: str, found: str
) -> None:
    problem = find_problem(_drifted(change))

    assert problem is not None
    assert problem.where == where
    assert found in problem.found
    assert f"expected {where} to be" in problem.message()


@pytest.mark.parametrize("payload", [[], "results", None, 3])
def test_an_answer_that_is_not_an_object_fails(payload: object) -> None:
    assert find_problem(payload) is not None


def test_each_drifted_shape_is_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    watch = SchemaWatch()
    renamed = {"results": {"venue_list": []}}
    tokenless = _drifted(lambda p: _venue(p)["slots"][0]["config"].pop("token"))

    with caplog.at_level(logging.WARNING, logger="adapters.resy.schema"):
        for payload in (renamed, renamed, tokenless, tokenless, renamed):
            with pytest.raises(SchemaChangeError):
                watch.read_find(payload)

    events = [r for r in caplog.records if r.msg == "resy.schema_changed"]
    assert [r.where for r in events] == [
        "results.venues",
        "results.venues[0].slots[0].config.token",
    ]


def test_the_same_drift_at_another_index_is_one_shape() -> None:
    good = _answer(_slot("19:00:00"))["results"]["venues"][0]
    first = find_problem(_drifted(lambda p: p["results"]["venues"].append(1)))
    again = find_problem(_drifted(lambda p: p["results"]["venues"].extend([good, 1])))

    assert first is not None and again is not None
    assert (first.where, again.where) == ("results.venues[1]", "results.venues[2]")
    assert first.signature == again.signature


# The adapter, against canned answers served by httpx.MockTransport.

RESTAURANT = RestaurantRef(
    name="Example Bistro", time_zone="America/New_York", resy_venue_id="4242"
)


class _Upstream:
    def __init__(self, status: int = 200, body: object = None, text: str = "") -> None:
        self.status, self.body, self.text = status, body, text
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.text:
            return httpx.Response(self.status, text=self.text)
        return httpx.Response(self.status, json=self.body)


@pytest.fixture
async def adapter_for():
    clients: list[httpx.AsyncClient] = []

    def make(upstream: _Upstream, token: str | None = None) -> ResyAvailability:
        http = httpx.AsyncClient(transport=httpx.MockTransport(upstream))
        clients.append(http)
        settings = ResySettings(
            base_url="http://sandbox.invalid", api_key="abcdefgh1234", auth_token=token
        )
        return ResyAvailability(http, settings, FakeClock())

    yield make
    for http in clients:
        await http.aclose()


def _query(preferred: time | None = None, zone: str = "America/New_York"):
    restaurant = RestaurantRef("Example Bistro", zone, resy_venue_id="4242")
    return AvailabilityQuery(restaurant, date(2027, 1, 15), 2, preferred)


async def test_slots_are_aware_in_the_venue_zone_and_sorted(adapter_for) -> None:
    upstream = _Upstream(body=_answer(_slot("20:00:00"), _slot("18:30:00", "Bar")))

    slots = await adapter_for(upstream).find_slots(_query())

    zone = ZoneInfo("America/New_York")
    assert [s.start for s in slots] == [
        datetime(2027, 1, 15, 18, 30, tzinfo=zone),
        datetime(2027, 1, 15, 20, 0, tzinfo=zone),
    ]
    assert slots[0].end == datetime(2027, 1, 15, 23, 0, tzinfo=zone)
    assert slots[0].seating == "Bar"
    assert slots[0].platform is Platform.RESY
    assert slots[0].token.startswith("rgs://resy/4242/")


async def test_the_venue_zone_wins_over_a_stale_restaurant_record(adapter_for) -> None:
    upstream = _Upstream(body=_answer(_slot("19:00:00"), zone="Europe/London"))

    slots = await adapter_for(upstream).find_slots(_query(zone="America/New_York"))

    assert slots[0].start.tzinfo == ZoneInfo("Europe/London")


async def test_only_the_venue_asked_for_is_mapped(adapter_for) -> None:
    answer = _answer(_slot("19:00:00"))
    other = _answer(_slot("18:00:00", venue=9999), venue=9999)
    answer["results"]["venues"] += other["results"]["venues"]

    slots = await adapter_for(_Upstream(body=answer)).find_slots(_query())

    assert [s.start.hour for s in slots] == [19]


async def test_a_preferred_time_orders_by_closeness(adapter_for) -> None:
    times = ("17:00:00", "19:15:00", "21:00:00", "19:45:00")
    upstream = _Upstream(body=_answer(*(_slot(t) for t in times)))

    slots = await adapter_for(upstream).find_slots(_query(preferred=time(19, 30)))

    assert [s.start.strftime("%H:%M") for s in slots] == [
        "19:15",
        "19:45",
        "21:00",
        "17:00",
    ]


async def test_request_carries_the_browser_headers_and_key(adapter_for) -> None:
    upstream = _Upstream(body=_answer())

    await adapter_for(upstream).find_slots(_query())

    sent = upstream.requests[0]
    assert sent.url.path == "/4/find"
    assert dict(sent.url.params) == {
        "venue_id": "4242",
        "day": "2027-01-15",
        "party_size": "2",
        "lat": "0",
        "long": "0",
    }
    assert sent.headers["Authorization"] == 'ResyAPI api_key="abcdefgh1234"'
    assert sent.headers["User-Agent"].startswith("Mozilla/5.0")
    assert sent.headers["Origin"] == "https://resy.com"
    assert sent.headers["Referer"] == "https://resy.com/"
    assert sent.headers["X-Origin"] == "https://resy.com"
    assert sent.headers["Accept"] == "application/json, text/plain, */*"
    assert "X-Resy-Auth-Token" not in sent.headers


async def test_a_user_token_goes_in_both_auth_headers(adapter_for) -> None:
    upstream = _Upstream(body=_answer())

    await adapter_for(upstream, token="user-jwt").find_slots(_query())

    sent = upstream.requests[0]
    assert sent.headers["X-Resy-Auth-Token"] == "user-jwt"
    assert sent.headers["X-Resy-Universal-Auth"] == "user-jwt"


def test_settings_repr_hides_the_secrets() -> None:
    settings = ResySettings(
        "http://x.invalid", api_key="abcdefgh1234", auth_token="jwt"
    )

    assert "abcdefgh1234" not in repr(settings)
    assert "jwt" not in repr(settings)


async def test_a_spent_deadline_sends_nothing(adapter_for) -> None:
    upstream = _Upstream(body=_answer())
    adapter = adapter_for(upstream)
    token = context.deadline.set(FakeClock().monotonic() - 0.001)
    try:
        with pytest.raises(UpstreamTimeoutError) as caught:
            await adapter.find_slots(_query())
    finally:
        context.deadline.reset(token)

    assert caught.value.maybe_received is False
    assert upstream.requests == []


async def test_status_is_checked_before_the_body(adapter_for) -> None:
    upstream = _Upstream(status=503, text="<html>down</html>")

    with pytest.raises(TransientAPIError) as caught:
        await adapter_for(upstream).find_slots(_query())

    assert caught.value.status_code == 503
    assert not isinstance(caught.value, SchemaChangeError)


async def test_a_non_json_success_is_a_schema_change(adapter_for) -> None:
    upstream = _Upstream(text="<html>We'll be right back</html>")

    with pytest.raises(SchemaChangeError) as caught:
        await adapter_for(upstream).find_slots(_query())

    assert "JSON" in caught.value.message
