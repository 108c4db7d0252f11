"""A circuit breaker for awaited upstream calls, its state in pybreaker storage."""

import enum
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

import pybreaker

from adapters.resilience.errors import DeadlineExceededError
from domain import context
from domain.errors import (
    AuthError,
    CircuitOpenError,
    InvalidRequestError,
    PermanentAPIError,
    UpstreamTimeoutError,
)
from domain.ports import Clock

T = TypeVar("T")

CLOSED = pybreaker.STATE_CLOSED
OPEN = pybreaker.STATE_OPEN
HALF_OPEN = pybreaker.STATE_HALF_OPEN

# What a caller refused during a half-open trial is told to wait.
TRIAL_BUSY_RETRY_AFTER = 1.0
# A timeout this close to the caller's deadline was the deadline's doing.
CALLER_DEADLINE_SLACK = 0.05

_EVENTS = {
    OPEN: "breaker.opened",
    HALF_OPEN: "breaker.half_opened",
    CLOSED: "breaker.closed",
}

logger = logging.getLogger(__name__)

StateListener = Callable[[str, str, str], None]


class Outcome(enum.Enum):
    SUCCESS = "success"
    FAILURE = "failure"
    NEUTRAL = "neutral"


def classify(error: BaseException) -> Outcome:
    """What an error says about the upstream's health.

    Neutral (neither failure nor success, so a run of failures is not reset
    and a half-open trial decides nothing): a cancellation or other
    BaseException, the caller's own mistakes (400, 404, bad input), a
    deadline that passed before any call, and another breaker's refusal.
    An AuthError is a failure: until credentials change every call fails,
    so the breaker stops hammering the upstream (and risking a lockout).
    """
    if not isinstance(error, Exception):
        return Outcome.NEUTRAL
    if isinstance(error, AuthError):
        return Outcome.FAILURE
    neutral = (
        PermanentAPIError,
        InvalidRequestError,
        DeadlineExceededError,
        CircuitOpenError,
    )
    if isinstance(error, neutral):
        return Outcome.NEUTRAL

    return Outcome.FAILURE


@dataclass(frozen=True, slots=True)
class BreakerSnapshot:
    """A breaker's state for operators; times are the clock port's UTC."""

    name: str
    state: str
    failure_count: int
    opened_at: datetime | None
    next_trial_at: datetime | None


class _Relay(pybreaker.CircuitBreakerListener):
    def __init__(self, on_change: Callable[[str, str], None]) -> None:
        self._on_change = on_change

    def state_change(
        self,
        cb: pybreaker.CircuitBreaker,
        old_state: Any,
        new_state: Any,
    ) -> None:
        self._on_change(old_state.name if old_state else "", new_state.name)


