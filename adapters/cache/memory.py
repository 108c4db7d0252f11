"""The hot tier: a bounded in-memory LRU whose entries each carry their own TTL."""

from datetime import datetime, timedelta
from typing import Any

from cachetools import TLRUCache

from domain.ports import CacheEntry, Clock

HOT = "hot"


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

    def set(
        self,
        key: str,
        value: object,
        keep_for: float,
        *,
        stored_at: datetime | None = None,
    ) -> None:
        now = stored_at or self._clock.now()
        expires_at = now + timedelta(seconds=keep_for)
        self._entries[key] = (CacheEntry(value, now, HOT, expires_at), keep_for)

    def put(self, key: str, entry: CacheEntry, keep_for: float) -> None:
        """Hold an entry made elsewhere for `keep_for` seconds, as it is.

        Its `stored_at` and `expires_at` stay: they describe the value, which
        may live on in a slower tier after this copy has gone.
        """
        if keep_for <= 0:
            self._entries.pop(key, None)
            return
        expires_at = entry.expires_at or (
            self._clock.now() + timedelta(seconds=keep_for)
        )
        hot = CacheEntry(entry.value, entry.stored_at, HOT, expires_at)
        self._entries[key] = (hot, keep_for)

    def __len__(self) -> int:
        return len(self._entries)


def _expires_at(_key: str, item: tuple[CacheEntry, float], now: Any) -> float:
    return float(now) + item[1]
