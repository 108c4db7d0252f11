"""Ledger rows the use cases write themselves: cache hits (upstreams write the rest)."""

from domain import context
from domain.models import ApiCall
from domain.ports import Clock, CostLedger


def record_cache_hit(
    ledger: CostLedger, clock: Clock, key: str, tier: str, *, stale: bool = False
) -> None:
    """One api_calls row, cached and free, for an answer the cache gave."""
    kind, _, rest = key.partition(":")
    provider = (
        rest.partition(":")[0] if kind == "availability" else _KINDS.get(kind, "")
    )
    ledger.record(
        ApiCall(
            at=clock.now(),
            provider=provider,
            operation=kind,
            outcome=f"stale_{tier}" if stale else f"cache_{tier}",
            latency_ms=0.0,
            cached=True,
            request_id=context.request_id.get(),
        )
    )


_KINDS = {"search": "google_places", "place": "google_places", "weather": "weather"}
