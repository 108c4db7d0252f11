"""Every RPC maps every error kind through the one mapping, with rich details."""

import grpc
import pytest
from google.rpc import code_pb2, error_details_pb2
from grpc_status import rpc_status

from domain.errors import (
    AuthError,
    CAPTCHAError,
    CircuitOpenError,
    FieldViolation,
    InvalidRequestError,
    PermanentAPIError,
    SchemaChangeError,
    TransientAPIError,
    UpstreamTimeoutError,
)
from entrypoints.config import Settings
from entrypoints.container import Container
from entrypoints.grpc_api.server import GatewayServer
from reservations.v1 import (
    availability_pb2,
    availability_pb2_grpc,
    booking_pb2,
    booking_pb2_grpc,
    calendar_pb2,
    calendar_pb2_grpc,
    operations_pb2,
    operations_pb2_grpc,
    restaurants_pb2,
    restaurants_pb2_grpc,
    usage_pb2,
    usage_pb2_grpc,
    weather_pb2,
    weather_pb2_grpc,
)
from tests.fakes import FakeClock, FakeLedger

SECRET = "sk-test-4f9d2b7e"

ERRORS = [
    (
        AuthError("401 from resy", 401, provider="resy"),
        code_pb2.FAILED_PRECONDITION,
        "UPSTREAM_AUTH_FAILED",
    ),
    (
        CAPTCHAError("bot wall", provider="opentable"),
        code_pb2.UNAVAILABLE,
        "UPSTREAM_CAPTCHA",
    ),
    (
        TransientAPIError("503", 503, provider="resy", retry_after=7),
        code_pb2.UNAVAILABLE,
        "UPSTREAM_UNAVAILABLE",
    ),
    (
        UpstreamTimeoutError("slow", provider="resy"),
        code_pb2.UNAVAILABLE,
        "UPSTREAM_TIMEOUT",
    ),
    (
        SchemaChangeError("drift", provider="resy"),
        code_pb2.UNAVAILABLE,
        "UPSTREAM_SCHEMA_CHANGED",
    ),
    (
        CircuitOpenError("open", provider="resy", retry_after=90),
        code_pb2.UNAVAILABLE,
        "CIRCUIT_OPEN",
    ),
    (
        PermanentAPIError("no such venue", 404, provider="resy"),
        code_pb2.NOT_FOUND,
        "UPSTREAM_REJECTED",
    ),
    (
        InvalidRequestError([FieldViolation("party_size", "must be from 1 to 20")]),
        code_pb2.INVALID_ARGUMENT,
        "INVALID_ARGUMENT",
    ),
    (RuntimeError(f"boom with {SECRET}"), code_pb2.INTERNAL, "INTERNAL"),
]


class Raising:
    """Stands in for a use case or registry: once armed, every call raises."""

    def __init__(self, error: BaseException) -> None:
        self.error = error
        self.armed = False

    def _raise(self, *_args, **_kwargs):
        if self.armed:
            raise self.error
        return []

    def __call__(self, *args, **kwargs):
        return self._raise(*args, **kwargs)

    def __getattr__(self, name):
        if name == "add_listener":
            return lambda _listener: None
        return self._raise


BISTRO = {"name": "X", "time_zone": "America/New_York", "resy_venue_id": "1"}


def _rpcs(channel):
    availability = availability_pb2_grpc.AvailabilityServiceStub(channel)
    restaurants = restaurants_pb2_grpc.RestaurantServiceStub(channel)
    weather = weather_pb2_grpc.WeatherServiceStub(channel)
    booking = booking_pb2_grpc.BookingServiceStub(channel)
    usage = usage_pb2_grpc.UsageServiceStub(channel)
    calendar = calendar_pb2_grpc.CalendarServiceStub(channel)
    operations = operations_pb2_grpc.OperationsServiceStub(channel)
    make = booking_pb2.MakeReservationRequest(
        restaurant=BISTRO,
        date="2027-01-15",
        time="19:00",
        party_size=2,
        guest={"name": "Ada"},
        idempotency_key="key-12345678",
    )
    return {
        "CheckAvailability": lambda: availability.CheckAvailability(
            availability_pb2.CheckAvailabilityRequest(
                restaurant=BISTRO, date="2027-01-15", party_size=2
            )
        ),
        "SearchRestaurants": lambda: restaurants.SearchRestaurants(
            restaurants_pb2.SearchRestaurantsRequest(query="ramen")
        ),
        "GetRestaurant": lambda: restaurants.GetRestaurant(
            restaurants_pb2.GetRestaurantRequest(place_id="p1")
        ),
        "GetWeather": lambda: weather.GetWeather(
            weather_pb2.GetWeatherRequest(location={"latitude": 1, "longitude": 2})
        ),
        "MakeReservation": lambda: booking.MakeReservation(make),
        "GetReservation": lambda: booking.GetReservation(
            booking_pb2.GetReservationRequest(reservation_id="rsv_1")
        ),
        "ListReservations": lambda: booking.ListReservations(
            booking_pb2.ListReservationsRequest()
        ),
        "CancelReservation": lambda: booking.CancelReservation(
            booking_pb2.CancelReservationRequest(reservation_id="rsv_1")
        ),
        "GetCacheStats": lambda: usage.GetCacheStats(usage_pb2.GetCacheStatsRequest()),
        "GetApiCosts": lambda: usage.GetApiCosts(usage_pb2.GetApiCostsRequest(days=7)),
        "GetCalendarEvent": lambda: calendar.GetCalendarEvent(
            calendar_pb2.GetCalendarEventRequest(reservation_id="rsv_1")
        ),
        "ListCircuitBreakers": lambda: operations.ListCircuitBreakers(
            operations_pb2.ListCircuitBreakersRequest()
        ),
    }


