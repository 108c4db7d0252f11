"""The grpc.aio server: services, health, reflection and a graceful stop."""

import asyncio
import logging
import signal

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from entrypoints.container import Container
from entrypoints.grpc_api.availability import AvailabilityServicer
from entrypoints.grpc_api.booking import BookingServicer
from entrypoints.grpc_api.calendar import CalendarServicer
from entrypoints.grpc_api.operations import OperationsServicer, UpstreamHealth
from entrypoints.grpc_api.restaurants import RestaurantServicer, WeatherServicer
from entrypoints.grpc_api.usage import UsageServicer
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

logger = logging.getLogger(__name__)

SERVICE_NAMES = tuple(
    module.DESCRIPTOR.services_by_name[name].full_name
    for module, name in (
        (availability_pb2, "AvailabilityService"),
        (restaurants_pb2, "RestaurantService"),
        (weather_pb2, "WeatherService"),
        (booking_pb2, "BookingService"),
        (calendar_pb2, "CalendarService"),
        (usage_pb2, "UsageService"),
        (operations_pb2, "OperationsService"),
    )
)


class GatewayServer:
    """One gRPC server bound to one container, started and stopped as a unit."""

    def __init__(self, container: Container, address: str) -> None:
        self.container = container
        self.address = address
        self.health = health.aio.HealthServicer()
        self.server = grpc.aio.server()
        self.port = 0

    def _add_services(self) -> None:
        c, server = self.container, self.server
        clock = c.clock()
        availability_pb2_grpc.add_AvailabilityServiceServicer_to_server(
            AvailabilityServicer(c.check_availability(), clock), server
        )
        restaurants_pb2_grpc.add_RestaurantServiceServicer_to_server(
            RestaurantServicer(c.restaurants(), clock), server
        )
        weather_pb2_grpc.add_WeatherServiceServicer_to_server(
            WeatherServicer(c.get_weather(), clock), server
        )
        calendar = c.calendar.reservation_calendar()
        booking = BookingServicer(
            c.make_reservation(), c.reservation_desk(), clock, calendar
        )
        booking_pb2_grpc.add_BookingServiceServicer_to_server(booking, server)
        calendar_pb2_grpc.add_CalendarServiceServicer_to_server(
            CalendarServicer(calendar, clock), server
        )
        usage_pb2_grpc.add_UsageServiceServicer_to_server(
            UsageServicer(c.cache_metrics(), clock, c.api_costs()), server
        )
        operations_pb2_grpc.add_OperationsServiceServicer_to_server(
            OperationsServicer(c.breakers(), clock), server
        )

    async def start(self) -> None:
        self._add_services()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        reflection.enable_server_reflection(
            (*SERVICE_NAMES, health.SERVICE_NAME, reflection.SERVICE_NAME),
            self.server,
        )
        self.port = self.server.add_insecure_port(self.address)
        if self.port == 0:
            raise OSError(f"could not bind the gRPC server to {self.address}")
        for name in ("", *SERVICE_NAMES):
            await self.health.set(name, health_pb2.HealthCheckResponse.SERVING)
        await UpstreamHealth(self.health, self.container.breakers()).start()
        await self.server.start()

    async def stop(self, grace: float) -> None:
        """Health goes NOT_SERVING first, then in-flight calls get `grace` to end."""
        await self.health.enter_graceful_shutdown()
        await self.server.stop(grace)


async def wait_for_stop_signal() -> signal.Signals:
    loop = asyncio.get_running_loop()
    received: asyncio.Future[signal.Signals] = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(
            sig, lambda s=sig: received.done() or received.set_result(s)
        )
    try:
        return await received
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
