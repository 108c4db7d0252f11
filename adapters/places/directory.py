"""Google Places (New) Text Search and Place Details behind the directory port."""

import re
from collections.abc import Sequence

import httpx

from adapters.deadline import bounded, time_left
from adapters.places.errors import raise_for_google_status
from adapters.places.masks import DETAILS_MASK, SEARCH_MASK, FieldMask
from adapters.places.schema import decode, read_place, read_search
from adapters.places.settings import PlacesSettings
from domain.errors import FieldViolation, InvalidRequestError
from domain.models import Coordinates, Restaurant
from domain.ports import Clock

_PROVIDER = "google_places"
_MAX_PAGE = 20
_MAX_RADIUS_M = 50_000.0
_PLACE_ID = re.compile(r"[A-Za-z0-9_-]{1,256}\Z")


class GooglePlacesDirectory:
    """Restaurants from Google Places: a text search, and one place's details."""

    provider = _PROVIDER

    def __init__(
        self, http: httpx.AsyncClient, settings: PlacesSettings, clock: Clock
    ) -> None:
        self._http = http
        self._settings = settings
        self._clock = clock

    async def search(
        self, text: str, near: Coordinates | None, radius_m: float, limit: int
    ) -> Sequence[Restaurant]:
        page_size = max(1, min(limit, _MAX_PAGE))
        body: dict[str, object] = {
            "textQuery": text,
            "pageSize": page_size,
            "includedType": "restaurant",
            "languageCode": self._settings.language_code,
        }
        if self._settings.region_code:
            body["regionCode"] = self._settings.region_code
        if near is not None:
            body["locationBias"] = _circle(near, radius_m)
        url = self._url("/v1/places:searchText")
        response = await self._send("POST", url, SEARCH_MASK, json=body)
        found = read_search(decode(response))

        return found[:page_size]

    async def details(self, place_id: str) -> Restaurant:
        if not _PLACE_ID.match(place_id):
            problem = "must be a Google place id (letters, digits, '-' and '_')"
            raise InvalidRequestError([FieldViolation("place_id", problem)])
        params = {"languageCode": self._settings.language_code}
        if self._settings.region_code:
            params["regionCode"] = self._settings.region_code
        url = self._url(f"/v1/places/{place_id}")
        response = await self._send("GET", url, DETAILS_MASK, params=params)

        return read_place(decode(response))

    def _url(self, path: str) -> str:
        return self._settings.base_url.rstrip("/") + path

    async def _send(
        self, method: str, url: str, mask: FieldMask, **kwargs: object
    ) -> httpx.Response:
        seconds = time_left(self._settings.timeout, self._clock, _PROVIDER)
        headers = {
            "X-Goog-Api-Key": self._settings.api_key,
            "X-Goog-FieldMask": mask.header,
            "Accept": "application/json",
        }
        exchange = self._http.request(
            method, url, headers=headers, timeout=seconds, **kwargs
        )
        response = await bounded(exchange, seconds, _PROVIDER, mask.operation.value)
        raise_for_google_status(
            response, _PROVIDER, self._clock.now(), self._settings.api_key
        )

        return response


def _circle(near: Coordinates, radius_m: float) -> dict[str, object]:
    radius = max(0.0, min(float(radius_m), _MAX_RADIUS_M))
    center = {"latitude": near.latitude, "longitude": near.longitude}

    return {"circle": {"center": center, "radius": radius}}
