"""OpenWeatherMap: which endpoint a time needs, `cod` in both types, and errors."""

import logging
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from adapters.weather.openweathermap import OpenWeatherMap
from adapters.weather.schema import Drift, cod
from adapters.weather.settings import OpenWeatherMapSettings
from domain.errors import (
    AuthError,
    PermanentAPIError,
    SchemaChangeError,
    TransientAPIError,
)
from domain.models import Coordinates
from tests.fakes import FakeClock

KEY = "0123456789abcdef0123456789abcdef"
NOW = datetime(2027, 1, 10, 17, 0, tzinfo=UTC)
HERE = Coordinates(40.7208, -74.0041)


def _entry(at: datetime, temp: float = 3.0) -> dict[str, object]:
    return {
        "dt": int(at.timestamp()),
        "main": {"temp": temp, "feels_like": temp - 2, "humidity": 70},
        "weather": [{"id": 500, "main": "Rain", "description": "light rain"}],
        "wind": {"speed": 5.0},
        "pop": 0.4,
    }


def _current(**changes: object) -> dict[str, object]:
    return _entry(NOW, 4.5) | {"cod": 200} | changes


def _forecast(first: datetime = NOW + timedelta(hours=1)) -> dict[str, object]:
    entries = [_entry(first + timedelta(hours=3 * n), n) for n in range(40)]
    return {"cod": "200", "message": 0, "cnt": 40, "list": entries}


class Upstream:
    """A scripted OpenWeatherMap: one answer per path, and a log of requests."""

    def __init__(self) -> None:
        self.answers: dict[str, httpx.Response] = {
            "/data/2.5/weather": httpx.Response(200, json=_current()),
            "/data/2.5/forecast": httpx.Response(200, json=_forecast()),
        }
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.answers[request.url.path]


@pytest.fixture
def upstream() -> Upstream:
    return Upstream()


@pytest.fixture
def owm(upstream: Upstream) -> OpenWeatherMap:
    http = httpx.AsyncClient(transport=httpx.MockTransport(upstream))
    settings = OpenWeatherMapSettings(base_url="https://owm.invalid", api_key=KEY)
    return OpenWeatherMap(http, settings, FakeClock(NOW))


@pytest.mark.parametrize(
    ("value", "expected"), [(200, 200), ("200", 200), ("404", 404), (None, None)]
)
def test_cod_is_read_as_a_number_or_a_string(value, expected) -> None:
    body = {} if value is None else {"cod": value}

    assert cod(body) == expected


@pytest.mark.parametrize("value", ["two hundred", True, 200.0, []])
def test_a_cod_of_another_type_is_drift(value) -> None:
    with pytest.raises(Drift):
        cod({"cod": value})


@pytest.mark.parametrize("minutes", [0, 30, -30, 60])
async def test_a_time_within_the_hour_asks_for_current_weather(
    owm, upstream, minutes: int
) -> None:
    report = await owm.conditions(HERE, NOW + timedelta(minutes=minutes))

    assert [r.url.path for r in upstream.requests] == ["/data/2.5/weather"]
    params = upstream.requests[0].url.params
    assert (params["units"], params["appid"], params["lat"]) == (
        "metric",
        KEY,
        "40.720800",
    )
    assert not report.is_forecast
    assert (report.temperature_c, report.feels_like_c) == (4.5, 2.5)
    assert (report.humidity_percent, report.wind_kph) == (70, 18.0)
    assert report.summary == "light rain" and report.precipitation_probability is None


async def test_a_later_time_takes_the_nearest_forecast_entry(owm, upstream) -> None:
    report = await owm.conditions(HERE, NOW + timedelta(hours=8, minutes=20))

    assert [r.url.path for r in upstream.requests] == ["/data/2.5/forecast"]
    assert report.is_forecast
    assert report.at == NOW + timedelta(hours=7)
    assert report.temperature_c == 2.0 and report.precipitation_probability == 0.4


async def test_a_naive_time_is_taken_as_utc(owm, upstream) -> None:
    report = await owm.conditions(HERE, NOW.replace(tzinfo=None) + timedelta(hours=4))

    assert report.at == NOW + timedelta(hours=4)