class AsyncCircuitBreaker:
    """Fails fast while an upstream is down; one trial call when it may be back.

    pybreaker keeps the state, failure counter and opened_at (in memory, or
    in Redis shared by replicas) and notifies listeners. Admission, outcome
    accounting and timing are done here, from the clock port: pybreaker
    counts nothing on `async def`, lets every concurrent caller through when
    half-open, counts a cancellation as a failure and reads `datetime.now`.
    No lock is needed or held across an await: admission and accounting run
    between awaits on one event loop. The single half-open trial is per
    instance; replicas sharing Redis storage may each send one.
    """

    def __init__(
        self,
        name: str,
        fail_max: int,
        reset_timeout: float,
        clock: Clock,
        storage: pybreaker.CircuitBreakerStorage | None = None,
    ) -> None:
        self.name = name
        self.fail_max = fail_max
        self.reset_timeout = reset_timeout
        self._clock = clock
        self._storage = storage or pybreaker.CircuitMemoryStorage(CLOSED)
        self._listeners: list[StateListener] = []
        self._trial_in_flight = False
        self._core = pybreaker.CircuitBreaker(
            fail_max=fail_max,
            reset_timeout=reset_timeout,
            state_storage=self._storage,
            listeners=[_Relay(self._state_changed)],
            name=name,
        )

    @property
    def state(self) -> str:
        """The stored state; noticing another replica's change notifies listeners."""
        return self._core.state.name

    @property
    def failure_count(self) -> int:
        return self._storage.counter

    def add_listener(self, listener: StateListener) -> None:
        """Call `listener(name, old_state, new_state)` on every state change."""
        self._listeners.append(listener)

    async def call(self, fn: Callable[[], Awaitable[T]]) -> T:
        trial = self._admit()
        try:
            result = await fn()
        except Exception as error:
            self._settle(trial, self._outcome(error))
            raise
        except BaseException:
            self._settle(trial, Outcome.NEUTRAL)
            raise
        self._settle(trial, Outcome.SUCCESS)

        return result

    def _outcome(self, error: Exception) -> Outcome:
        """A timeout that only the caller's own deadline caused says nothing
        about the upstream: it counts as neither success nor failure."""
        outcome = classify(error)
        deadline = context.deadline.get()
        if (
            outcome is Outcome.FAILURE
            and isinstance(error, UpstreamTimeoutError)
            and deadline is not None
            and self._clock.monotonic() >= deadline - CALLER_DEADLINE_SLACK
        ):
            return Outcome.NEUTRAL
        return outcome

    def snapshot(self) -> BreakerSnapshot:
        state = self.state
        opened_at = None if state == CLOSED else self._storage.opened_at
        next_trial_at = (
            None
            if opened_at is None
            else opened_at + timedelta(seconds=self.reset_timeout)
        )

        return BreakerSnapshot(
            self.name, state, self.failure_count, opened_at, next_trial_at
        )

    def seconds_to_trial(self) -> float:
        """Seconds until an open breaker lets a trial through (0 when due)."""
        opened_at = self._storage.opened_at
        if opened_at is None:
            return 0.0
        due = opened_at + timedelta(seconds=self.reset_timeout)

        return max(0.0, (due - self._clock.now()).total_seconds())

    def _admit(self) -> bool:
        """Let a call through or raise; True when the call is the trial."""
        state = self.state
        if state == CLOSED:
            return False
        if state == OPEN:
            wait = self.seconds_to_trial()
            if wait > 0:
                raise CircuitOpenError(
                    f"the {self.name} circuit is open; next trial in {wait:.0f} s",
                    provider=self.name,
                    retry_after=wait,
                )
            self._move(HALF_OPEN)
        if self._trial_in_flight:
            raise CircuitOpenError(
                f"a trial call to {self.name} is in flight",
                provider=self.name,
                retry_after=TRIAL_BUSY_RETRY_AFTER,
            )
        self._trial_in_flight = True

        return True

    def _settle(self, trial: bool, outcome: Outcome) -> None:
        if trial:
            self._trial_in_flight = False
            if outcome is Outcome.SUCCESS:
                self._move(CLOSED)
            elif outcome is Outcome.FAILURE:
                self._storage.increment_counter()
                self._move(OPEN)
            return
        # A call admitted while closed that ends after the breaker opened
        # says nothing new: only the trial decides.
        if outcome is Outcome.NEUTRAL or self.state != CLOSED:
            return
        if outcome is Outcome.SUCCESS:
            if self._storage.counter:
                self._storage.reset_counter()
            return
        self._storage.increment_counter()
        if self._storage.counter >= self.fail_max:
            self._move(OPEN)

    def _move(self, new_state: str) -> None:
        if new_state == OPEN:
            # Our clock, not pybreaker's datetime.now; Redis keeps whole seconds.
            self._storage.opened_at = self._clock.now()
        self._storage.state = new_state
        self._core.state = new_state  # the setter takes a name and notifies

    def _state_changed(self, old_state: str, new_state: str) -> None:
        level = logging.WARNING if new_state == OPEN else logging.INFO
        logger.log(
            level,
            _EVENTS.get(new_state, "breaker.changed"),
            extra={
                "breaker": self.name,
                "old_state": old_state,
                "new_state": new_state,
                "failure_count": self._storage.counter,
            },
        )
        for listener in list(self._listeners):
            try:
                listener(self.name, old_state, new_state)
            except Exception:
                logger.exception(
                    "breaker.listener_failed", extra={"breaker": self.name}
                )
