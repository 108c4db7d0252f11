"""Plain JSON shapes of the cost report, cache counters and breaker history."""

from datetime import datetime
from typing import Any

from adapters.cache.metrics import CacheMetrics
from adapters.resilience.registry import BreakerRegistry
from application.costs import CostSummary, ProviderCost
from domain.money import usd_text
from domain.ports import BudgetStatus
from domain.wording import provider_name
from entrypoints.http.breakers import BreakerHistory

Json = dict[str, Any]


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _budget(budget: BudgetStatus | None) -> Json | None:
    if budget is None:
        return None

    return {
        "month": budget.month,
        "limit_micros": budget.limit_micros,
        "spent_micros": budget.spent_micros,
        "limit_usd": usd_text(budget.limit_micros),
        "spent_usd": usd_text(budget.spent_micros),
        "exhausted": budget.exhausted,
    }


def _provider(cost: ProviderCost) -> Json:
    return {
        "provider": cost.provider,
        "name": cost.name,
        "cost_micros": cost.cost_micros,
        "cost_usd": usd_text(cost.cost_micros),
        "calls": cost.calls,
        "cache_hits": cost.cache_hits,
        "cache_hit_rate": cost.hit_rate,
        "free_allowances": [
            {
                "sku": use.sku,
                "month": use.month,
                "used": use.used,
                "free_per_month": use.free_per_month,
            }
            for use in cost.allowances
        ],
        "budget": _budget(cost.budget),
    }


def costs_json(summary: CostSummary) -> Json:
    return {
        "days": summary.days,
        "since": _iso(summary.since),
        "until": _iso(summary.until),
        "providers": [_provider(p) for p in summary.providers],
        "total_micros": summary.total_micros,
        "total_usd": usd_text(summary.total_micros),
        "by_day": [
            {
                "day": row.day.isoformat() if row.day else None,
                "provider": row.provider,
                "name": provider_name(row.provider),
                "cost_micros": row.cost_micros,
                "cost_usd": usd_text(row.cost_micros),
                "calls": row.calls,
                "cache_hits": row.cache_hits,
            }
            for row in summary.by_day
        ],
        "text": summary.text,
        "rounding": summary.rounding,
    }


def _rate(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def cache_json(metrics: CacheMetrics) -> Json:
    """Rows per tier and kind, and per tier: hits, misses, loads, hit rate."""
    snapshot = metrics.snapshot()
    rows = [
        {**row, "hit_rate": _rate(row["hits"], row["hits"] + row["misses"])}
        for row in snapshot["rows"]
    ]
    tiers: dict[str, Json] = {}
    for row in rows:
        tier = tiers.setdefault(
            row["tier"],
            {"tier": row["tier"], "hits": 0, "misses": 0, "loads": 0, "failures": 0},
        )
        tier["hits"] += row["hits"]
        tier["misses"] += row["misses"]
        tier["loads"] += row["loads"]
        tier["failures"] += row["load_failures"]
    for tier in tiers.values():
        tier["hit_rate"] = _rate(tier["hits"], tier["hits"] + tier["misses"])

    return {"rows": rows, "tiers": list(tiers.values()), "totals": snapshot["totals"]}


def breakers_json(
    registry: BreakerRegistry, history: BreakerHistory, now: datetime
) -> Json:
    return {
        "now": _iso(now),
        "since": _iso(history.started_at),
        "breakers": [
            {
                "name": snapshot.name,
                "state": snapshot.state,
                "failure_count": snapshot.failure_count,
                "opened_at": _iso(snapshot.opened_at),
                "next_trial_at": _iso(snapshot.next_trial_at),
            }
            for snapshot in registry.snapshots()
        ],
        "changes": [
            {"at": _iso(c.at), "name": c.name, "old": c.old, "new": c.new}
            for c in history.changes()
        ],
    }
