"""Resy's venue search behind the venue-matcher port: a place's name to a venue."""

import json
import logging
import math
import re
import unicodedata
from difflib import SequenceMatcher

import httpx

from adapters.deadline import bounded, time_left
from adapters.http_errors import raise_for_status
from adapters.resy.schema import describe
from adapters.resy.settings import ResySettings
from adapters.resy.wire import resy_headers
from domain.errors import SchemaChangeError
from domain.models import Coordinates, ResyVenue
from domain.ports import Clock

logger = logging.getLogger(__name__)

_PROVIDER = "resy"
_PER_PAGE = 10
# A place and a venue this far apart are different restaurants.
MAX_DISTANCE_M = 1000.0
# Name similarity (0..1) a hit needs: with coordinates to confirm it, and without.
NAME_WITH_DISTANCE = 0.8
NAME_ALONE = 0.95
_EARTH_RADIUS_M = 6_371_000.0
_WORD = re.compile(r"[a-z0-9]+")


class ResyVenueMatcher:
    """The Resy venue for a restaurant's name near its place; None when unsure."""

    provider = _PROVIDER

    def __init__(
        self, http: httpx.AsyncClient, settings: ResySettings, clock: Clock
    ) -> None:
        self._http = http
        self._settings = settings
        self._clock = clock

    async def match(self, name: str, near: Coordinates | None) -> ResyVenue | None:
        body: dict[str, object] = {
            "query": name,
            "per_page": _PER_PAGE,
            "types": ["venue"],
        }
        if near is not None:
            body["geo"] = {
                "latitude": near.latitude,
                "longitude": near.longitude,
                "radius": MAX_DISTANCE_M,
            }
        response = await self._post_search(body)
        raise_for_status(response, _PROVIDER, self._clock.now())
        hits = _hits(_decode(response))

        return _best(name, near, hits)

    async def _post_search(self, body: dict[str, object]) -> httpx.Response:
        seconds = time_left(self._settings.timeout, self._clock, _PROVIDER)
        url = self._settings.base_url.rstrip("/") + "/3/venuesearch/search"
        exchange = self._http.post(
            url, json=body, headers=resy_headers(self._settings), timeout=seconds
        )
        return await bounded(exchange, seconds, _PROVIDER, "/3/venuesearch/search")


def _drift(where: str, expected: str, found: str) -> SchemaChangeError:
    logger.warning(
        "resy.search_schema_changed",
        extra={"provider": _PROVIDER, "where": where, "expected": expected},
    )
    message = (
        f"Resy's venue search answer changed shape: expected {where} to be "
        f"{expected}, found {found}"
    )

    return SchemaChangeError(message, provider=_PROVIDER)


def _decode(response: httpx.Response) -> object:
    try:
        return json.loads(response.content)
    except ValueError:
        kind = response.headers.get("Content-Type", "no content type")
        raise _drift("the body", "JSON", kind) from None


def _hits(payload: object) -> list[dict[str, object]]:
    """The hits of either envelope: {"search": {"hits": [...]}} or {"hits": [...]}."""
    search = payload.get("search") if isinstance(payload, dict) else None
    holder = search if isinstance(search, dict) else payload
    hits = holder.get("hits") if isinstance(holder, dict) else None
    if not isinstance(hits, list):
        raise _drift("search.hits or hits", "a list", describe(holder))
    for index, hit in enumerate(hits):
        if not isinstance(hit, dict):
            raise _drift(f"hits[{index}]", "an object", describe(hit))

    return hits


def _venue(
    hit: dict[str, object], index: int
) -> tuple[ResyVenue, str, Coordinates | None]:
    where = f"hits[{index}]"
    ids = hit.get("id")
    venue_id = ids.get("resy") if isinstance(ids, dict) else None
    if venue_id is None:
        venue_id = hit.get("objectID")
    if isinstance(venue_id, bool) or not isinstance(venue_id, int | str):
        raise _drift(f"{where}.id.resy or objectID", "an id", describe(venue_id))
    if not str(venue_id).isdigit():
        raise _drift(f"{where}.id.resy", "a numeric venue id", "a string")
    name = hit.get("name")
    if not isinstance(name, str):
        raise _drift(f"{where}.name", "a string", describe(name))
    location = hit.get("location")
    location = location if isinstance(location, dict) else {}
    city = location.get("url_slug") or location.get("code")
    zone = location.get("time_zone")
    slug = hit.get("url_slug")
    venue = ResyVenue(
        venue_id=str(venue_id),
        url_slug=slug if isinstance(slug, str) else "",
        city=city if isinstance(city, str) else "",
        time_zone=zone if isinstance(zone, str) else "",
    )

    return venue, name, _coordinates(hit)


def _coordinates(hit: dict[str, object]) -> Coordinates | None:
    geo = hit.get("_geoloc")
    pair = (geo.get("lat"), geo.get("lng")) if isinstance(geo, dict) else None
    if pair is None:
        pair = (hit.get("latitude"), hit.get("longitude"))
    lat, lng = pair
    if isinstance(lat, bool) or isinstance(lng, bool):
        return None
    if isinstance(lat, int | float) and isinstance(lng, int | float):
        return Coordinates(float(lat), float(lng))

    return None


def _best(
    name: str, near: Coordinates | None, hits: list[dict[str, object]]
) -> ResyVenue | None:
    """The most similar convincing hit, the nearer on a tie."""
    wanted = normalise(name)
    ranked = []
    for index, hit in enumerate(hits):
        venue, hit_name, at = _venue(hit, index)
        score = similarity(wanted, normalise(hit_name))
        distance = None if near is None or at is None else distance_m(near, at)
        if distance is not None and distance > MAX_DISTANCE_M:
            continue
        needed = NAME_WITH_DISTANCE if distance is not None else NAME_ALONE
        if score >= needed:
            ranked.append((-score, distance or 0.0, venue))
    if not ranked:
        return None

    return min(ranked, key=lambda r: (r[0], r[1]))[2]


def normalise(name: str) -> str:
    """Lower case, no accents or punctuation, "&" as "and", no leading "the"."""
    plain = unicodedata.normalize("NFKD", name.casefold().replace("&", " and "))
    ascii_only = plain.encode("ascii", "ignore").decode()
    words = _WORD.findall(ascii_only)
    if len(words) > 1 and words[0] == "the":
        words = words[1:]

    return " ".join(words)


def similarity(a: str, b: str) -> float:
    """0..1: how alike two normalised names are; containing the other scores high."""
    if not a or not b:
        return 0.0
    ratio = SequenceMatcher(None, a, b).ratio()
    shorter, longer = sorted((set(a.split()), set(b.split())), key=len)
    if shorter <= longer:
        # "Carbone" and "Carbone New York": a name and the same name with more words.
        ratio = max(ratio, 0.9 if len(shorter) > 1 else 0.85)

    return ratio


def distance_m(a: Coordinates, b: Coordinates) -> float:
    """Great-circle distance in metres (haversine)."""
    lat1, lat2 = math.radians(a.latitude), math.radians(b.latitude)
    dlat = lat2 - lat1
    dlng = math.radians(b.longitude - a.longitude)
    h = math.sin(dlat / 2) ** 2
    h += math.cos(lat1) * math.cos(lat2) * math.sin(dlng / 2) ** 2

    return 2 * _EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))
