"""UsageService: what the caches saved and what the upstreams cost."""

import grpc

from adapters.cache.metrics import CacheMetrics
from application.costs import DEFAULT_DAYS, ApiCosts, CostSummary, ProviderCost
from domain.money import usd_text
from domain.ports import BudgetStatus, Clock
from entrypoints.grpc_api.calls import rpc
from entrypoints.grpc_api.translate import timestamp
from reservations.v1 import usage_pb2, usage_pb2_grpc


class UsageServicer(usage_pb2_grpc.UsageServiceServicer):
    def __init__(self, metrics: CacheMetrics, clock: Clock, costs: ApiCosts) -> None:
        self.metrics = metrics
        self.clock = clock
        self.costs = costs

    @rpc
    async def GetCacheStats(
        self, request: usage_pb2.GetCacheStatsRequest, context: grpc.aio.ServicerContext
    ) -> usage_pb2.GetCacheStatsResponse:
        stats = []
        for row in self.metrics.snapshot()["rows"]:
            asked = row["hits"] + row["misses"]
            stats.append(
                usage_pb2.CacheStat(
                    tier=row["tier"],
                    kind=row["kind"],
                    hits=row["hits"],
                    misses=row["misses"],
                    stale_served=row["stale_served"],
                    coalesced_waits=row["coalesced_waits"],
                    hit_rate=row["hits"] / asked if asked else 0.0,
                )
            )
        return usage_pb2.GetCacheStatsResponse(stats=stats)

    @rpc
    async def GetApiCosts(
        self, request: usage_pb2.GetApiCostsRequest, context: grpc.aio.ServicerContext
    ) -> usage_pb2.GetApiCostsResponse:
        days = request.days if request.HasField("days") else DEFAULT_DAYS
        summary = await self.costs(days, by_day=request.by_day)

        return summary_to_proto(summary)


def summary_to_proto(summary: CostSummary) -> usage_pb2.GetApiCostsResponse:
    message = usage_pb2.GetApiCostsResponse(
        days=summary.days,
        providers=[_provider(p) for p in summary.providers],
        total_micros=summary.total_micros,
        total_usd=usd_text(summary.total_micros),
        text=summary.text,
        rounding=summary.rounding,
        by_day=[
            usage_pb2.DayCost(
                day=row.day.isoformat() if row.day else "",
                provider=row.provider,
                cost_micros=row.cost_micros,
                cost_usd=usd_text(row.cost_micros),
                calls=row.calls,
                cache_hits=row.cache_hits,
            )
            for row in summary.by_day
        ],
    )
    message.since.CopyFrom(timestamp(summary.since))
    message.until.CopyFrom(timestamp(summary.until))

    return message


def _provider(cost: ProviderCost) -> usage_pb2.ProviderCost:
    message = usage_pb2.ProviderCost(
        provider=cost.provider,
        name=cost.name,
        cost_micros=cost.cost_micros,
        cost_usd=usd_text(cost.cost_micros),
        calls=cost.calls,
        cache_hits=cost.cache_hits,
        cache_hit_rate=cost.hit_rate,
        free_allowances=[
            usage_pb2.FreeAllowanceUse(
                sku=use.sku,
                month=use.month,
                used=use.used,
                free_per_month=use.free_per_month or 0,
                unlimited=use.free_per_month is None,
            )
            for use in cost.allowances
        ],
    )
    if cost.budget is not None:
        message.budget.CopyFrom(_budget(cost.budget))

    return message


def _budget(budget: BudgetStatus) -> usage_pb2.Budget:
    return usage_pb2.Budget(
        month=budget.month,
        limit_micros=budget.limit_micros,
        spent_micros=budget.spent_micros,
        limit_usd=usd_text(budget.limit_micros),
        spent_usd=usd_text(budget.spent_micros),
        exhausted=budget.exhausted,
    )
