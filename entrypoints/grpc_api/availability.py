"""AvailabilityService: request in, use case, answer out."""

import grpc

from application.check_availability import CheckAvailability
from domain.ports import Clock
from domain.validation import parse_query
from entrypoints.grpc_api.calls import rpc
from entrypoints.grpc_api.translate import availability_to_proto, restaurant_from_proto
from reservations.v1 import availability_pb2, availability_pb2_grpc


class AvailabilityServicer(availability_pb2_grpc.AvailabilityServiceServicer):
    def __init__(self, check: CheckAvailability, clock: Clock) -> None:
        self.check = check
        self.clock = clock

    @rpc
    async def CheckAvailability(
        self,
        request: availability_pb2.CheckAvailabilityRequest,
        context: grpc.aio.ServicerContext,
    ) -> availability_pb2.CheckAvailabilityResponse:
        query = parse_query(
            restaurant_from_proto(request.restaurant),
            request.date,
            request.party_size,
            request.preferred_time,
            self.clock.now(),
        )
        answer = await self.check(query)

        return availability_to_proto(answer, query.restaurant.time_zone)