RPCS = (
    "CheckAvailability",
    "SearchRestaurants",
    "GetRestaurant",
    "GetWeather",
    "MakeReservation",
    "GetReservation",
    "ListReservations",
    "CancelReservation",
    "GetCacheStats",
    "GetApiCosts",
    "GetCalendarEvent",
    "ListCircuitBreakers",
)
STAND_INS = (
    "check_availability",
    "restaurants",
    "get_weather",
    "make_reservation",
    "reservation_desk",
    "cache_metrics",
    "api_costs",
    "calendar.reservation_calendar",
    "breakers",
)


@pytest.mark.parametrize("rpc_name", RPCS)
@pytest.mark.parametrize(
    ("error", "code", "reason"), ERRORS, ids=lambda v: type(v).__name__
)
async def test_each_rpc_maps_each_error(rpc_name, error, code, reason):
    container = Container(settings=Settings())
    container.clock.override(FakeClock())
    container.ledger.override(FakeLedger())
    doubles = [Raising(error) for _ in STAND_INS]
    for path, double in zip(STAND_INS, doubles, strict=True):
        provider = container
        for name in path.split("."):
            provider = getattr(provider, name)
        provider.override(double)
    server = GatewayServer(container, "127.0.0.1:0")
    await server.start()
    for double in doubles:
        double.armed = True
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await _rpcs(channel)[rpc_name]()
    finally:
        await server.stop(0)

    failure = caught.value
    status = rpc_status.from_call(failure)
    assert status is not None and status.code == code
    details = {}
    for packed in status.details:
        for kind in (
            error_details_pb2.ErrorInfo,
            error_details_pb2.LocalizedMessage,
            error_details_pb2.RetryInfo,
            error_details_pb2.BadRequest,
            error_details_pb2.Help,
        ):
            if packed.Is(kind.DESCRIPTOR):
                message = kind()
                packed.Unpack(message)
                details[kind.DESCRIPTOR.name] = message
    assert details["ErrorInfo"].reason == reason
    assert details["LocalizedMessage"].message
    assert "{" not in details["LocalizedMessage"].message
    assert SECRET not in str(status)
    if getattr(error, "retry_after", None) is not None:
        assert details["RetryInfo"].retry_delay.seconds == int(error.retry_after)
    if isinstance(error, InvalidRequestError):
        assert details["BadRequest"].field_violations[0].field == "party_size"
    if getattr(error, "provider", ""):
        assert details["ErrorInfo"].metadata["provider"] == error.provider


async def test_the_request_id_comes_back_in_the_trailers_on_success_and_error():
    container = Container(settings=Settings())
    container.clock.override(FakeClock())
    container.ledger.override(FakeLedger())
    server = GatewayServer(container, "127.0.0.1:0")
    await server.start()
    sent = (("x-request-id", "req-7f3a"),)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            operations = operations_pb2_grpc.OperationsServiceStub(channel)
            ok = operations.ListCircuitBreakers(
                operations_pb2.ListCircuitBreakersRequest(), metadata=sent
            )
            await ok
            ok_trailers = await ok.trailing_metadata()
            availability = availability_pb2_grpc.AvailabilityServiceStub(channel)
            bad = availability.CheckAvailability(
                availability_pb2.CheckAvailabilityRequest(party_size=0), metadata=sent
            )
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await bad
    finally:
        await server.stop(0)

    assert ("x-request-id", "req-7f3a") in tuple(ok_trailers)
    assert ("x-request-id", "req-7f3a") in tuple(caught.value.trailing_metadata())
    assert rpc_status.from_call(caught.value).code == code_pb2.INVALID_ARGUMENT
