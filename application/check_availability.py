"""Check availability: fresh cache, each platform in turn, stale, then links."""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time

from application.ledger import record_cache_hit
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
from domain.ports import Availability, CacheEntry, Clock, CostLedger, LoadingCache
from domain.wording import provider_name, stale_disclaimer

SOURCES = {"hot": Source.HOT_CACHE, "warm": Source.WARM_CACHE, "live": Source.LIVE}


@dataclass(frozen=True, slots=True)
class AvailabilityPolicy:
    fresh_for: float = 600.0
    stale_for: float = 7200.0

    def __post_init__(self) -> None:
        if not 300 <= self.fresh_for <= 900 and self.fresh_for != 0:
            raise ValueError(
                "availability freshness must be 300 to 900 seconds "
                f"(or 0 to always ask live), got {self.fresh_for}"
            )
        if self.stale_for < self.fresh_for:
            raise ValueError("availability stale_for must be at least fresh_for")


class CheckAvailability:
    def __init__(
        self,
        platforms: Sequence[Availability],
        cache: LoadingCache,
        clock: Clock,
        ledger: CostLedger,
        policy: AvailabilityPolicy | None = None,
    ) -> None:
        self._platforms = tuple(platforms)
        self._cache = cache
        self._clock = clock
        self._ledger = ledger
        self._policy = policy or AvailabilityPolicy()

    async def __call__(self, query: AvailabilityQuery) -> AvailabilityAnswer:
        links = deep_links(
            query.restaurant, query.day, query.party_size, query.preferred_time
        )
        asked = [p for p in self._platforms if p.serves(query.restaurant)]
        failures: list[LayerFailure] = []

        for platform in asked:
            key = availability_key(platform.provider, query)
            try:
                entry = await self._cache.get_or_load(
                    key,
                    _loader(platform, query),
                    keep_for=self._policy.stale_for,
                    fresh_for=self._policy.fresh_for,
                )
            except APIError as error:
                failures.append(layer_failure(error, _link_for(platform, links)))
                continue
            if entry.tier != "live":
                record_cache_hit(self._ledger, self._clock, key, entry.tier)
            source = SOURCES.get(entry.tier, Source.LIVE)
            return self._answer(
                query, platform.provider, entry, source, links, failures
            )

        for platform in asked:
            key = availability_key(platform.provider, query)
            kept = self._cache.get(key)
            if kept is not None and self._age(kept) <= self._policy.stale_for:
                self._cache.stale_served(key, kept)
                record_cache_hit(self._ledger, self._clock, key, kept.tier, stale=True)
                return self._answer(
                    query, platform.provider, kept, Source.STALE, links, failures
                )

        return self._unanswered(query, links, failures)

    def _age(self, entry: CacheEntry) -> float:
        return max(0.0, (self._clock.now() - entry.stored_at).total_seconds())

    def _answer(
        self,
        query: AvailabilityQuery,
        provider: str,
        entry: CacheEntry,
        source: Source,
        links: tuple[DeepLink, ...],
        failures: Sequence[LayerFailure] = (),
    ) -> AvailabilityAnswer:
        slots = _ordered(_slots_of(entry), query.preferred_time)
        age = 0.0 if source is Source.LIVE else self._age(entry)
        message = _found_sentence(query, provider, slots)
        if source is Source.STALE:
            message = f"{stale_disclaimer(age, provider)} {message}"

        return AvailabilityAnswer(
            slots=slots,
            source=source,
            as_of=entry.stored_at,
            message=message,
            deep_links=links,
            failures=tuple(failures),
            provider=provider,
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


def _loader(
    platform: Availability, query: AvailabilityQuery
) -> Callable[[], Awaitable[tuple[Slot, ...]]]:
    async def load() -> tuple[Slot, ...]:
        return tuple(await platform.find_slots(query))

    return load


def _slots_of(entry: CacheEntry) -> tuple[Slot, ...]:
    value = entry.value
    if isinstance(value, tuple) and all(isinstance(s, Slot) for s in value):
        return value
    raise TypeError(f"an availability entry holds {type(value).__name__}, not slots")


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


def _found_sentence(
    query: AvailabilityQuery, provider: str, slots: tuple[Slot, ...]
) -> str:
    day = query.day.strftime("%A, %B ") + str(query.day.day)
    platform = provider_name(provider)
    name = query.restaurant.name
    if not slots:
        return (
            f"{platform} has no tables for {query.party_size} at {name} on {day}. "
            "Try another date, time or party size."
        )
    count = len(slots)
    tables = "table" if count == 1 else "tables"

    return f"{platform} has {count} {tables} for {query.party_size} at {name} on {day}."
