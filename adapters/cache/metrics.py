"""Cache counters per tier and kind, and the log events that go with them."""

import logging
from collections import defaultdict
from typing import Any

from adapters.cache.keys import describe, kind_of

logger = logging.getLogger(__name__)

COUNTERS = (
    "hits",
    "misses",
    "stale_served",
    "coalesced_waits",
    "loads",
    "load_failures",
)
# Loads, their failures and the waits they coalesce happen upstream, not in a tier.
LIVE = "live"


class CacheMetrics:
    """Plain counters, keyed by (tier, kind); `snapshot()` is what an RPC returns.

    A hit is an entry a tier handed back and the caller could use; a miss is
    a tier that had nothing usable. Call from the event loop's thread.
    """

    def __init__(self) -> None:
        self._counts: defaultdict[tuple[str, str], dict[str, int]] = defaultdict(
            lambda: dict.fromkeys(COUNTERS, 0)
        )

    def hit(self, tier: str, key: str) -> None:
        kind = kind_of(key)
        self._counts[tier, kind]["hits"] += 1
        logger.debug("cache.hit", extra={"tier": tier, "kind": kind, "key": key})

    def miss(self, tier: str, key: str) -> None:
        kind = kind_of(key)
        self._counts[tier, kind]["misses"] += 1
        logger.debug("cache.miss", extra={"tier": tier, "kind": kind, "key": key})

    def stale_served(self, key: str, *, tier: str, age_seconds: float) -> None:
        """The use case served an entry past its freshness (from `tier`)."""
        about = describe(key)
        self._counts[tier, about.kind]["stale_served"] += 1
        logger.info(
            "cache.stale_served",
            extra={
                "tier": tier,
                "kind": about.kind,
                "provider": about.provider,
                "key": key,
                "age_seconds": round(age_seconds, 3),
            },
        )

    def coalesced_wait(self, key: str) -> None:
        kind = kind_of(key)
        self._counts[LIVE, kind]["coalesced_waits"] += 1
        logger.debug("cache.coalesced", extra={"kind": kind, "key": key})

    def load(self, key: str) -> None:
        self._counts[LIVE, kind_of(key)]["loads"] += 1

    def load_failed(self, key: str, error: BaseException) -> None:
        kind = kind_of(key)
        self._counts[LIVE, kind]["load_failures"] += 1
        logger.info(
            "cache.load_failed",
            extra={"kind": kind, "key": key, "error": type(error).__name__},
        )

    def count(self, tier: str, kind: str, counter: str) -> int:
        """One counter's value (0 when nothing was counted yet)."""
        counts = self._counts.get((tier, kind))

        return counts[counter] if counts else 0

    def snapshot(self) -> dict[str, Any]:
        """Rows per (tier, kind), sorted, and totals per counter: plain data."""
        rows = [
            {"tier": tier, "kind": kind, **counts}
            for (tier, kind), counts in sorted(self._counts.items())
        ]
        totals = {name: sum(row[name] for row in rows) for name in COUNTERS}

        return {"rows": rows, "totals": totals}

    def reset(self) -> None:
        self._counts.clear()
