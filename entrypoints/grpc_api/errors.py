"""The one mapping from domain errors to gRPC status codes and rich details."""

import collections
import logging
from collections.abc import Sequence

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from domain.errors import (
    APIError,
    AuthError,
    InvalidRequestError,
    NotFoundError,
    PermanentAPIError,
    PreconditionError,
)
from domain.messages import explain
from domain.models import DeepLink

logger = logging.getLogger(__name__)

ERROR_DOMAIN = "reservation-gateway"
LOCALE = "en-US"


def _pack(message: object) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)  # type: ignore[arg-type]
    return packed


def _status(code: int, message: str, details: Sequence[object]) -> status_pb2.Status:
    return status_pb2.Status(
        code=code, message=message, details=[_pack(d) for d in details]
    )


def _localized(sentence: str) -> error_details_pb2.LocalizedMessage:
    return error_details_pb2.LocalizedMessage(locale=LOCALE, message=sentence)


def _help(links: Sequence[DeepLink]) -> error_details_pb2.Help:
    return error_details_pb2.Help(
        links=[
            error_details_pb2.Help.Link(
                description=f"Book on {link.label}", url=link.url
            )
            for link in links
        ]
    )


def _code_for(error: APIError) -> int:
    if isinstance(error, AuthError):
        return code_pb2.FAILED_PRECONDITION
    if isinstance(error, PermanentAPIError):
        return (
            code_pb2.NOT_FOUND
            if error.status_code == 404
            else code_pb2.FAILED_PRECONDITION
        )
    return code_pb2.UNAVAILABLE


def status_for(
    error: BaseException, links: Sequence[DeepLink] = (), request_id: str = ""
) -> status_pb2.Status:
    """The google.rpc.Status a caller receives for `error`."""
    if isinstance(error, InvalidRequestError):
        bad = error_details_pb2.BadRequest(
            field_violations=[
                error_details_pb2.BadRequest.FieldViolation(
                    field=v.field, description=v.description
                )
                for v in error.violations
            ]
        )
        sentence = "The request is not valid: " + str(error)
        info = error_details_pb2.ErrorInfo(
            reason="INVALID_ARGUMENT", domain=ERROR_DOMAIN
        )
        return _status(
            code_pb2.INVALID_ARGUMENT, sentence, [info, bad, _localized(sentence)]
        )

    if isinstance(error, NotFoundError):
        info = error_details_pb2.ErrorInfo(reason="NOT_FOUND", domain=ERROR_DOMAIN)
        return _status(code_pb2.NOT_FOUND, str(error), [info, _localized(str(error))])

    if isinstance(error, PreconditionError):
        info = error_details_pb2.ErrorInfo(
            reason="FAILED_PRECONDITION", domain=ERROR_DOMAIN
        )
        details = [info, _localized(str(error))]
        return _status(code_pb2.FAILED_PRECONDITION, str(error), details)

    if isinstance(error, APIError):
        told = explain(error, links[0] if links else None)
        info = error_details_pb2.ErrorInfo(
            reason=told.reason,
            domain=ERROR_DOMAIN,
            metadata={"provider": error.provider} if error.provider else {},
        )
        details: list[object] = [info, _localized(told.sentence)]
        if told.retry_after is not None:
            delay = duration_pb2.Duration()
            delay.FromMilliseconds(int(told.retry_after * 1000))
            details.append(error_details_pb2.RetryInfo(retry_delay=delay))
        if links:
            details.append(_help(links))
        return _status(_code_for(error), told.sentence, details)

    logger.error(
        "rpc.unexpected_error", exc_info=error, extra={"request_id": request_id}
    )
    sentence = f"Something went wrong inside the gateway (request id {request_id})."
    info = error_details_pb2.ErrorInfo(reason="INTERNAL", domain=ERROR_DOMAIN)
    return _status(code_pb2.INTERNAL, sentence, [info, _localized(sentence)])


class _Status(
    collections.namedtuple("_Status", ("code", "details", "trailing_metadata")),
    grpc.Status,
):
    """A grpc.Status whose trailers carry the rich details and our own metadata."""


def to_grpc_status(
    status: status_pb2.Status, metadata: Sequence[tuple[str, str]] = ()
) -> grpc.Status:
    rich = rpc_status.to_status(status)
    return _Status(rich.code, rich.details, (*rich.trailing_metadata, *metadata))
