"""OpenWeatherMap imitation: 2.5 current weather and 5-day/3-hour forecast anywhere.

Conditions are a pure function of the rounded coordinates and the hour, so
repeated calls agree. `appid` must be 32 hex digits and not the revoked key,
else 401 with {"cod": 401, "message": ...}; `cod` is a number on current
weather and a string on the forecast, as on the real service. Own faults:
badkey (401 everywhere), noplan (401 on the forecast: not in the key's plan),
schema[:renamed|html] (main is conditions and list is items, or an HTML page).
"""

import hashlib
import math
import re
from datetime import UTC, datetime, timedelta

from aiohttp import web

from entrypoints.sandbox.app import (
    Upstream,
    UpstreamCall,
    UpstreamRoutes,
    json_response,
    plain_failure,
)
from entrypoints.sandbox.faults import Failure

NAME = "weather"
REVOKED_KEY = "0000000000000000000000000000dead"
CURRENT = "/data/2.5/weather"
FORECAST = "/data/2.5/forecast"
_KEY = re.compile(r"[0-9a-f]{32}\Z")
_STEP = timedelta(hours=3)
_ENTRIES = 40
# (id, main, description, icon) of OWM's condition codes.
_SKIES = (
    (800, "Clear", "clear sky", "01"),
    (801, "Clouds", "few clouds", "02"),
    (803, "Clouds", "broken clouds", "04"),
    (500, "Rain", "light rain", "10"),
    (701, "Mist", "mist", "50"),
)
_SNOW = (600, "Snow", "light snow", "13")
_PAGE = "<!doctype html><html><body><h1>502 Bad Gateway</h1></body></html>"


def _gate(request: web.Request, call: UpstreamCall) -> web.Response | None:
    key = request.query.get("appid", "")
    revoked = call.state.revoked_keys.get(NAME, REVOKED_KEY)
    if call.faults.has("badkey") or not _KEY.match(key) or key == revoked:
        message = "Invalid API key; see the OpenWeatherMap FAQ on error 401."
        return json_response({"cod": 401, "message": message}, 401)
    if call.faults.has("noplan") and request.path == FORECAST:
        message = "This product is not part of your subscription plan."
        return json_response({"cod": 401, "message": message}, 401)

    return None


def _failure(failure: Failure) -> web.Response:
    if failure.status != 429:
        return plain_failure(failure)
    message = "Your account is blocked for a while: the plan's call rate was exceeded."
    response = json_response({"cod": 429, "message": message}, 429)
    if failure.retry_after is not None:
        response.headers["Retry-After"] = failure.retry_after

    return response


class _BadParams(ValueError):
    pass


def _place(request: web.Request) -> tuple[float, float, str]:
    """Latitude, longitude and units of the query, checked as OWM checks them."""
    if "lat" not in request.query or "lon" not in request.query:
        raise _BadParams("Nothing to geocode")
    try:
        lat, lon = float(request.query["lat"]), float(request.query["lon"])
    except ValueError:
        raise _BadParams("wrong latitude or longitude") from None
    if not -90 <= lat <= 90:
        raise _BadParams("wrong latitude")
    if not -180 <= lon <= 180:
        raise _BadParams("wrong longitude")
    units = request.query.get("units", "standard")

    return lat, lon, units if units in ("metric", "imperial") else "standard"


def _fraction(lat: float, lon: float, at: datetime, salt: str) -> float:
    text = f"{lat:.2f}|{lon:.2f}|{at:%Y-%m-%dT%H}|{salt}"

    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") / 2**64


