"""Google Places (New) imitation: Text Search and Place Details, strict field masks.

Every error is in Google's envelope. No key: 403; a bad key: 400 API_KEY_INVALID;
no mask, an unknown field, a search path without "places.": 400; "*" is served
and logged as a warning. Own faults: badkey, denied[:service_disabled|key_blocked|
billing] (403), quota[:30s|2.5s] (429 with RetryInfo), schema[:renamed|flat|html].
"""

import json
import logging
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from aiohttp import web

from entrypoints.sandbox.app import Upstream, UpstreamCall, UpstreamRoutes
from entrypoints.sandbox.catalogue import Catalogue
from entrypoints.sandbox.faults import Failure
from entrypoints.sandbox.venues import Venue

logger = logging.getLogger(__name__)

NAME = "google_places"
REVOKED_KEY = "sandboxRevokedPlacesKey0000"
_KEY = re.compile(r"[A-Za-z0-9_-]{16,128}\Z")
_PLACE_ID = re.compile(r"[A-Za-z0-9_-]{1,256}\Z")
# Place's fields on the REST resource (UPSTREAMS.md §3.2).
_KNOWN = set(
    """name id displayName types primaryType primaryTypeDisplayName
    nationalPhoneNumber internationalPhoneNumber formattedAddress
    shortFormattedAddress postalAddress addressComponents addressDescriptor
    plusCode location viewport rating userRatingCount googleMapsUri websiteUri
    reviews regularOpeningHours currentOpeningHours regularSecondaryOpeningHours
    currentSecondaryOpeningHours timeZone utcOffsetMinutes photos adrFormatAddress
    businessStatus openingDate priceLevel priceRange attributions iconMaskBaseUri
    iconBackgroundColor editorialSummary generativeSummary reviewSummary
    neighborhoodSummary googleMapsLinks containingPlaces subDestinations
    movedPlace movedPlaceId takeout delivery dineIn curbsidePickup reservable
    servesBreakfast servesLunch servesDinner servesBeer servesWine servesBrunch
    servesVegetarianFood servesCocktails servesDessert servesCoffee
    outdoorSeating liveMusic menuForChildren goodForChildren goodForGroups
    goodForWatchingSports allowsDogs restroom paymentOptions parkingOptions
    accessibilityOptions pureServiceAreaBusiness searchUri""".split()
)
_SEARCH_BODY = set(
    """textQuery pageSize maxResultCount pageToken languageCode regionCode
    includedType strictTypeFiltering openNow minRating priceLevels rankPreference
    locationBias locationRestriction includePureServiceAreaBusinesses
    includeFutureOpeningBusinesses evOptions""".split()
)
_STATUS = dict(
    zip(
        (400, 403, 404, 429, 500, 503),
        "INVALID_ARGUMENT PERMISSION_DENIED NOT_FOUND RESOURCE_EXHAUSTED INTERNAL "
        "UNAVAILABLE".split(),
        strict=True,
    )
)
_DENIED = {
    "service_disabled": "SERVICE_DISABLED",
    "key_blocked": "API_KEY_SERVICE_BLOCKED",
    "billing": "BILLING_DISABLED",
}
_IGNORED_WORDS = frozenset({"the", "a", "an", "in", "near", "at", "of", "restaurant"})
_RPC = "type.googleapis.com/google.rpc."
_HTML_PAGE = "<!doctype html><html><body><h1>Error 502</h1></body></html>"


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        self.response = google_error(status, message)


def google_error(
    status: int, message: str, reason: str = "", retry_delay: str = ""
) -> web.Response:
    """An answer in Google's error envelope, with ErrorInfo and RetryInfo if given."""
    details: list[dict[str, object]] = []
    if reason:
        metadata = {"service": "places.googleapis.com"}
        info = {"reason": reason, "domain": "googleapis.com", "metadata": metadata}
        details.append({"@type": _RPC + "ErrorInfo", **info})
    if retry_delay:
        details.append({"@type": _RPC + "RetryInfo", "retryDelay": retry_delay})
    error = {"code": status, "message": message, "status": _STATUS[status]}

    body = {"error": error | ({"details": details} if details else {})}

    return web.json_response(body, status=status)


def _failure(failure: Failure) -> web.Response:
    reason = "RATE_LIMIT_EXCEEDED" if failure.status == 429 else ""
    response = google_error(failure.status, "Sandbox fault switch.", reason)
    if failure.retry_after is not None:
        response.headers["Retry-After"] = failure.retry_after

    return response


def _gate(request: web.Request, call: UpstreamCall) -> web.Response | None:
    extras = call.faults.extras
    if "denied" in extras:
        return google_error(403, "Permission denied.", _DENIED[extras["denied"]])
    if "quota" in extras:
        delay = extras["quota"]
        return google_error(429, "Quota exceeded.", "RATE_LIMIT_EXCEEDED", delay)
    key = request.headers.get("X-Goog-Api-Key") or request.query.get("key", "")
    if not key:
        return google_error(403, "The request is missing an API key.")
    revoked = call.state.revoked_keys.get(NAME, REVOKED_KEY)
    if "badkey" in extras or not _KEY.match(key) or key == revoked:
        return google_error(400, "The API key is not valid.", "API_KEY_INVALID")

    return None


def _mask(request: web.Request, search: bool) -> set[str] | None:
    """Top-level Place fields the mask asks for; None for "*"."""
    header = request.headers.get("X-Goog-FieldMask")
    raw = header or request.query.get("fields") or request.query.get("$fields", "")
    source = "header" if header else "param"
    shown = {"path": request.path, "source": source, "mask": raw}
    logger.debug("sandbox.places.field_mask", extra=shown)
    if not raw.strip():
        raise _Refused(400, "FieldMask is a required parameter: send X-Goog-FieldMask.")
    paths = [p.strip() for p in raw.split(",")]
    if "*" in paths:
        logger.warning("sandbox.places.wildcard_mask", extra={"path": request.path})
        return None

    return {_top_field(path, search) for path in paths} - {"nextPageToken"}


