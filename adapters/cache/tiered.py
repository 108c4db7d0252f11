"""Hot then warm, with one upstream load per key however many callers miss."""

import asyncio
from collections.abc import Awaitable, Callable, Sized
from datetime import datetime, timedelta
from typing import Any, TypeVar

from adapters.cache.coalesce import SingleFlight
from adapters.cache.memory import MemoryCache
from adapters.cache.metrics import LIVE, CacheMetrics
from domain.ports import Cache, CacheEntry, Clock

HOT = "hot"
WARM = "warm"

V = TypeVar("V")


def is_empty(value: object) -> bool:
    """The default test for a negative answer: None or an empty collection."""
    return value is None or (isinstance(value, Sized) and len(value) == 0)


class TieredCache:
    """The LoadingCache port over a hot MemoryCache and any warm Cache.

    `get` asks hot, then warm; a warm hit is copied into hot with its own
    `stored_at` (ages stay honest) for what is left of its life, at most
    `hot_keep_for`, and is returned with `tier="warm"`. `set` writes both.

    `get_or_load(key, load, keep_for=, fresh_for=, is_negative=)` returns the
    cached entry when its age is at most `fresh_for`. Otherwise it awaits
    one shared `load()` per key: callers missing the same key meanwhile wait
    for the same call and all get its entry (`tier="live"`) or the same
    error. Only a success is stored: `keep_for` seconds, or at most
    `negative_keep_for` when `is_negative(value)` (default: None or empty).
    A failure is stored nowhere, so the next call loads again, and a stale
    entry stays readable with `get` for the caller's fallback. Cancelling a
    waiter never cancels the load; if every waiter goes, the load still
    finishes and stores its value, since the upstream call is paid for.
    """

    def __init__(
        self,
        hot: MemoryCache,
        warm: Cache,
        clock: Clock,
        *,
        metrics: CacheMetrics | None = None,
        hot_keep_for: float | None = 300.0,
        negative_keep_for: float = 60.0,
    ) -> None:
        self._hot = hot
        self._warm = warm
        self._clock = clock
        self.metrics = metrics or CacheMetrics()
        self._hot_keep_for = hot_keep_for
        self._negative_keep_for = negative_keep_for
        self._flights: SingleFlight[CacheEntry] = SingleFlight()

    @property
    def loads_in_flight(self) -> int:
        return len(self._flights)

    def get(self, key: str) -> CacheEntry | None:
        entry, missed = self._find(key)
        self._count(key, entry, missed)

        return entry

    def set(
        self,
        key: str,
        value: object,
        keep_for: float,
        *,
        stored_at: datetime | None = None,
    ) -> None:
        self._store(key, value, keep_for, stored_at)

    async def get_or_load(
        self,
        key: str,
        load: Callable[[], Awaitable[V]],
        *,
        keep_for: float,
        fresh_for: float,
        is_negative: Callable[[V], bool] | None = None,
    ) -> CacheEntry:
        entry, missed = self._find(key)
        if entry is not None and self._age(entry) <= fresh_for:
            self._count(key, entry, missed)
            return entry
        # A stale entry is not an answer here: its tier counts as a miss too.
        self._count(key, None, missed + ((entry.tier,) if entry else ()))

        def start() -> Any:
            return self._load(key, load, keep_for, is_negative or is_empty)

        task, joined = self._flights.join(key, start)
        if joined:
            self.metrics.coalesced_wait(key)

        return await asyncio.shield(task)

    def stale_served(self, key: str, entry: CacheEntry) -> None:
        self.metrics.stale_served(key, tier=entry.tier, age_seconds=self._age(entry))

    async def _load(
        self,
        key: str,
        load: Callable[[], Awaitable[V]],
        keep_for: float,
        is_negative: Callable[[V], bool],
    ) -> CacheEntry:
        self.metrics.load(key)
        try:
            value = await load()
        except Exception as error:
            self.metrics.load_failed(key, error)
            raise
        if is_negative(value):
            keep_for = min(keep_for, self._negative_keep_for)
        stored = self._store(key, value, keep_for)

        return CacheEntry(value, stored.stored_at, LIVE, stored.expires_at)

    def _store(
        self,
        key: str,
        value: object,
        keep_for: float,
        stored_at: datetime | None = None,
    ) -> CacheEntry:
        # One moment for both tiers, so every copy of the answer tells one age.
        now = stored_at or self._clock.now()
        entry = CacheEntry(value, now, HOT, now + timedelta(seconds=keep_for))
        self._hot.put(key, entry, self._hot_life(keep_for))
        self._warm.set(key, value, keep_for, stored_at=now)

        return entry

    def _find(self, key: str) -> tuple[CacheEntry | None, tuple[str, ...]]:
        entry = self._hot.get(key)
        if entry is not None:
            return entry, ()
        entry = self._warm.get(key)
        if entry is None:
            return None, (HOT, WARM)
        self._promote(key, entry)

        return CacheEntry(entry.value, entry.stored_at, WARM, entry.expires_at), (HOT,)

    def _promote(self, key: str, entry: CacheEntry) -> None:
        if entry.expires_at is None:
            life = self._hot_keep_for
        else:
            left = (entry.expires_at - self._clock.now()).total_seconds()
            life = self._hot_life(left)
        if life is not None and life > 0:
            self._hot.put(key, entry, life)

    def _hot_life(self, keep_for: float) -> float:
        if self._hot_keep_for is None:
            return keep_for

        return min(keep_for, self._hot_keep_for)

    def _count(
        self, key: str, entry: CacheEntry | None, missed: tuple[str, ...]
    ) -> None:
        for tier in missed:
            self.metrics.miss(tier, key)
        if entry is not None:
            self.metrics.hit(entry.tier, key)

    def _age(self, entry: CacheEntry) -> float:
        return (self._clock.now() - entry.stored_at).total_seconds()
