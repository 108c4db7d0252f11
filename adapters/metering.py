"""An httpx transport that writes one cost-ledger row per upstream attempt."""

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

import httpx

from domain import context
from domain.models import ApiCall
from domain.ports import Clock, CostLedger

logger = logging.getLogger(__name__)

OperationOf = Callable[[httpx.Request], str]
CostOf = Callable[[httpx.Request, httpx.Response | None], tuple[str, int]]


def no_cost(
    _request: httpx.Request, _response: httpx.Response | None
) -> tuple[str, int]:
    return "", 0


class MeteredTransport(httpx.AsyncBaseTransport):
    """Wraps another transport; every request it handles becomes one ApiCall.

    Only the provider, the operation and sku names chosen by the callables,
    the status, timing and request id are stored: never the URL, its query,
    headers or bodies, where keys and tokens live. Latency runs until the
    response headers arrive (the body is read by the client afterwards).
    """

    def __init__(
        self,
        *,
        provider: str,
        ledger: CostLedger,
        clock: Clock,
        operation_of: OperationOf,
        cost_of: CostOf = no_cost,
        inner: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._provider = provider
        self._ledger = ledger
        self._clock = clock
        self._operation_of = operation_of
        self._cost_of = cost_of
        self._inner = inner if inner is not None else httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        at = self._clock.now()
        started = self._clock.monotonic()
        try:
            response = await self._inner.handle_async_request(request)
        except asyncio.CancelledError:
            self._record(request, None, at, started, "cancelled", "CancelledError")
            raise
        except httpx.TimeoutException as exc:
            self._record(request, None, at, started, "timeout", type(exc).__name__)
            raise
        except httpx.ConnectError as exc:
            self._record(
                request, None, at, started, "connect_error", type(exc).__name__
            )
            raise
        except Exception as exc:
            self._record(request, None, at, started, "error", type(exc).__name__)
            raise

        status = response.status_code
        outcome = "ok" if 200 <= status < 400 else f"http_{status}"
        self._record(request, response, at, started, outcome, "")

        return response

    async def aclose(self) -> None:
        await self._inner.aclose()

    def _record(
        self,
        request: httpx.Request,
        response: httpx.Response | None,
        at: datetime,
        started: float,
        outcome: str,
        error_kind: str,
    ) -> None:
        # Metering must never turn a good upstream answer into a failure.
        try:
            latency_ms = (self._clock.monotonic() - started) * 1000.0
            sku, cost_micros = self._price(request, response)
            self._ledger.record(
                ApiCall(
                    at=at,
                    provider=self._provider,
                    operation=self._operation(request),
                    outcome=outcome,
                    latency_ms=latency_ms,
                    cost_micros=cost_micros,
                    http_status=response.status_code if response else None,
                    error_kind=error_kind,
                    request_id=context.request_id.get(),
                    sku=sku,
                )
            )
        except Exception as exc:
            logger.error(
                "metering.record_failed",
                extra={"provider": self._provider, "error": type(exc).__name__},
            )

    def _operation(self, request: httpx.Request) -> str:
        try:
            return self._operation_of(request)
        except Exception as exc:
            logger.warning(
                "metering.operation_unknown",
                extra={"provider": self._provider, "error": type(exc).__name__},
            )
            return "unknown"

    def _price(
        self, request: httpx.Request, response: httpx.Response | None
    ) -> tuple[str, int]:
        try:
            return self._cost_of(request, response)
        except Exception as exc:
            logger.warning(
                "metering.cost_unknown",
                extra={"provider": self._provider, "error": type(exc).__name__},
            )
            return "", 0
