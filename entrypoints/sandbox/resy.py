"""Resy's imitation: /4/find (GET and POST) with the real header and key gates.

Gates on by default, as on the real service: a missing or malformed
`Authorization: ResyAPI api_key="..."`, or the revoked key, gets 419; a
missing User-Agent gets 500 with a plain "Internal Server Error".

Resy's own faults:
    badkey           419 on every call, as if the key had been revoked
    headers          the strict browser gate: Origin and Referer required and
                     a browser User-Agent ("Mozilla/..."), else 500
    lenient          no key or header gates (for poking with curl)
    schema[:variant] a 200 in a drifted shape: "renamed" (results.venues is
                     results.venue_list, search.hits search.venues),
                     "tokenless" (slots lack config.token), "flat" (search hits
                     at the top level, with objectID and latitude/longitude)
                     or "html" (a maintenance page instead of JSON)

POST /3/venuesearch/search (JSON, or form field struct_data) refuses an unknown
field with 400 "Unknown field." and finds venues holding every word of `query`
within `geo.radius` metres of `geo`.

Booking routes, their state and their faults live in resy_booking.
"""

import json
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from aiohttp import web

from entrypoints.sandbox.app import (
    Upstream,
    UpstreamCall,
    UpstreamRoutes,
    json_response,
)
from entrypoints.sandbox.catalogue import Listing, Opening, distance_m
from entrypoints.sandbox.resy_booking import BOOKING_FAULTS, ResyBookings
from entrypoints.sandbox.venues import Venue

REVOKED_KEY = "sandboxRevokedKey0000"
_KEY_HEADER = re.compile(r'ResyAPI api_key="([A-Za-z0-9_-]{8,128})"\Z')
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_MARKET_OPENS_DAYS_AHEAD = 30
_NO_PAYMENT: dict[str, object] = {
    "is_paid": False,
    "cancellation_fee": None,
    "deposit_fee": None,
    "service_charge": None,
    "venue_share": None,
    "payment_structure": None,
    "secs_cancel_cut_off": None,
    "time_cancel_cut_off": None,
    "secs_change_cut_off": None,
    "time_change_cut_off": None,
    "service_charge_options": [],
}
_MAINTENANCE_PAGE = (
    "<!doctype html><html><head><title>Resy</title></head>"
    "<body><h1>We'll be right back</h1></body></html>"
)


class _BadParams(ValueError):
    pass


def _gate(request: web.Request, call: UpstreamCall) -> web.Response | None:
    faults = call.faults
    if faults.has("badkey"):
        return _unauthorized()
    if faults.has("lenient"):
        return None
    match = _KEY_HEADER.match(request.headers.get("Authorization", ""))
    revoked = call.state.revoked_keys.get("resy", REVOKED_KEY)
    if match is None or match.group(1) == revoked:
        return _unauthorized()
    agent = request.headers.get("User-Agent", "").strip()
    strict = faults.has("headers")
    if not agent or (strict and not agent.startswith("Mozilla/")):
        return _internal_error()
    if strict and not (
        request.headers.get("Origin") and request.headers.get("Referer")
    ):
        return _internal_error()

    return None


def _unauthorized() -> web.Response:
    return json_response({"status": 419, "message": "Authentication Timeout"}, 419)


def _internal_error() -> web.Response:
    return web.Response(status=500, text="Internal Server Error")


async def _find(
    request: web.Request, call: UpstreamCall, bookings: ResyBookings
) -> web.StreamResponse:
    try:
        params = await _find_params(request)
        venue_id, day, party_size = _parse_find(params)
    except _BadParams as exc:
        return json_response({"message": str(exc)}, status=400)
    drift = call.faults.extras.get("schema")
    if drift == "html":
        return web.Response(text=_MAINTENANCE_PAGE, content_type="text/html")
    venues = []
    venue = call.state.catalogue.resy_venue(venue_id)
    if venue is not None:
        openings = call.state.catalogue.openings(venue, day, party_size, call.now())
        openings = [
            o
            for o in openings
            if not bookings.is_taken(venue_id, o.start, o.seating, party_size)
        ]
        slots = [_slot(venue, o, party_size, drift == "tokenless") for o in openings]
        venues.append({"venue": _venue(venue), "templates": {}, "slots": slots})
    key = "venue_list" if drift == "renamed" else "venues"
    query = {"day": day.isoformat(), "party_size": party_size}

    return json_response({"results": {key: venues}, "query": query})


