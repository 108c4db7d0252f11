"""The composition root: the one place where ports meet their adapters.

Production and tests build the application through this container; tests
override providers (clock, platforms, ledger) with fakes.
"""

import httpx
from dependency_injector import containers, providers

from adapters.cache.codec import default_codec
from adapters.cache.memory import MemoryCache
from adapters.cache.metrics import CacheMetrics
from adapters.cache.sql import SqlCache
from adapters.cache.tiered import TieredCache
from adapters.clock import SystemClock
from adapters.metering import MeteredTransport
from adapters.resilience.availability import ResilientAvailability
from adapters.resilience.registry import BreakerRegistry
from adapters.resy.availability import ResyAvailability
from adapters.resy.settings import ResySettings
from adapters.storage.engine import make_engine
from adapters.storage.ledger import SqlCostLedger
from application.check_availability import AvailabilityPolicy, CheckAvailability
from entrypoints.config import Settings


def _resy_operation(request: httpx.Request) -> str:
    return request.url.path.strip("/").replace("/", "_") or "root"


def _http_client(transport: httpx.AsyncBaseTransport) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=transport, follow_redirects=False)


class Container(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)

    clock = providers.Singleton(SystemClock)
    engine = providers.Singleton(make_engine, settings.provided.effective_database_url)
    ledger = providers.Singleton(SqlCostLedger, engine=engine, clock=clock)
    breakers = providers.Singleton(
        BreakerRegistry, clock=clock, policies=settings.provided.policies
    )

    resy_http = providers.Singleton(
        _http_client,
        transport=providers.Singleton(
            MeteredTransport,
            provider="resy",
            ledger=ledger,
            clock=clock,
            operation_of=_resy_operation,
        ),
    )
    resy_settings = providers.Singleton(
        ResySettings,
        base_url=settings.provided.effective_resy_base_url,
        api_key=settings.provided.effective_resy_api_key,
        auth_token=settings.provided.resy_auth_token,
        timeout=settings.provided.resy_timeout,
    )
    resy_raw = providers.Singleton(
        ResyAvailability, http=resy_http, settings=resy_settings, clock=clock
    )
    resy = providers.Singleton(
        ResilientAvailability,
        inner=resy_raw,
        resilience=breakers.provided.resilience.call("resy"),
    )

    hot_cache = providers.Singleton(
        MemoryCache, clock=clock, max_entries=settings.provided.hot_cache_max_entries
    )
    warm_cache = providers.Singleton(
        SqlCache, engine=engine, clock=clock, codec=providers.Singleton(default_codec)
    )
    cache_metrics = providers.Singleton(CacheMetrics)
    cache = providers.Singleton(
        TieredCache,
        hot=hot_cache,
        warm=warm_cache,
        clock=clock,
        metrics=cache_metrics,
        hot_keep_for=settings.provided.hot_cache_keep_for,
        negative_keep_for=settings.provided.negative_cache_keep_for,
    )
    availability_policy = providers.Singleton(
        AvailabilityPolicy,
        fresh_for=settings.provided.availability_fresh_for,
        stale_for=settings.provided.availability_stale_for,
    )
    check_availability = providers.Singleton(
        CheckAvailability,
        platforms=providers.List(resy),
        cache=cache,
        clock=clock,
        ledger=ledger,
        policy=availability_policy,
    )
