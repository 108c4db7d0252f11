"""Health names per upstream follow their breakers, and Watch streams the changes."""

import asyncio

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from domain.errors import TransientAPIError
from entrypoints.config import Settings
from entrypoints.container import Container
from entrypoints.grpc_api.server import GatewayServer
from tests.fakes import FakeClock, FakeLedger

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


async def _fail(breaker) -> None:
    async def down() -> None:
        raise TransientAPIError("503", 503, provider=breaker.name)

    try:
        await breaker.call(down)
    except Exception:  # noqa: BLE001 - the failure is the point
        pass


async def test_watch_streams_the_resy_breaker_opening_and_closing():
    clock = FakeClock()
    container = Container(settings=Settings())
    container.clock.override(clock)
    container.ledger.override(FakeLedger())
    server = GatewayServer(container, "127.0.0.1:0")
    await server.start()
    breaker = container.breakers().breaker("resy")
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            watch = stub.Watch(health_pb2.HealthCheckRequest(service="upstream.resy"))
            seen = [(await watch.read()).status]

            for _ in range(breaker.fail_max):
                await _fail(breaker)
            seen.append((await asyncio.wait_for(watch.read(), 10)).status)
            overall = await stub.Check(health_pb2.HealthCheckRequest(service=""))

            clock.advance(breaker.reset_timeout + 1)

            async def healthy() -> str:
                return "ok"

            await breaker.call(healthy)
            seen.append((await asyncio.wait_for(watch.read(), 10)).status)
            watch.cancel()
    finally:
        await server.stop(0)

    assert seen == [SERVING, NOT_SERVING, SERVING]
    assert overall.status == SERVING