def _top_field(path: str, search: bool) -> str:
    if search and path == "nextPageToken":
        return path
    name = path
    if search:
        prefix, dot, name = path.partition(".")
        if prefix != "places" or not dot:
            raise _Refused(400, f"Invalid field in mask, no 'places.' prefix: {path}")
    if name.partition(".")[0] not in _KNOWN:
        raise _Refused(400, f"Invalid field in mask: {path}")

    return name.partition(".")[0]


async def _search(request: web.Request, call: UpstreamCall) -> web.StreamResponse:
    try:
        fields = _mask(request, search=True)
        body = await _search_body(request)
        circle = _circle(body.get("locationBias"))
    except _Refused as refused:
        return refused.response
    drift = call.faults.extras.get("schema")
    if drift == "html":
        return web.Response(text=_HTML_PAGE, content_type="text/html")
    catalogue = call.state.catalogue
    venues = catalogue.search(str(body["textQuery"]), _IGNORED_WORDS, circle)
    kind = body.get("includedType")
    venues = [v for v in venues if not kind or kind in catalogue.listing(v).types]
    size = body.get("pageSize", body.get("maxResultCount", 20))
    places = [_place(catalogue, v, call.now(), fields, drift) for v in venues]
    key = "results" if drift == "renamed" else "places"

    return web.json_response({key: places[: int(str(size))]} if places else {})


async def _search_body(request: web.Request) -> dict[str, object]:
    try:
        body = json.loads(await request.text())
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise _Refused(400, "Invalid JSON payload received.")
    for name in body:
        if name not in _SEARCH_BODY:
            raise _Refused(400, f"Invalid JSON payload. Unknown name {name!r}.")
    text = body.get("textQuery")
    if not isinstance(text, str) or not text.strip():
        raise _Refused(400, "textQuery is required.")
    size = body.get("pageSize", body.get("maxResultCount", 20))
    if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= 20:
        raise _Refused(400, "pageSize must be from 1 to 20.")

    return body


def _circle(bias: object) -> tuple[float, float] | None:
    """The centre of a circle bias, checked; None without one (or a rectangle)."""
    if bias is None or (isinstance(bias, dict) and set(bias) == {"rectangle"}):
        return None
    circle = bias.get("circle") if isinstance(bias, dict) else None
    circle = circle if isinstance(circle, dict) else {}
    center = circle.get("center")
    center = center if isinstance(center, dict) else {}
    lat, lng = center.get("latitude"), center.get("longitude")
    radius = circle.get("radius", 0.0)
    numbers = all(isinstance(v, int | float) for v in (lat, lng, radius))
    if not numbers or not (abs(lat) <= 90 and abs(lng) <= 180 and 0 <= radius <= 5e4):
        raise _Refused(400, "locationBias needs a circle with a centre and radius.")

    # Nearest first puts every venue inside the circle ahead of those outside.
    return float(lat), float(lng)


async def _details(request: web.Request, call: UpstreamCall) -> web.StreamResponse:
    place_id = request.match_info["place_id"]
    try:
        fields = _mask(request, search=False)
    except _Refused as refused:
        return refused.response
    if not _PLACE_ID.match(place_id):
        return google_error(400, "Not a valid place id.")
    catalogue = call.state.catalogue
    venue = catalogue.place_venue(place_id)
    if venue is None:
        return google_error(404, "Place not found.")
    drift = call.faults.extras.get("schema")
    if drift == "html":
        return web.Response(text=_HTML_PAGE, content_type="text/html")

    return web.json_response(_place(catalogue, venue, call.now(), fields, drift))


def _place(
    catalogue: Catalogue,
    venue: Venue,
    now: datetime,
    fields: set[str] | None,
    drift: str | None,
) -> dict[str, object]:
    """The venue as a Place, only the masked fields, as Google omits the rest."""
    listing = catalogue.listing(venue)
    offset = now.astimezone(ZoneInfo(venue.time_zone)).utcoffset()
    place: dict[str, object] = {
        "name": f"places/{listing.place_id}",
        "id": listing.place_id,
        "displayName": {"text": venue.name, "languageCode": "en"},
        "formattedAddress": venue.address,
        "location": {"latitude": venue.lat, "longitude": venue.lng},
        "types": list(listing.types),
        "primaryType": listing.primary_type,
        "businessStatus": "OPERATIONAL",
        "timeZone": {"id": venue.time_zone},
        "utcOffsetMinutes": int(offset.total_seconds() // 60) if offset else 0,
        "rating": listing.rating,
        "userRatingCount": listing.rating_count,
        "priceLevel": listing.price_level,
        "websiteUri": listing.website,
        "internationalPhoneNumber": listing.phone,
        "reservable": True,
        "servesDinner": True,
    }
    if fields is not None:
        place = {k: v for k, v in place.items() if k in fields}
    if drift == "flat" and "displayName" in place:
        place["displayName"] = venue.name
    if drift == "renamed" and "displayName" in place:
        place["display_name"] = place.pop("displayName")

    return place


def _install(routes: UpstreamRoutes) -> None:
    routes.add("POST", "/v1/places:searchText", _search)
    routes.add("GET", "/v1/places/{place_id}", _details)


def places_upstream() -> Upstream:
    return Upstream(
        name=NAME,
        install=_install,
        failure=_failure,
        gate=_gate,
        extra_faults={
            "badkey": (),
            "denied": tuple(_DENIED),
            "quota": ("30s", "2.5s"),
            "schema": ("renamed", "flat", "html"),
        },
    )
