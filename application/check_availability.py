"""Check availability: fresh cache, each platform in turn, stale, then links."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time

from domain.cache_keys import availability_key
from domain.deeplinks import deep_links
from domain.errors import APIError
from domain.messages import layer_failure
from domain.models import (
    AvailabilityAnswer,
    AvailabilityQuery,
    DeepLink,
    LayerFailure,
    Platform,
    Slot,
    Source,
)
from domain.ports import Availability, Cache, CacheEntry, Clock
from domain.wording import provider_name, stale_disclaimer


@dataclass(frozen=True, slots=True)
class AvailabilityPolicy:
    fresh_for: float = 300.0
    stale_for: float = 7200.0


@dataclass(frozen=True, slots=True)
class _Cached:
    slots: tuple[Slot, ...]
    provider: str


class CheckAvailability:
    def __init__(
        self,
        platforms: Sequence[Availability],
        cache: Cache,
        clock: Clock,
        policy: AvailabilityPolicy | None = None,
    ) -> None:
        self._platforms = tuple(platforms)
        self._cache = cache
        self._clock = clock
        self._policy = policy or AvailabilityPolicy()

    async def __call__(self, query: AvailabilityQuery) -> AvailabilityAnswer:
        links = deep_links(
            query.restaurant, query.day, query.party_size, query.preferred_time
        )
        asked = [p for p in self._platforms if p.serves(query.restaurant)]
        cached = {p.provider: self._lookup(p.provider, query) for p in asked}

        for entry, age in cached.values():
            if entry is not None and age <= self._policy.fresh_for:
                return self._answer(query, entry, age, Source.HOT_CACHE, links)

        failures: list[LayerFailure] = []
        for platform in asked:
            try:
                slots = tuple(await platform.find_slots(query))
            except APIError as error:
                failures.append(layer_failure(error, _link_for(platform, links)))
                continue
            stored = _Cached(_ordered(slots, query.preferred_time), platform.provider)
            now = self._clock.now()
            self._cache.set(
                availability_key(platform.provider, query), stored, self._keep_for()
            )
            entry = CacheEntry(stored, now)
            return self._answer(query, entry, 0.0, Source.LIVE, links, failures)

        for entry, age in cached.values():
            if entry is not None and age <= self._policy.stale_for:
                return self._answer(query, entry, age, Source.STALE, links, failures)

        return self._unanswered(query, links, failures)

    def _keep_for(self) -> float:
        return max(self._policy.fresh_for, self._policy.stale_for)

    def _lookup(
        self, provider: str, query: AvailabilityQuery
    ) -> tuple[CacheEntry | None, float]:
        entry = self._cache.get(availability_key(provider, query))
        if entry is None or not isinstance(entry.value, _Cached):
            return None, 0.0

        return entry, (self._clock.now() - entry.stored_at).total_seconds()

    def _answer(
        self,
        query: AvailabilityQuery,
        entry: CacheEntry,
        age: float,
        source: Source,
        links: tuple[DeepLink, ...],
        failures: Sequence[LayerFailure] = (),
    ) -> AvailabilityAnswer:
        assert isinstance(entry.value, _Cached)
        cached = entry.value
        message = _found_sentence(query, cached)
        if source is Source.STALE:
            message = f"{stale_disclaimer(age, cached.provider)} {message}"

        return AvailabilityAnswer(
            slots=cached.slots,
            source=source,
            as_of=entry.stored_at,
            message=message,
            deep_links=links,
            failures=tuple(failures),
            provider=cached.provider,
            age_seconds=int(age),
        )

    def _unanswered(
        self,
        query: AvailabilityQuery,
        links: tuple[DeepLink, ...],
        failures: list[LayerFailure],
    ) -> AvailabilityAnswer:
        reasons = " ".join(f.message for f in failures)
        message = (
            f"I couldn't check availability at {query.restaurant.name} "
            "automatically, so this is not a list of free tables. "
            f"{reasons}".rstrip()
        )
        if links:
            message += " You can book directly with the links below."

        return AvailabilityAnswer(
            slots=(),
            source=Source.NONE,
            as_of=None,
            message=message,
            deep_links=links,
            failures=tuple(failures),
        )


def _link_for(platform: Availability, links: tuple[DeepLink, ...]) -> DeepLink | None:
    wanted = {"resy": Platform.RESY, "opentable": Platform.OPENTABLE}
    matches = [link for link in links if link.platform is wanted.get(platform.provider)]

    return matches[0] if matches else (links[0] if links else None)


def _ordered(slots: tuple[Slot, ...], preferred: time | None) -> tuple[Slot, ...]:
    if preferred is None:
        return tuple(sorted(slots, key=lambda s: s.start))

    def distance(slot: Slot) -> float:
        wanted = datetime.combine(slot.start.date(), preferred, slot.start.tzinfo)
        return abs((slot.start - wanted).total_seconds())

    return tuple(sorted(slots, key=lambda s: (distance(s), s.start)))


def _found_sentence(query: AvailabilityQuery, cached: _Cached) -> str:
    day = query.day.strftime("%A, %B ") + str(query.day.day)
    platform = provider_name(cached.provider)
    name = query.restaurant.name
    if not cached.slots:
        return (
            f"{platform} has no tables for {query.party_size} at {name} on {day}. "
            "Try another date, time or party size."
        )
    count = len(cached.slots)
    tables = "table" if count == 1 else "tables"

    return f"{platform} has {count} {tables} for {query.party_size} at {name} on {day}."