@pytest.mark.parametrize("ahead", [timedelta(hours=-2), timedelta(days=6)])
async def test_a_time_out_of_reach_is_refused_without_a_call(
    owm, upstream, ahead
) -> None:
    with pytest.raises(PermanentAPIError):
        await owm.conditions(HERE, NOW + ahead)

    assert upstream.requests == []


async def test_a_time_beyond_the_entries_sent_is_refused(owm, upstream) -> None:
    upstream.answers["/data/2.5/forecast"] = httpx.Response(
        200, json=_forecast() | {"list": [_entry(NOW + timedelta(hours=1))]}
    )

    with pytest.raises(PermanentAPIError, match="no forecast"):
        await owm.conditions(HERE, NOW + timedelta(days=2))


async def test_a_200_whose_cod_says_not_found_is_permanent(owm, upstream) -> None:
    body = {"cod": "404", "message": "city not found"}
    upstream.answers["/data/2.5/weather"] = httpx.Response(200, json=body)

    with pytest.raises(PermanentAPIError) as caught:
        await owm.conditions(HERE, NOW)

    assert caught.value.status_code == 404


async def test_a_bad_key_is_an_auth_error_naming_no_plan(owm, upstream) -> None:
    body = {"cod": 401, "message": "Invalid API key. See the FAQ."}
    upstream.answers["/data/2.5/weather"] = httpx.Response(401, json=body)

    with pytest.raises(AuthError) as caught:
        await owm.conditions(HERE, NOW)

    assert "refused the API key" in caught.value.message
    assert KEY not in caught.value.message


async def test_an_endpoint_outside_the_plan_is_a_configuration_error(
    owm, upstream, caplog
) -> None:
    body = {"cod": 401, "message": "Not in your subscription."}
    upstream.answers["/data/2.5/forecast"] = httpx.Response(401, json=body)
    caplog.set_level(logging.INFO)

    with pytest.raises(AuthError) as caught:
        await owm.conditions(HERE, NOW + timedelta(days=1))

    assert "does not include the 5-day/3-hour forecast" in caught.value.message
    [record] = [r for r in caplog.records if r.msg == "weather.plan_missing"]
    assert record.endpoint == "/data/2.5/forecast"
    # httpx's own INFO line shows the URL, appid included: entrypoints/logs.py
    # keeps httpx at WARNING. The adapter's records must never hold the key.
    ours = [r for r in caplog.records if r.name.startswith("adapters.")]
    assert ours and all(KEY not in repr(r.__dict__) for r in ours)


@pytest.mark.parametrize(
    ("response", "error"),
    [
        (
            httpx.Response(429, json={"cod": 429, "message": "blocked"}),
            TransientAPIError,
        ),
        (httpx.Response(503, text="<html>down</html>"), TransientAPIError),
        (httpx.Response(401, text="<html>no</html>"), AuthError),
        (
            httpx.Response(400, json={"cod": "400", "message": "wrong latitude"}),
            PermanentAPIError,
        ),
        (httpx.Response(200, text="<html>maintenance</html>"), SchemaChangeError),
        (httpx.Response(200, json=[1, 2]), SchemaChangeError),
        (httpx.Response(200, json=_current(cod="OK")), SchemaChangeError),
        (httpx.Response(200, json=_current(main={"temp": "warm"})), SchemaChangeError),
    ],
)
async def test_the_status_decides_before_the_body_is_read_as_weather(
    owm, upstream, response, error
) -> None:
    upstream.answers["/data/2.5/weather"] = response

    with pytest.raises(error) as caught:
        await owm.conditions(HERE, NOW)

    assert KEY not in str(caught.value)


async def test_a_429_carries_retry_after_when_sent(owm, upstream) -> None:
    upstream.answers["/data/2.5/weather"] = httpx.Response(
        429, json={"cod": 429, "message": "blocked"}, headers={"Retry-After": "60"}
    )

    with pytest.raises(TransientAPIError) as caught:
        await owm.conditions(HERE, NOW)

    assert (caught.value.status_code, caught.value.retry_after) == (429, 60.0)
