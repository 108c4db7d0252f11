"""The composition root: the one place where ports meet their adapters.

Production and tests build the application through this container; tests
override providers (clock, platforms, ledger) with fakes.
"""

import uuid
from collections.abc import Callable
from typing import Any

import httpx
from dependency_injector import containers, providers
from redis import Redis

from adapters.allowances import free_allowances
from adapters.budget import BudgetedDirectory
from adapters.cache.codec import default_codec
from adapters.cache.memory import MemoryCache
from adapters.cache.metrics import CacheMetrics
from adapters.cache.sql import SqlCache
from adapters.cache.tiered import TieredCache
from adapters.clock import SystemClock
from adapters.ledger_tap import TappedLedger
from adapters.metering import MeteredTransport, no_cost
from adapters.opentable.availability import OpenTableAvailability
from adapters.opentable.booking_port import OpenTableBookingPort
from adapters.opentable.browser import BrowserPool
from adapters.opentable.settings import OpenTableSettings
from adapters.places.cost import places_cost, places_operation
from adapters.places.directory import GooglePlacesDirectory
from adapters.places.settings import PlacesSettings
from adapters.resilience.availability import ResilientAvailability
from adapters.resilience.booking import ResilientBooking
from adapters.resilience.directory import (
    ResilientDirectory,
    ResilientMatcher,
    ResilientWeather,
)
from adapters.resilience.registry import (
    BreakerRegistry,
    StorageFactory,
    redis_storage,
)
from adapters.resy.availability import ResyAvailability
from adapters.resy.booking import ResyBooking
from adapters.resy.settings import ResySettings
from adapters.resy.venues import ResyVenueMatcher
from adapters.storage.cost_report import SqlCostReport
from adapters.storage.engine import make_engine
from adapters.storage.ledger import SqlCostLedger
from adapters.storage.reservations import SqlReservationStore
from adapters.weather.openweathermap import OpenWeatherMap
from adapters.weather.settings import OpenWeatherMapSettings
from application.booking import BookingLayer, MakeReservation
from application.budget import MonthlyBudgets
from application.check_availability import AvailabilityPolicy, CheckAvailability
from application.costs import ApiCosts
from application.reservation_desk import ReservationDesk
from application.restaurants import RestaurantLookup
from application.weather import GetWeather
from entrypoints.calendar_container import CalendarContainer
from entrypoints.config import Settings
from entrypoints.http.metrics import LedgerMetrics


def _path_operation(request: httpx.Request) -> str:
    return request.url.path.strip("/").replace("/", "_") or "root"


def _http_client(transport: httpx.AsyncBaseTransport) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=transport, follow_redirects=False)


def _breaker_storage(url: str, namespace: str) -> StorageFactory | None:
    """Breaker state in Redis, shared live by every replica; else per process."""
    if not url:
        return None
    return redis_storage(Redis.from_url(url), namespace)


def _new_reservation_id() -> str:
    return "rsv_" + uuid.uuid4().hex[:16]


def _metered_client(
    provider: str,
    ledger: providers.Provider[Any],
    clock: providers.Provider[Any],
    operation_of: Callable[[httpx.Request], str],
    cost_of: Callable[..., tuple[str, int]] = no_cost,
) -> providers.Singleton[httpx.AsyncClient]:
    """One httpx client per upstream; each attempt it makes is a ledger row."""
    return providers.Singleton(
        _http_client,
        transport=providers.Singleton(
            MeteredTransport,
            provider=provider,
            ledger=ledger,
            clock=clock,
            operation_of=operation_of,
            cost_of=cost_of,
        ),
    )