async def _find_params(request: web.Request) -> dict[str, object]:
    if request.method == "GET":
        return dict(request.query)
    try:
        body = json.loads(await request.text())
    except ValueError:
        raise _BadParams("the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise _BadParams("the body must be a JSON object")

    return body


def _parse_find(params: dict[str, object]) -> tuple[int, date, int]:
    venue_id = _whole_number(params, "venue_id")
    party_size = _whole_number(params, "party_size")
    day_text = params.get("day")
    if not isinstance(day_text, str) or not _DAY.match(day_text):
        raise _BadParams("day must be a date as YYYY-MM-DD")
    try:
        day = date.fromisoformat(day_text)
    except ValueError:
        raise _BadParams(f"day {day_text} is not a calendar date") from None
    for name in ("lat", "long"):
        if name in params:
            _decimal(params[name], name)
    if party_size < 1:
        raise _BadParams("party_size must be at least 1")

    return venue_id, day, party_size


def _whole_number(params: dict[str, object], name: str) -> int:
    value = params.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    if value is None:
        raise _BadParams(f"{name} is required")

    raise _BadParams(f"{name} must be a whole number")


def _decimal(value: object, name: str) -> None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return
    try:
        float(value if isinstance(value, str) else "")
    except ValueError:
        raise _BadParams(f"{name} must be a number") from None


def _venue(venue: Venue) -> dict[str, object]:
    return {
        "id": {"resy": venue.resy_venue_id},
        "name": venue.name,
        "url_slug": venue.url_slug,
        "location": {
            "time_zone": venue.time_zone,
            "url_slug": venue.city,
            "geo": {"lat": venue.lat, "lon": venue.lng},
        },
    }


def _slot(
    venue: Venue, o: Opening, party_size: int, tokenless: bool
) -> dict[str, object]:
    template = venue.resy_venue_id * 10 + _seat_index(venue, o.seating)
    day = o.start.date().isoformat()
    service = o.service.type_id
    token = (
        f"rgs://resy/{venue.resy_venue_id}/{template}/{service}/{day}/{day}/"
        f"{o.start:%H:%M:%S}/{party_size}/{o.seating}"
    )
    config: dict[str, object] = {"id": o.key, "type": o.seating, "is_visible": True}
    if tokenless:
        config["key"] = o.key
    else:
        config["token"] = token

    return {
        "availability": {"id": 3},
        "config": config,
        "date": {"start": _wall(o.start), "end": _wall(o.end)},
        "size": {"min": o.table_min, "max": o.table_max},
        "quantity": o.quantity,
        "shift": {
            "id": template * 10 + service,
            "day": day,
            "service": {"type": {"id": service}},
        },
        "template": {"id": template},
        "market": {"date": _market(venue, o.start)},
        "payment": dict(_NO_PAYMENT),
    }


def _seat_index(venue: Venue, seating: str) -> int:
    names = [seat.name for seat in venue.seating]

    return names.index(seating) + 1 if seating in names else 0


def _wall(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S")


def _market(venue: Venue, start: datetime) -> dict[str, int]:
    off = int(start.replace(tzinfo=ZoneInfo(venue.time_zone)).timestamp())

    return {"on": off - _MARKET_OPENS_DAYS_AHEAD * 86400, "off": off}


_SEARCH_FIELDS = set(
    "query per_page page types geo slot_filter availability order_by highlight".split()
)


async def _search(request: web.Request, call: UpstreamCall) -> web.StreamResponse:
    form = await request.post() if request.content_type.endswith("urlencoded") else {}
    try:
        body = json.loads(str(form.get("struct_data", "")) or await request.text())
    except ValueError:
        body = None
    size = body.get("per_page", 20) if isinstance(body, dict) else None
    if not isinstance(size, int) or not isinstance(body.get("query", ""), str):
        return json_response({"message": "expected a JSON object"}, status=400)
    if set(body) - _SEARCH_FIELDS:
        return json_response({"message": "Unknown field."}, status=400)
    drift = call.faults.extras.get("schema")
    if drift == "html":
        return web.Response(text=_MAINTENANCE_PAGE, content_type="text/html")
    geo = body["geo"] if isinstance(body.get("geo"), dict) else {}
    near = (geo.get("latitude"), geo.get("longitude"))
    near = near if all(isinstance(v, int | float) for v in near) else None
    radius = geo.get("radius", 35_000)
    catalogue = call.state.catalogue
    venues = catalogue.search(body.get("query", ""), frozenset(), near)
    if near is not None and isinstance(radius, int | float):
        venues = [v for v in venues if distance_m(v, *near) <= radius]
    hits = [_hit(v, catalogue.listing(v), drift == "flat") for v in venues]
    if drift == "flat":
        return json_response({"hits": hits[:size]})

    key = "venues" if drift == "renamed" else "hits"

    return json_response({"search": {key: hits[:size]}})


def _hit(venue: Venue, listing: Listing, flat: bool) -> dict[str, object]:
    hit = {"objectID": str(venue.resy_venue_id), "name": venue.name}
    hit["url_slug"] = venue.url_slug
    city = {"code": listing.city_code, "name": listing.city_name}
    if flat:
        return hit | {"location": city, "latitude": venue.lat, "longitude": venue.lng}
    city |= {"url_slug": venue.city, "time_zone": venue.time_zone}
    where = {"location": city, "_geoloc": {"lat": venue.lat, "lng": venue.lng}}

    return hit | where | {"id": {"resy": venue.resy_venue_id}}


def _install(routes: UpstreamRoutes) -> None:
    bookings = ResyBookings()  # one per sandbox: each app installs its routes once

    async def find(request: web.Request, call: UpstreamCall) -> web.StreamResponse:
        return await _find(request, call, bookings)

    routes.add("GET", "/4/find", find)
    routes.add("POST", "/4/find", find)
    routes.add("POST", "/3/venuesearch/search", _search)
    bookings.install(routes)


def resy_upstream() -> Upstream:
    return Upstream(
        name="resy",
        install=_install,
        gate=_gate,
        extra_faults={
            "badkey": (),
            "headers": (),
            "lenient": (),
            "schema": ("renamed", "tokenless", "html", "flat"),
            **BOOKING_FAULTS,
        },
    )
