"""What every RPC does around its use case: request id, deadline, error mapping."""

import functools
import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import grpc

from domain import context as request_context
from domain.ports import Clock
from entrypoints.grpc_api.errors import status_for, to_grpc_status

logger = logging.getLogger(__name__)

Req = TypeVar("Req")
Resp = TypeVar("Resp")
Handler = Callable[[Any, Req, grpc.aio.ServicerContext], Awaitable[Resp]]


_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def _incoming_request_id(context: grpc.aio.ServicerContext) -> str:
    """The caller's id when it is safe to log and echo back, else a new one."""
    for key, value in context.invocation_metadata() or ():
        if key == "x-request-id" and isinstance(value, str):
            if _REQUEST_ID.fullmatch(value):
                return value
    return uuid.uuid4().hex


def rpc(handler: Handler[Req, Resp]) -> Handler[Req, Resp]:
    """Wrap a servicer method: every failure leaves through the one mapping.

    The servicer must have a `clock` attribute (the clock port), used to turn
    the caller's remaining deadline into a monotonic deadline for adapters.
    """

    @functools.wraps(handler)
    async def wrapper(
        self: Any, request: Req, context: grpc.aio.ServicerContext
    ) -> Resp:
        clock: Clock = self.clock
        request_id = _incoming_request_id(context)
        remaining = context.time_remaining()
        rid_token = request_context.request_id.set(request_id)
        deadline_token = request_context.deadline.set(
            None if remaining is None else clock.monotonic() + remaining
        )
        # Trailing, not initial, metadata: it rides on the status frame, where
        # a separate headers frame would cost every call about a tenth more.
        echo = (("x-request-id", request_id),)
        try:
            answer = await handler(self, request, context)
            context.set_trailing_metadata(echo)
            return answer
        except grpc.aio.AbortError:
            raise
        except Exception as error:  # noqa: BLE001 - mapped, never leaked as UNKNOWN
            links = getattr(error, "deep_links", ())
            status = status_for(error, links, request_id)
            logger.info(
                "rpc.failed",
                extra={
                    "rpc": handler.__name__,
                    "request_id": request_id,
                    "code": status.code,
                    "error_kind": type(error).__name__,
                },
            )
            await context.abort_with_status(to_grpc_status(status, echo))
            raise AssertionError("abort_with_status returned") from error
        finally:
            request_context.deadline.reset(deadline_token)
            request_context.request_id.reset(rid_token)

    return wrapper
