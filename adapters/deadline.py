"""Each upstream request's timeout: its own, cut short by the caller's deadline."""

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

import httpx

from adapters.http_errors import translate_transport_error
from domain import context
from domain.errors import UpstreamTimeoutError
from domain.ports import Clock
from domain.wording import provider_name

T = TypeVar("T")


def time_left(timeout: float, clock: Clock, provider: str) -> float:
    """Seconds the next request may take; raises, sending nothing, if none."""
    deadline = context.deadline.get()
    if deadline is None:
        return timeout
    left = deadline - clock.monotonic()
    if left <= 0:
        raise UpstreamTimeoutError(
            "no time was left before the caller's deadline; "
            f"{provider_name(provider)} was not asked",
            provider=provider,
            maybe_received=False,
        )

    return min(timeout, left)


async def bounded(
    exchange: Awaitable[T], seconds: float, provider: str, what: str
) -> T:
    """Await one HTTP exchange within `seconds`, its failures as domain errors.

    httpx bounds each phase of a request; this bounds the whole of it. A
    timeout here may come after the request was sent, so it says so.
    """
    try:
        async with asyncio.timeout(seconds):
            return await exchange
    except httpx.TransportError as exc:
        raise translate_transport_error(exc, provider) from exc
    except TimeoutError as exc:
        raise UpstreamTimeoutError(
            f"{provider_name(provider)} did not answer {what} within "
            f"{seconds:.3g} s; the request may have been received",
            provider=provider,
            maybe_received=True,
        ) from exc