def _sample(lat: float, lon: float, at: datetime, units: str) -> dict[str, object]:
    """One moment's conditions in OWM's shape, without `dt` and its neighbours."""
    season = math.cos(2 * math.pi * (at.timetuple().tm_yday - 196) / 365)
    local_hour = (at.hour + lon / 15) % 24
    celsius = 27 - 0.45 * abs(lat) + season * math.copysign(abs(lat) / 7.5, lat)
    celsius += 4 * math.sin(2 * math.pi * (local_hour - 9) / 24)
    celsius += (_fraction(lat, lon, at, "temp") - 0.5) * 3
    wind = round(_fraction(lat, lon, at, "wind") * 9, 1)
    sky = _SKIES[int(_fraction(lat, lon, at, "sky") * len(_SKIES))]
    if sky[0] == 500 and celsius < 1:
        sky = _SNOW
    humidity = 35 + int(_fraction(lat, lon, at, "humidity") * 60)
    feels = celsius - wind * 0.7 if celsius < 10 else celsius + humidity / 50
    day = "d" if 6 <= local_hour < 18 else "n"

    return {
        "weather": [
            {"id": sky[0], "main": sky[1], "description": sky[2], "icon": sky[3] + day}
        ],
        "main": {
            "temp": _temperature(celsius, units),
            "feels_like": _temperature(feels, units),
            "temp_min": _temperature(celsius - 1.5, units),
            "temp_max": _temperature(celsius + 1.5, units),
            "pressure": 1000 + int(_fraction(lat, lon, at, "pressure") * 30),
            "humidity": humidity,
        },
        "visibility": 10000,
        "wind": {
            "speed": wind if units != "imperial" else round(wind * 2.237, 1),
            "deg": int(_fraction(lat, lon, at, "deg") * 360),
        },
        "clouds": {"all": {800: 0, 801: 20, 803: 75}.get(sky[0], 90)},
    }


def _temperature(celsius: float, units: str) -> float:
    if units == "metric":
        return round(celsius, 2)
    if units == "imperial":
        return round(celsius * 9 / 5 + 32, 2)

    return round(celsius + 273.15, 2)


def _offset(lon: float) -> int:
    return round(lon / 15) * 3600


async def _current(request: web.Request, call: UpstreamCall) -> web.StreamResponse:
    try:
        lat, lon, units = _place(request)
    except _BadParams as exc:
        return json_response({"cod": "400", "message": str(exc)}, 400)
    drift = call.faults.extras.get("schema")
    if drift == "html":
        return web.Response(text=_PAGE, content_type="text/html")
    now = call.now().astimezone(UTC)
    body = {"coord": {"lon": lon, "lat": lat}, "base": "stations"}
    body |= _sample(lat, lon, now, units)
    if drift == "renamed":
        body["conditions"] = body.pop("main")
    body |= {"dt": int(now.timestamp()), "timezone": _offset(lon)}

    return json_response(body | {"id": 0, "name": "", "cod": 200})


async def _forecast(request: web.Request, call: UpstreamCall) -> web.StreamResponse:
    try:
        lat, lon, units = _place(request)
    except _BadParams as exc:
        return json_response({"cod": "400", "message": str(exc)}, 400)
    drift = call.faults.extras.get("schema")
    if drift == "html":
        return web.Response(text=_PAGE, content_type="text/html")
    now = call.now().astimezone(UTC)
    # Entries fall on the UTC hours divisible by three, the first one after now.
    first = now.replace(minute=0, second=0, microsecond=0)
    first += timedelta(hours=3 - first.hour % 3)
    entries = []
    for n in range(_ENTRIES):
        at = first + n * _STEP
        entry = {"dt": int(at.timestamp())} | _sample(lat, lon, at, units)
        entry["pop"] = round(_fraction(lat, lon, at, "pop"), 2)
        entries.append(entry | {"dt_txt": at.strftime("%Y-%m-%d %H:%M:%S")})
    city = {"id": 0, "name": "", "coord": {"lat": lat, "lon": lon}}
    city["timezone"] = _offset(lon)
    key = "items" if drift == "renamed" else "list"
    body = {"cod": "200", "message": 0, "cnt": len(entries), key: entries}

    return json_response(body | {"city": city})


def _install(routes: UpstreamRoutes) -> None:
    routes.add("GET", CURRENT, _current)
    routes.add("GET", FORECAST, _forecast)


def weather_upstream() -> Upstream:
    return Upstream(
        name=NAME,
        install=_install,
        failure=_failure,
        gate=_gate,
        extra_faults={"badkey": (), "noplan": (), "schema": ("renamed", "html")},
    )
