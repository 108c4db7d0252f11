"""The hot tier: a bounded in-memory LRU whose entries each carry their own TTL."""

from typing import Any

from cachetools import TLRUCache

from domain.ports import CacheEntry, Clock


class MemoryCache:
    """Least-recently-used eviction in constant time, expiry per entry."""

    def __init__(self, clock: Clock, max_entries: int = 10_000) -> None:
        self._clock = clock
        self._entries: TLRUCache[str, tuple[CacheEntry, float]] = TLRUCache(
            maxsize=max_entries, ttu=_expires_at, timer=clock.monotonic
        )

    def get(self, key: str) -> CacheEntry | None:
        found = self._entries.get(key)

        return found[0] if found else None

    def set(self, key: str, value: object, keep_for: float) -> None:
        self._entries[key] = (CacheEntry(value, self._clock.now()), keep_for)

    def __len__(self) -> int:
        return len(self._entries)


def _expires_at(_key: str, item: tuple[CacheEntry, float], now: Any) -> float:
    return float(now) + item[1]