class Container(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)

    clock = providers.Singleton(SystemClock)
    engine = providers.Singleton(make_engine, settings.provided.effective_database_url)
    sql_ledger = providers.Singleton(SqlCostLedger, engine=engine, clock=clock)
    budgets = providers.Singleton(
        MonthlyBudgets, limits=settings.provided.budgets, clock=clock
    )
    ledger_metrics = providers.Singleton(LedgerMetrics)
    # Every row passes the tap as it is recorded: budgets and /metrics see it.
    ledger = providers.Singleton(
        TappedLedger,
        inner=sql_ledger,
        observers=providers.List(
            budgets.provided.observe, ledger_metrics.provided.observe
        ),
    )
    cost_report = providers.Singleton(SqlCostReport, engine=engine)
    api_costs = providers.Singleton(
        ApiCosts,
        report=cost_report,
        ledger=ledger,
        clock=clock,
        allowances=providers.Callable(free_allowances),
        budgets=budgets,
    )
    breakers = providers.Singleton(
        BreakerRegistry,
        clock=clock,
        policies=settings.provided.policies,
        storage_factory=providers.Singleton(
            _breaker_storage,
            settings.provided.breaker_redis_url,
            settings.provided.breaker_redis_namespace,
        ),
    )

    # Resy: availability, venue matching and booking over one metered client.
    resy_http = _metered_client("resy", ledger, clock, _path_operation)
    resy_settings = providers.Singleton(
        ResySettings,
        base_url=settings.provided.effective_resy_base_url,
        api_key=settings.provided.effective_resy_api_key,
        auth_token=settings.provided.effective_resy_auth_token,
        timeout=settings.provided.resy_timeout,
    )
    resy_resilience = breakers.provided.resilience.call("resy")
    resy = providers.Singleton(
        ResilientAvailability,
        inner=providers.Singleton(
            ResyAvailability, http=resy_http, settings=resy_settings, clock=clock
        ),
        resilience=resy_resilience,
    )
    resy_matcher = providers.Singleton(
        ResilientMatcher,
        inner=providers.Singleton(
            ResyVenueMatcher, http=resy_http, settings=resy_settings, clock=clock
        ),
        resilience=resy_resilience,
    )
    resy_booking = providers.Singleton(
        ResilientBooking,
        inner=providers.Singleton(
            ResyBooking, http=resy_http, settings=resy_settings, clock=clock
        ),
        resilience=resy_resilience,
    )

    # Google Places, priced per call from the field mask it sends.
    places_http = _metered_client(
        "google_places", ledger, clock, places_operation, places_cost
    )
    places = providers.Singleton(
        ResilientDirectory,
        inner=providers.Singleton(
            GooglePlacesDirectory,
            http=places_http,
            settings=providers.Singleton(
                PlacesSettings,
                base_url=settings.provided.effective_places_base_url,
                api_key=settings.provided.effective_places_api_key,
                timeout=settings.provided.google_places_timeout,
            ),
            clock=clock,
        ),
        resilience=breakers.provided.resilience.call("google_places"),
    )
    # Outside the breaker: a spent budget refuses calls without failing any.
    budgeted_places = providers.Singleton(
        BudgetedDirectory, inner=places, budgets=budgets, clock=clock
    )

    weather_http = _metered_client("weather", ledger, clock, _path_operation)
    weather = providers.Singleton(
        ResilientWeather,
        inner=providers.Singleton(
            OpenWeatherMap,
            http=weather_http,
            settings=providers.Singleton(
                OpenWeatherMapSettings,
                base_url=settings.provided.effective_openweather_base_url,
                api_key=settings.provided.effective_openweather_api_key,
                timeout=settings.provided.openweather_timeout,
            ),
            clock=clock,
        ),
        resilience=breakers.provided.resilience.call("weather"),
    )

    # OpenTable in a real browser, one pool for availability and booking.
    opentable_settings = providers.Singleton(
        OpenTableSettings,
        base_url=settings.provided.effective_opentable_base_url,
        executable_path=settings.provided.opentable_executable_path,
        max_concurrency=settings.provided.opentable_max_concurrency,
        step_timeout=settings.provided.opentable_step_timeout,
    )
    browser = providers.Singleton(BrowserPool, settings=opentable_settings)
    opentable_resilience = breakers.provided.resilience.call("opentable")
    opentable = providers.Singleton(
        ResilientAvailability,
        inner=providers.Singleton(
            OpenTableAvailability,
            pool=browser,
            settings=opentable_settings,
            clock=clock,
            ledger=ledger,
        ),
        resilience=opentable_resilience,
    )
    opentable_booking = providers.Singleton(
        ResilientBooking,
        inner=providers.Singleton(
            OpenTableBookingPort,
            pool=browser,
            settings=opentable_settings,
            clock=clock,
            ledger=ledger,
        ),
        resilience=opentable_resilience,
    )

    # Caches: hot in memory, warm in SQL.
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

    # Use cases.
    availability_policy = providers.Singleton(
        AvailabilityPolicy,
        fresh_for=settings.provided.availability_fresh_for,
        stale_for=settings.provided.availability_stale_for,
    )
    check_availability = providers.Singleton(
        CheckAvailability,
        platforms=providers.List(resy, opentable),
        cache=cache,
        clock=clock,
        ledger=ledger,
        policy=availability_policy,
    )
    restaurants = providers.Singleton(
        RestaurantLookup,
        directory=budgeted_places,
        matcher=resy_matcher,
        cache=cache,
        clock=clock,
        ledger=ledger,
    )
    get_weather = providers.Singleton(
        GetWeather, weather=weather, cache=cache, clock=clock, ledger=ledger
    )
    reservation_store = providers.Singleton(
        SqlReservationStore, engine=engine, clock=clock
    )
    booking_layers = providers.List(
        providers.Singleton(BookingLayer, availability=resy, booking=resy_booking),
        providers.Singleton(
            BookingLayer, availability=opentable, booking=opentable_booking
        ),
    )
    make_reservation = providers.Singleton(
        MakeReservation,
        layers=booking_layers,
        store=reservation_store,
        clock=clock,
        new_id=providers.Object(_new_reservation_id),
        pending_grace=settings.provided.booking_pending_grace,
    )
    reservation_desk = providers.Singleton(
        ReservationDesk, layers=booking_layers, store=reservation_store, clock=clock
    )

    # The add-to-calendar link, the .ics and (when configured) Calendar sync.
    calendar = providers.Container(
        CalendarContainer,
        settings=settings,
        clock=clock,
        ledger=ledger,
        breakers=breakers,
        engine=engine,
        reservations=reservation_store,
    )
