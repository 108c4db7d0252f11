"""Retrying one logical upstream call with tenacity, driven by the clock port."""

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type
from tenacity.retry import retry_base

from adapters.resilience.budget import RetryBudget
from adapters.resilience.errors import DeadlineExceededError
from adapters.resilience.policy import (
    UpstreamPolicy,
    attempt_timeout,
    next_wait,
    proved_not_received,
    wait_fits,
)
from domain import context
from domain.errors import TransientAPIError, UpstreamTimeoutError
from domain.ports import Clock

T = TypeVar("T")

logger = logging.getLogger(__name__)

RETRY_TRANSIENT = retry_if_exception_type(TransientAPIError)


def _error(state: RetryCallState) -> BaseException | None:
    outcome = state.outcome
    if outcome is None or not outcome.failed:
        return None

    return outcome.exception()


def may_retry(error: BaseException, idempotent: bool) -> bool:
    """False for what no predicate may retry; True leaves it to the predicate."""
    if not isinstance(error, Exception) or isinstance(error, DeadlineExceededError):
        return False

    return idempotent or proved_not_received(error)


class _Retryable(retry_base):
    """The caller's predicate, fenced by what must never be retried.

    A cancellation (or any BaseException that is not an Exception), an
    expired deadline, and a write the upstream may have received are never
    retried, whatever the predicate says.
    """

    def __init__(self, predicate: retry_base, idempotent: bool) -> None:
        self._predicate = predicate
        self._idempotent = idempotent

    def __call__(self, retry_state: RetryCallState) -> bool:
        error = _error(retry_state)
        if error is not None and not may_retry(error, self._idempotent):
            return False

        return bool(self._predicate(retry_state))


class _Stop:
    """Stop at max attempts, at the deadline, at a long Retry-After or budget."""

    def __init__(
        self,
        policy: UpstreamPolicy,
        clock: Clock,
        budget: RetryBudget | None,
        deadline: float | None,
    ) -> None:
        self._policy = policy
        self._clock = clock
        self._budget = budget
        self._deadline = deadline

    def reason(self, state: RetryCallState) -> str:
        wait = state.upcoming_sleep
        if state.attempt_number >= self._policy.max_attempts:
            return "attempts"
        if wait > self._policy.max_wait:
            return "retry_after"
        if not wait_fits(wait, self._policy, self._clock.monotonic(), self._deadline):
            return "deadline"
        if self._budget is not None and not self._budget.can_retry():
            return "budget"

        return ""

    def __call__(self, state: RetryCallState) -> bool:
        reason = self.reason(state)
        if reason:
            error = _error(state)
            logger.warning(
                "retry.gave_up",
                extra={
                    "provider": self._policy.name,
                    "attempt": state.attempt_number,
                    "reason": reason,
                    "wait_s": round(state.upcoming_sleep, 3),
                    "cause": type(error).__name__,
                },
            )

        return bool(reason)


async def with_timeout(
    fn: Callable[[], Awaitable[T]], seconds: float | None, provider: str
) -> T:
    """Await `fn()` for at most `seconds` (None: no limit).

    Running out raises UpstreamTimeoutError with `maybe_received` true: the
    request may have been sent. A TimeoutError of `fn`'s own passes through.
    """
    if seconds is None:
        return await fn()
    scope = asyncio.timeout(seconds)
    try:
        async with scope:
            return await fn()
    except TimeoutError as exc:
        if not scope.expired():
            raise
        raise UpstreamTimeoutError(
            f"no answer within {seconds:.3g} s", provider=provider
        ) from exc


async def retry_call(
    fn: Callable[[], Awaitable[T]],
    *,
    policy: UpstreamPolicy,
    clock: Clock,
    budget: RetryBudget | None = None,
    idempotent: bool = True,
    retry: retry_base = RETRY_TRANSIENT,
    rand: Callable[[], float] = random.random,
) -> T:
    """Run one logical call: `fn()` is called afresh for every attempt.

    Each attempt is bounded by the policy's attempt timeout and the caller's
    remaining deadline (`domain.context.deadline`); a wait that would end
    past the deadline stops the retries and the last error is raised.
    `retry` replaces the predicate (default: TransientAPIError, timeouts
    included); cancellation, an expired deadline and a write not proved
    unreceived stay unretried whatever it says.
    """
    deadline = context.deadline.get()
    if deadline is not None and deadline <= clock.monotonic():
        raise DeadlineExceededError(policy.name)
    if budget is not None:
        budget.record_request()

    async def attempt() -> T:
        seconds = attempt_timeout(policy, clock.monotonic(), deadline)
        return await with_timeout(fn, seconds, policy.name)

    def wait(state: RetryCallState) -> float:
        return next_wait(state.attempt_number, _error(state), policy, rand())

    def before_sleep(state: RetryCallState) -> None:
        error = _error(state)
        logger.warning(
            "retry.scheduled",
            extra={
                "provider": policy.name,
                "attempt": state.attempt_number,
                "wait_s": round(state.upcoming_sleep, 3),
                "cause": type(error).__name__,
                "status_code": getattr(error, "status_code", None),
            },
        )
        if budget is not None:
            budget.record_retry()

    retrying = AsyncRetrying(
        sleep=clock.sleep,
        stop=_Stop(policy, clock, budget, deadline),
        wait=wait,
        retry=_Retryable(retry, idempotent),
        before_sleep=before_sleep,
        reraise=True,
    )

    return await retrying(attempt)
