"""OpenWeatherMap 2.5 current weather and 5-day/3-hour forecast behind the port."""

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import httpx

from adapters.deadline import bounded, time_left
from adapters.http_errors import raise_for_status
from adapters.weather.schema import Drift, cod, read_current, read_forecast
from adapters.weather.settings import OpenWeatherMapSettings
from domain.errors import (
    AuthError,
    PermanentAPIError,
    TransientAPIError,
)
from domain.models import Coordinates, WeatherReport
from domain.ports import Clock

logger = logging.getLogger(__name__)

_PROVIDER = "weather"
R = TypeVar("R")
CURRENT = "/data/2.5/weather"
FORECAST = "/data/2.5/forecast"
_PRODUCTS = {CURRENT: "current weather", FORECAST: "the 5-day/3-hour forecast"}
FORECAST_HORIZON = timedelta(days=5)
# Entries are three hours apart: one further than half a step is not "at" `when`.
FORECAST_SLACK = timedelta(minutes=90)


class OpenWeatherMap:
    """Conditions at a place: current weather near now, else the nearest forecast."""

    provider = _PROVIDER

    def __init__(
        self, http: httpx.AsyncClient, settings: OpenWeatherMapSettings, clock: Clock
    ) -> None:
        self._http = http
        self._settings = settings
        self._clock = clock

    async def conditions(self, at: Coordinates, when: datetime) -> WeatherReport:
        now = self._clock.now()
        wanted = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
        ahead = wanted - now
        window = timedelta(seconds=self._settings.current_within)
        if abs(ahead) <= window:
            return _read(read_current, await self._get(CURRENT, at), CURRENT)
        if ahead < -window:
            raise PermanentAPIError(
                f"no weather for {wanted.isoformat()}: it is past, and "
                "OpenWeatherMap's history is a product the gateway does not use",
                provider=_PROVIDER,
            )
        if ahead > FORECAST_HORIZON + FORECAST_SLACK:
            raise _beyond_forecast(wanted)

        entries = _read(read_forecast, await self._get(FORECAST, at), FORECAST)

        return _nearest(entries, wanted)

    async def _get(self, endpoint: str, at: Coordinates) -> dict[str, object]:
        seconds = time_left(self._settings.timeout, self._clock, _PROVIDER)
        params = {
            "lat": f"{at.latitude:.6f}",
            "lon": f"{at.longitude:.6f}",
            "units": "metric",
            "appid": self._settings.api_key,
        }
        url = self._settings.base_url.rstrip("/") + endpoint
        request = self._http.build_request("GET", url, params=params, timeout=seconds)
        return await bounded(
            self._exchange(request, endpoint), seconds, _PROVIDER, endpoint
        )

    async def _exchange(
        self, request: httpx.Request, endpoint: str
    ) -> dict[str, object]:
        response = await self._http.send(request, stream=True)
        try:
            # The status decides what the body is: an error is never read as data.
            if response.status_code >= 400:
                await response.aread()
                self._raise_for_status(response, endpoint)
            await response.aread()
        finally:
            await response.aclose()
        body, said = _decode(response, endpoint)
        if said is not None and said != 200:
            self._raise_for_code(said, body, endpoint)

        return body

    def _raise_for_status(self, response: httpx.Response, endpoint: str) -> None:
        if response.status_code == 401:
            raise self._refused(_message(response), endpoint, 401)
        raise_for_status(response, _PROVIDER, self._clock.now())

    def _raise_for_code(
        self, code: int, body: dict[str, object], endpoint: str
    ) -> None:
        """A 200 whose body says otherwise is classified by the body's `cod`."""
        text = body.get("message")
        message = text if isinstance(text, str) else ""
        if code == 401:
            raise self._refused(message, endpoint, code)
        what = f"OpenWeatherMap answered 200 with cod {code} to GET {endpoint}"
        if code == 429 or code >= 500:
            raise TransientAPIError(what, code, provider=_PROVIDER)

        raise PermanentAPIError(what, code, provider=_PROVIDER)

    def _refused(self, message: str, endpoint: str, status: int) -> AuthError:
        product = _PRODUCTS.get(endpoint, endpoint)
        if "invalid api key" in message.lower():
            return AuthError(
                f"OpenWeatherMap refused the API key (401) for {endpoint}",
                status,
                provider=_PROVIDER,
            )
        # Not a bad key: the key's plan lacks this product. Configuration, not outage.
        logger.error(
            "weather.plan_missing", extra={"provider": _PROVIDER, "endpoint": endpoint}
        )

        return AuthError(
            f"OpenWeatherMap's plan for this key does not include {product} "
            f"({endpoint}); subscribe the key to it or configure a key that has it",
            status,
            provider=_PROVIDER,
        )


def _read(
    reader: Callable[[dict[str, object]], R], body: dict[str, object], endpoint: str
) -> R:
    try:
        return reader(body)
    except Drift as drift:
        raise drift.error(endpoint) from None


def _decode(
    response: httpx.Response, endpoint: str
) -> tuple[dict[str, object], int | None]:
    """The JSON object and its own `cod`, or SchemaChangeError."""
    try:
        body = json.loads(response.content)
        if not isinstance(body, dict):
            raise Drift("the answer", "an object", type(body).__name__)
        said = cod(body)
    except ValueError:
        kind = response.headers.get("Content-Type", "no content type")
        raise Drift("the body", "JSON", kind).error(endpoint) from None
    except Drift as drift:
        raise drift.error(endpoint) from None

    return body, said


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    text = body.get("message") if isinstance(body, dict) else None

    return text if isinstance(text, str) else ""


def _beyond_forecast(wanted: datetime) -> PermanentAPIError:
    return PermanentAPIError(
        f"no forecast for {wanted.isoformat()}: OpenWeatherMap's 5-day/3-hour "
        "forecast reaches about five days ahead",
        provider=_PROVIDER,
    )


def _nearest(entries: list[WeatherReport], wanted: datetime) -> WeatherReport:
    if not entries:
        raise _beyond_forecast(wanted)
    best = min(entries, key=lambda entry: abs(entry.at - wanted))
    if abs(best.at - wanted) > FORECAST_SLACK:
        raise _beyond_forecast(wanted)

    return best
