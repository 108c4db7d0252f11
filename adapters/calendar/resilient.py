"""The CalendarSync port behind the calendar's retry and breaker."""

from adapters.resilience.guard import Resilience
from domain.calendar import CalendarEvent
from domain.ports import CalendarSync


class ResilientCalendarSync:
    """Both retried as idempotent: a repeat meets 409 (then patches) or 410."""

    def __init__(self, inner: CalendarSync, resilience: Resilience) -> None:
        self.provider = inner.provider
        self._inner = inner
        self._resilience = resilience

    async def put(self, event: CalendarEvent, *, existing: bool = False) -> None:
        await self._resilience.call(lambda: self._inner.put(event, existing=existing))

    async def remove(self, event_id: str) -> None:
        await self._resilience.call(lambda: self._inner.remove(event_id))
