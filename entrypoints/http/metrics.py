"""Prometheus metrics in a private registry: ledger rows as recorded, and state."""

from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from adapters.cache.metrics import CacheMetrics
from adapters.resilience.breaker import CLOSED, HALF_OPEN, OPEN
from adapters.resilience.registry import BreakerRegistry
from domain.models import ApiCall
from domain.ports import BudgetState

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
BREAKER_STATES = (CLOSED, OPEN, HALF_OPEN)


class LedgerMetrics:
    """Counters fed by every ledger row as it is recorded (a ledger tap)."""

    # Cached rows are left to the cache's own counters; upstream rows count
    # calls, latency and list-price spend by provider and outcome.

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        labels = ("provider", "outcome")
        self._calls = Counter(
            "resgw_upstream_calls",
            "Upstream attempts (each retry, each browser run) by outcome.",
            labels,
            registry=self.registry,
        )
        self._latency = Histogram(
            "resgw_upstream_latency_seconds",
            "Time from sending an upstream attempt to its answer (or failure).",
            labels,
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._spend = Counter(
            "resgw_upstream_spend_micros",
            "List-price cost of upstream calls since start, in micro-dollars.",
            ("provider",),
            registry=self.registry,
        )
        self._series: dict[tuple[str, str], tuple[Any, Any, Any]] = {}
        self._state: set[int] = set()

    def observe(self, call: ApiCall) -> None:
        if call.cached:
            return
        key = (call.provider, call.outcome)
        series = self._series.get(key)
        if series is None:
            series = (
                self._calls.labels(*key),
                self._latency.labels(*key),
                self._spend.labels(call.provider),
            )
            self._series[key] = series
        calls, latency, spend = series
        calls.inc()
        latency.observe(max(0.0, call.latency_ms) / 1000.0)
        if call.cost_micros:
            spend.inc(call.cost_micros)

    def watch(self, collector: Collector) -> None:
        """Add a collector of live state to the registry (once per collector)."""
        if id(collector) not in self._state:
            self._state.add(id(collector))
            self.registry.register(collector)


class StateCollector(Collector):
    """Reads cache counters, breaker states, budgets and the ledger at scrape time."""

    def __init__(
        self,
        cache: CacheMetrics,
        breakers: BreakerRegistry,
        budgets: BudgetState | None = None,
        ledger: object | None = None,
    ) -> None:
        self._cache = cache
        self._breakers = breakers
        self._budgets = budgets
        self._ledger = ledger

    def collect(self) -> Iterator[Metric]:
        yield from self._cache_families()
        yield from self._breaker_families()
        yield from self._budget_families()
        yield from self._ledger_families()

    def _cache_families(self) -> Iterator[Metric]:
        names = {
            "hits": "Answers a cache tier handed back.",
            "misses": "Lookups a cache tier had nothing usable for.",
            "stale_served": "Entries served past their freshness.",
        }
        families = {
            counter: CounterMetricFamily(
                f"resgw_cache_{counter}", text, labels=("tier", "kind")
            )
            for counter, text in names.items()
        }
        for row in self._cache.snapshot()["rows"]:
            for counter, family in families.items():
                family.add_metric((row["tier"], row["kind"]), row[counter])
        yield from families.values()

    def _breaker_families(self) -> Iterator[Metric]:
        state = GaugeMetricFamily(
            "resgw_breaker_state",
            "1 for each breaker's current state, 0 for the others.",
            labels=("upstream", "state"),
        )
        failures = GaugeMetricFamily(
            "resgw_breaker_failures",
            "Failures counted by each breaker since it last closed.",
            labels=("upstream",),
        )
        for snapshot in self._breakers.snapshots():
            for name in BREAKER_STATES:
                value = 1.0 if snapshot.state == name else 0.0
                state.add_metric((snapshot.name, name), value)
            failures.add_metric((snapshot.name,), snapshot.failure_count)
        yield state
        yield failures

    def _budget_families(self) -> Iterator[Metric]:
        if self._budgets is None:
            return
        limit = GaugeMetricFamily(
            "resgw_budget_limit_micros",
            "Monthly budget per provider, in micro-dollars.",
            labels=("provider",),
        )
        spent = GaugeMetricFamily(
            "resgw_budget_spent_micros",
            "Spend this UTC month per budgeted provider, in micro-dollars.",
            labels=("provider",),
        )
        for status in self._budgets.statuses():
            limit.add_metric((status.provider,), status.limit_micros)
            spent.add_metric((status.provider,), status.spent_micros)
        yield limit
        yield spent

    def _ledger_families(self) -> Iterator[Metric]:
        pending = getattr(self._ledger, "pending", None)
        dropped = getattr(self._ledger, "dropped", None)
        if isinstance(pending, int):
            yield GaugeMetricFamily(
                "resgw_ledger_pending_rows",
                "Ledger rows recorded but not yet written.",
                value=pending,
            )
        if isinstance(dropped, int):
            yield CounterMetricFamily(
                "resgw_ledger_dropped_rows",
                "Ledger rows dropped because too many were waiting.",
                value=dropped,
            )
