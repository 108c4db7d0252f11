"""One cost-ledger row per browser run, whatever the run's outcome."""

import asyncio
import logging
from types import TracebackType

from adapters.opentable.steps import PROVIDER
from domain import context
from domain.errors import (
    APIError,
    CAPTCHAError,
    SchemaChangeError,
    UpstreamTimeoutError,
)
from domain.models import ApiCall
from domain.ports import Clock, CostLedger

logger = logging.getLogger(__name__)


def outcome_of(exc: BaseException | None) -> str:
    """The ledger's outcome word for how a run ended."""
    if exc is None:
        return "ok"
    if isinstance(exc, asyncio.CancelledError):
        return "cancelled"
    if isinstance(exc, CAPTCHAError):
        return "captcha"
    if isinstance(exc, SchemaChangeError):
        return "schema_change"
    if isinstance(exc, UpstreamTimeoutError):
        return "timeout"
    if isinstance(exc, APIError) and exc.status_code is not None:
        return f"http_{exc.status_code}"

    return "error"


class BrowserRun:
    """Times a run from entry to exit and records it; the browser costs nothing.

    Set `http_status` to the status of the last page the run loaded. As with
    the metered HTTP transport, no URL, guest detail or token is stored.
    """

    def __init__(self, ledger: CostLedger, clock: Clock, operation: str) -> None:
        self._ledger = ledger
        self._clock = clock
        self._operation = operation
        self.http_status: int | None = None

    def __enter__(self) -> "BrowserRun":
        self._at = self._clock.now()
        self._started = self._clock.monotonic()

        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Metering must never turn an answer, or an error, into another one.
        try:
            self._ledger.record(
                ApiCall(
                    at=self._at,
                    provider=PROVIDER,
                    operation=self._operation,
                    outcome=outcome_of(exc),
                    latency_ms=(self._clock.monotonic() - self._started) * 1000.0,
                    cost_micros=0,
                    http_status=self.http_status,
                    error_kind="" if exc is None else type(exc).__name__,
                    request_id=context.request_id.get(),
                )
            )
        except Exception as failure:
            logger.error(
                "metering.record_failed",
                extra={"provider": PROVIDER, "error": type(failure).__name__},
            )
