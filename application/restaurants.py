"""Search restaurants and get one: cache-aside over the directory, matched to Resy."""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from application.ledger import record_cache_hit
from domain.cache_keys import place_key, search_key
from domain.errors import APIError
from domain.messages import explain
from domain.models import Coordinates, Restaurant, Source
from domain.ports import (
    CacheEntry,
    Clock,
    CostLedger,
    LoadingCache,
    RestaurantDirectory,
    VenueMatcher,
)
from domain.wording import describe_age

logger = logging.getLogger(__name__)

SOURCES = {"hot": Source.HOT_CACHE, "warm": Source.WARM_CACHE, "live": Source.LIVE}


@dataclass(frozen=True, slots=True)
class DirectoryPolicy:
    """Restaurant metadata changes slowly: fresh for a day, kept for a week.

    Past its freshness an answer is served only when Google Places cannot
    be asked (down, or its monthly budget spent), marked stale.
    """

    fresh_for: float = 86_400.0
    keep_for: float = 7 * 86_400.0


@dataclass(frozen=True, slots=True)
class SearchQuery:
    text: str
    near: Coordinates | None = None
    radius_m: float = 5_000.0
    limit: int = 10


@dataclass(frozen=True, slots=True)
class RestaurantsAnswer:
    restaurants: tuple[Restaurant, ...]
    source: Source
    as_of: datetime
    message: str = ""


class RestaurantLookup:
    """SearchRestaurants and GetRestaurant share the directory, matcher and cache."""

    def __init__(
        self,
        directory: RestaurantDirectory,
        matcher: VenueMatcher,
        cache: LoadingCache,
        clock: Clock,
        ledger: CostLedger,
        policy: DirectoryPolicy | None = None,
    ) -> None:
        self._directory = directory
        self._matcher = matcher
        self._cache = cache
        self._clock = clock
        self._ledger = ledger
        self._policy = policy or DirectoryPolicy()

    async def search(self, query: SearchQuery) -> RestaurantsAnswer:
        key = search_key(query.text, query.near, query.radius_m, query.limit)

        unmatched: list[str] = []

        async def load() -> tuple[Restaurant, ...]:
            found = await self._directory.search(
                query.text, query.near, query.radius_m, query.limit
            )
            matched = await self._matched(found, unmatched)
            for restaurant in matched:
                self._cache.set(
                    place_key(restaurant.place_id), restaurant, self._policy.keep_for
                )
            return matched

        # An answer Resy could not match is kept only briefly, like a negative.
        entry, note = await self._lookup(key, load, lambda _v: bool(unmatched))
        restaurants = _restaurants_of(entry.value)
        if unmatched:
            note += (
                "Resy could not be asked to match these restaurants, so they "
                "carry no Resy venue yet; search again shortly. "
            )
        count = len(restaurants)
        noun = "restaurant" if count == 1 else "restaurants"
        message = (
            f"Found {count} {noun} for {query.text!r}."
            if restaurants
            else f"No restaurants found for {query.text!r}."
        )

        return RestaurantsAnswer(
            restaurants, _source(entry, note), entry.stored_at, note + message
        )

    async def get(self, place_id: str) -> RestaurantsAnswer:
        key = place_key(place_id)

        async def load() -> Restaurant:
            found = await self._directory.details(place_id)
            return (await self._matched([found]))[0]

        entry, note = await self._lookup(key, load)
        value = entry.value
        if not isinstance(value, Restaurant):
            raise TypeError(f"a place entry holds {type(value).__name__}")

        return RestaurantsAnswer((value,), _source(entry, note), entry.stored_at, note)

    async def _lookup(
        self,
        key: str,
        load: Callable[[], Awaitable[object]],
        is_negative: Callable[[object], bool] | None = None,
    ) -> tuple[CacheEntry, str]:
        """A fresh entry or a live one; a stale one, with a note, if Places fails."""
        try:
            entry = await self._cache.get_or_load(
                key,
                load,
                keep_for=self._policy.keep_for,
                fresh_for=self._policy.fresh_for,
                is_negative=is_negative,
            )
        except APIError as error:
            kept = self._cache.get(key)
            if kept is None:
                raise
            self._cache.stale_served(key, kept)
            record_cache_hit(self._ledger, self._clock, key, kept.tier, stale=True)
            age = describe_age((self._clock.now() - kept.stored_at).total_seconds())
            note = f"{explain(error).sentence} These results are from {age}. "
            return kept, note
        if entry.tier != "live":
            record_cache_hit(self._ledger, self._clock, key, entry.tier)
        return entry, ""

    async def _matched(
        self, found: Sequence[Restaurant], unmatched: list[str] | None = None
    ) -> tuple[Restaurant, ...]:
        """Each restaurant with its Resy venue where one matches; misses are fine.

        The place ids that could not be matched because Resy failed (not
        because it knows no such venue) are added to `unmatched`.
        """

        async def one(restaurant: Restaurant) -> Restaurant:
            if restaurant.resy is not None:
                return restaurant
            try:
                venue = await self._matcher.match(restaurant.name, restaurant.location)
            except APIError as error:
                if unmatched is not None:
                    unmatched.append(restaurant.place_id)
                logger.info(
                    "restaurants.match_failed",
                    extra={
                        "place_id": restaurant.place_id,
                        "error_kind": type(error).__name__,
                    },
                )
                return restaurant
            if venue is None:
                return restaurant
            zone = restaurant.time_zone or venue.time_zone
            return replace(restaurant, resy=venue, time_zone=zone)

        return tuple(await asyncio.gather(*(one(r) for r in found)))


def _source(entry: CacheEntry, note: str) -> Source:
    return Source.STALE if note else SOURCES.get(entry.tier, Source.LIVE)


def _restaurants_of(value: object) -> tuple[Restaurant, ...]:
    if isinstance(value, tuple) and all(isinstance(r, Restaurant) for r in value):
        return value
    raise TypeError(f"a search entry holds {type(value).__name__}, not restaurants")
