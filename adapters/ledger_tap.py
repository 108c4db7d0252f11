"""A CostLedger decorator that shows each row to observers as it is recorded."""

import logging
from collections.abc import Callable, Iterable
from typing import Any

from domain.models import ApiCall
from domain.ports import CostLedger

logger = logging.getLogger(__name__)

Observer = Callable[[ApiCall], None]


class TappedLedger:
    """Records each row in `inner`, then hands it to every observer."""

    # Observers (budgets, metrics) run on the caller's thread and must be
    # cheap; one that raises is logged and skipped, so `record` never raises.
    # `start`, `close` and anything else (counters, `rows()`) are the inner
    # ledger's, so the runtime and tools treat this as the ledger it wraps.

    def __init__(self, inner: CostLedger, observers: Iterable[Observer] = ()) -> None:
        self.inner = inner
        self._observers = tuple(observers)

    def record(self, call: ApiCall) -> None:
        self.inner.record(call)
        for observe in self._observers:
            try:
                observe(call)
            except Exception as exc:  # an observer's bug must not fail the RPC
                logger.error(
                    "ledger.observer_failed",
                    extra={
                        "observer": getattr(observe, "__qualname__", repr(observe)),
                        "error": type(exc).__name__,
                    },
                )

    async def flush(self) -> None:
        await self.inner.flush()

    async def start(self) -> None:
        start = getattr(self.inner, "start", None)
        if start is not None:
            await start()

    async def close(self) -> None:
        close = getattr(self.inner, "close", None)
        if close is not None:
            await close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class NullLedger:
    """A CostLedger that keeps nothing: for readers and a benchmark's "off"."""

    def record(self, call: ApiCall) -> None:
        return None

    async def flush(self) -> None:
        return None
