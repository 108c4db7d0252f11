"""Identical concurrent loads become one: a shared task per key while it runs."""

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, Generic, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")


class SingleFlight(Generic[T]):
    """At most one task per key in flight; callers who ask meanwhile share it.

    A finished task leaves at once, success or failure, so its outcome is
    handed only to those who were waiting on it. Each waiter awaits it
    through `asyncio.shield`: a waiter's cancellation cancels its own wait,
    never the shared task, which runs to its end even if nobody is left.
    """

    def __init__(self) -> None:
        self._tasks: dict[str, asyncio.Task[T]] = {}

    def __len__(self) -> int:
        return len(self._tasks)

    def join(
        self, key: str, start: Callable[[], Coroutine[Any, Any, T]]
    ) -> tuple["asyncio.Task[T]", bool]:
        """The task in flight for `key` (True: joined) or a new one from `start`."""
        task = self._tasks.get(key)
        # A task that is done but whose callback has not yet run is history.
        if task is not None and not task.done():
            return task, True
        task = asyncio.get_running_loop().create_task(start(), name=f"load:{key}")
        self._tasks[key] = task
        task.add_done_callback(lambda done: self._land(key, done))

        return task, False

    def _land(self, key: str, task: "asyncio.Task[T]") -> None:
        if self._tasks.get(key) is task:
            del self._tasks[key]
        if not task.cancelled():
            # Retrieved here so a load nobody awaits any more is not reported
            # as "exception never retrieved"; the loader logs its own failure.
            task.exception()
