"""OperationsService, and upstream health names that follow their breakers."""

import asyncio
import logging

import grpc
from grpc_health.v1 import health, health_pb2

from adapters.resilience.breaker import CLOSED, HALF_OPEN, OPEN, BreakerSnapshot
from adapters.resilience.registry import BreakerRegistry
from domain.ports import Clock
from entrypoints.grpc_api.calls import rpc
from entrypoints.grpc_api.translate import timestamp
from reservations.v1 import operations_pb2, operations_pb2_grpc

logger = logging.getLogger(__name__)

_STATES = {
    CLOSED: operations_pb2.BREAKER_STATE_CLOSED,
    OPEN: operations_pb2.BREAKER_STATE_OPEN,
    HALF_OPEN: operations_pb2.BREAKER_STATE_HALF_OPEN,
}
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


def upstream_health_name(upstream: str) -> str:
    return f"upstream.{upstream}"


def breaker_health(state: str) -> int:
    """Only a closed breaker reads as SERVING; a half-open one is still probing."""
    return SERVING if state == CLOSED else NOT_SERVING


class UpstreamHealth:
    """Keeps `upstream.<name>` health statuses in step with the breakers."""

    def __init__(self, servicer: health.aio.HealthServicer, breakers: BreakerRegistry):
        self._servicer = servicer
        self._breakers = breakers
        self._pending: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        for snapshot in self._breakers.snapshots():
            await self._servicer.set(
                upstream_health_name(snapshot.name), breaker_health(snapshot.state)
            )
        self._breakers.add_listener(self._changed)

    def _changed(self, name: str, _old: str, new: str) -> None:
        task = asyncio.get_running_loop().create_task(
            self._servicer.set(upstream_health_name(name), breaker_health(new))
        )
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)


def snapshot_to_proto(
    snapshot: BreakerSnapshot, fail_max: int, reset_timeout: float
) -> operations_pb2.CircuitBreaker:
    message = operations_pb2.CircuitBreaker(
        name=snapshot.name,
        state=_STATES.get(snapshot.state, operations_pb2.BREAKER_STATE_UNSPECIFIED),
        failure_count=snapshot.failure_count,
        fail_max=fail_max,
        reset_timeout_seconds=reset_timeout,
    )
    if snapshot.opened_at is not None:
        message.opened_at.CopyFrom(timestamp(snapshot.opened_at))
    if snapshot.next_trial_at is not None:
        message.next_trial_at.CopyFrom(timestamp(snapshot.next_trial_at))
    return message


class OperationsServicer(operations_pb2_grpc.OperationsServiceServicer):
    def __init__(self, breakers: BreakerRegistry, clock: Clock) -> None:
        self.breakers = breakers
        self.clock = clock

    @rpc
    async def ListCircuitBreakers(
        self,
        request: operations_pb2.ListCircuitBreakersRequest,
        context: grpc.aio.ServicerContext,
    ) -> operations_pb2.ListCircuitBreakersResponse:
        breakers = []
        for snapshot in self.breakers.snapshots():
            breaker = self.breakers.breaker(snapshot.name)
            breakers.append(
                snapshot_to_proto(snapshot, breaker.fail_max, breaker.reset_timeout)
            )
        return operations_pb2.ListCircuitBreakersResponse(breakers=breakers)
