"""The grpc.aio server: services, health, reflection and a graceful stop."""

import asyncio
import logging
import signal

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from entrypoints.container import Container
from entrypoints.grpc_api.availability import AvailabilityServicer
from entrypoints.grpc_api.operations import OperationsServicer, UpstreamHealth
from reservations.v1 import (
    availability_pb2,
    availability_pb2_grpc,
    operations_pb2,
    operations_pb2_grpc,
)

logger = logging.getLogger(__name__)

SERVICE_NAMES = (
    availability_pb2.DESCRIPTOR.services_by_name["AvailabilityService"].full_name,
    operations_pb2.DESCRIPTOR.services_by_name["OperationsService"].full_name,
)


class GatewayServer:
    """One gRPC server bound to one container, started and stopped as a unit."""

    def __init__(self, container: Container, address: str) -> None:
        self.container = container
        self.address = address
        self.health = health.aio.HealthServicer()
        self.server = grpc.aio.server()
        self.port = 0

    async def start(self) -> None:
        availability_pb2_grpc.add_AvailabilityServiceServicer_to_server(
            AvailabilityServicer(
                self.container.check_availability(), self.container.clock()
            ),
            self.server,
        )
        operations_pb2_grpc.add_OperationsServiceServicer_to_server(
            OperationsServicer(self.container.breakers(), self.container.clock()),
            self.server,
        )
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
