"""A short in-memory history of circuit-breaker state changes, for the dashboard."""

from collections import deque
from dataclasses import dataclass
from datetime import datetime

from adapters.resilience.registry import BreakerRegistry
from domain.ports import Clock

HISTORY_LIMIT = 500


@dataclass(frozen=True, slots=True)
class BreakerChange:
    at: datetime
    name: str
    old: str
    new: str


class BreakerHistory:
    """The last `limit` state changes of every breaker, oldest first."""

    def __init__(self, clock: Clock, limit: int = HISTORY_LIMIT) -> None:
        self._clock = clock
        self._changes: deque[BreakerChange] = deque(maxlen=limit)
        self._watched: set[int] = set()
        self.started_at = clock.now()

    def watch(self, registry: BreakerRegistry) -> None:
        """Listen to every breaker of `registry` (once, however often asked)."""
        if id(registry) in self._watched:
            return
        self._watched.add(id(registry))
        registry.add_listener(self.changed)

    def changed(self, name: str, old: str, new: str) -> None:
        self._changes.append(BreakerChange(self._clock.now(), name, old, new))

    def changes(self) -> list[BreakerChange]:
        return list(self._changes)
