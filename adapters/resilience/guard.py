"""One upstream's retry, budget and breaker composed around a call."""

import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tenacity.retry import retry_base

from adapters.resilience.breaker import AsyncCircuitBreaker
from adapters.resilience.budget import RetryBudget
from adapters.resilience.policy import UpstreamPolicy
from adapters.resilience.retry import RETRY_TRANSIENT, retry_call
from domain.ports import Clock

T = TypeVar("T")


class Resilience:
    """Breaker outside, retries inside.

    The breaker sees one logical call: a call that failed after all its
    retries counts once, and a call that succeeded on a retry counts as a
    success. So `fail_max` counts failed requests, not failed attempts, and
    a half-open trial is one logical call, retries included.
    """

    def __init__(
        self,
        policy: UpstreamPolicy,
        clock: Clock,
        breaker: AsyncCircuitBreaker,
        budget: RetryBudget | None = None,
        *,
        retry: retry_base = RETRY_TRANSIENT,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.policy = policy
        self.breaker = breaker
        self.budget = budget
        self._clock = clock
        self._retry = retry
        self._rand = rand

    @property
    def provider(self) -> str:
        return self.policy.name

    async def call(
        self, fn: Callable[[], Awaitable[T]], *, idempotent: bool = True
    ) -> T:
        """Call `fn()` (a fresh coroutine each attempt) under retry and breaker.

        `idempotent=False` marks a write: it is re-sent only when the error
        proves the upstream did not receive it.
        """

        def retried() -> Awaitable[T]:
            return retry_call(
                fn,
                policy=self.policy,
                clock=self._clock,
                budget=self.budget,
                idempotent=idempotent,
                retry=self._retry,
                rand=self._rand,
            )

        return await self.breaker.call(retried)
