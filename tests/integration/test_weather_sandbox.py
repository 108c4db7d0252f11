"""The OpenWeatherMap adapter against the sandbox over loopback HTTP, per fault."""

import logging
from datetime import timedelta

import httpx
import pytest

from adapters.weather.openweathermap import OpenWeatherMap
from adapters.weather.settings import OpenWeatherMapSettings
from domain.errors import (
    AuthError,
    PermanentAPIError,
    SchemaChangeError,
    TransientAPIError,
    UpstreamTimeoutError,
)
from domain.models import Coordinates
from entrypoints.sandbox.server import RunningSandbox
from entrypoints.sandbox.weather import REVOKED_KEY
from tests.fakes import FakeClock

KEY = "0123456789abcdef0123456789abcdef"
NEW_YORK = Coordinates(40.7208, -74.0041)
TOKYO = Coordinates(35.6654, 139.7168)


@pytest.fixture
def weather(http: httpx.AsyncClient, sandbox: RunningSandbox, clock: FakeClock):
    def make(timeout: float = 5.0, key: str = KEY) -> OpenWeatherMap:
        settings = OpenWeatherMapSettings(
            base_url=sandbox.base_url, api_key=key, timeout=timeout
        )
        return OpenWeatherMap(http, settings, clock)

    return make


async def test_current_weather_for_now(weather, sandbox, clock) -> None:
    report = await weather().conditions(NEW_YORK, clock.now())

    assert not report.is_forecast
    assert report.at == clock.now()
    assert -30 < report.temperature_c < 45
    assert report.summary and 0 <= report.humidity_percent <= 100
    assert sandbox.stats.count("weather", "/data/2.5/weather") == 1


async def test_a_forecast_for_later_is_the_nearest_three_hour_entry(
    weather, sandbox, clock
) -> None:
    when = clock.now() + timedelta(days=2, hours=1, minutes=10)

    report = await weather().conditions(NEW_YORK, when)

    assert report.is_forecast
    assert abs(report.at - when) <= timedelta(minutes=90)
    assert report.at.hour % 3 == 0
    assert 0 <= report.precipitation_probability <= 1
    assert sandbox.stats.count("weather", "/data/2.5/forecast") == 1


async def test_answers_are_a_pure_function_of_place_and_time(weather, clock) -> None:
    later = clock.now() + timedelta(hours=30)
    first = await weather().conditions(NEW_YORK, later)

    assert await weather().conditions(NEW_YORK, later) == first
    assert await weather().conditions(TOKYO, later) != first


async def test_cod_is_a_number_on_current_and_a_string_on_the_forecast(http, sandbox):
    params = {"lat": "40.7", "lon": "-74.0", "appid": KEY, "units": "metric"}
    current = await http.get(sandbox.base_url + "/data/2.5/weather", params=params)
    forecast = await http.get(sandbox.base_url + "/data/2.5/forecast", params=params)

    assert current.json()["cod"] == 200
    assert forecast.json()["cod"] == "200"
    assert forecast.json()["cnt"] == len(forecast.json()["list"]) == 40


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"lon": "-74.0"}, "Nothing to geocode"),
        ({"lat": "91", "lon": "0"}, "wrong latitude"),
        ({"lat": "0", "lon": "east"}, "wrong latitude or longitude"),
    ],
)
async def test_bad_coordinates_are_400_with_a_string_cod(
    http, sandbox, params, message
):
    url = sandbox.base_url + "/data/2.5/weather"
    answer = await http.get(url, params=params | {"appid": KEY})

    assert answer.status_code == 400
    assert answer.json() == {"cod": "400", "message": message}


async def test_beyond_the_forecast_is_refused_without_a_call(weather, sandbox, clock):
    with pytest.raises(PermanentAPIError, match="five days"):
        await weather().conditions(NEW_YORK, clock.now() + timedelta(days=7))

    assert sandbox.stats.count("weather") == 0


@pytest.mark.parametrize("key", [REVOKED_KEY, "not-a-key"])
async def test_a_bad_key_is_an_auth_error_that_never_shows_it(
    weather, clock, key
) -> None:
    with pytest.raises(AuthError) as caught:
        await weather(key=key).conditions(NEW_YORK, clock.now())

    assert caught.value.status_code == 401
    assert "refused the API key" in caught.value.message
    assert key not in caught.value.message


async def test_badkey_fault_refuses_every_endpoint(weather, sandbox, clock) -> None:
    sandbox.faults.apply("weather=badkey")

    for when in (clock.now(), clock.now() + timedelta(days=1)):
        with pytest.raises(AuthError):
            await weather().conditions(NEW_YORK, when)


async def test_a_forecast_outside_the_plan_is_a_configuration_error(
    weather, sandbox, clock, caplog
) -> None:
    sandbox.faults.apply("weather=noplan")
    caplog.set_level(logging.INFO, logger="adapters")

    with pytest.raises(AuthError) as caught:
        await weather().conditions(NEW_YORK, clock.now() + timedelta(days=1))

    assert "does not include the 5-day/3-hour forecast" in caught.value.message
    assert KEY not in caught.value.message
    [record] = [r for r in caplog.records if r.msg == "weather.plan_missing"]
    assert record.endpoint == "/data/2.5/forecast"
    assert (await weather().conditions(NEW_YORK, clock.now())).summary


async def test_outage_is_transient_503(weather, sandbox, clock) -> None:
    sandbox.faults.apply("weather=outage")

    with pytest.raises(TransientAPIError) as caught:
        await weather().conditions(NEW_YORK, clock.now())

    assert caught.value.status_code == 503


@pytest.mark.parametrize(
    ("spec", "retry_after"),
    [
        ("weather=429", None),
        ("weather=429-seconds:30", 30.0),
        ("weather=429-date:120", 120.0),
    ],
)
async def test_rate_limits_are_transient_with_retry_after_when_sent(
    weather, http, sandbox, clock, spec, retry_after
) -> None:
    sandbox.faults.apply(spec)

    with pytest.raises(TransientAPIError) as caught:
        await weather().conditions(NEW_YORK, clock.now())

    assert (caught.value.status_code, caught.value.retry_after) == (429, retry_after)
    params = {"lat": "1", "lon": "1", "appid": KEY}
    body = (
        await http.get(sandbox.base_url + "/data/2.5/weather", params=params)
    ).json()
    assert body["cod"] == 429 and body["message"]


@pytest.mark.parametrize(
    ("variant", "days"), [("renamed", 0), ("renamed", 1), ("html", 0), ("html", 1)]
)
async def test_schema_drift_is_a_schema_change(weather, sandbox, clock, variant, days):
    sandbox.faults.apply(f"weather=schema:{variant}")

    with pytest.raises(SchemaChangeError):
        await weather().conditions(NEW_YORK, clock.now() + timedelta(days=days))


async def test_a_slow_reply_past_the_timeout_is_an_upstream_timeout(
    weather, sandbox, clock
) -> None:
    sandbox.faults.apply("weather=slow:0.25")

    with pytest.raises(UpstreamTimeoutError):
        await weather(timeout=0.05).conditions(NEW_YORK, clock.now())
