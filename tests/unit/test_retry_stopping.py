"""When retrying stops: Retry-After, the deadline, attempt timeouts, the budget."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from adapters.resilience import retry as retry_module
from adapters.resilience.budget import RetryBudget
from adapters.resilience.errors import DeadlineExceededError
from adapters.resilience.policy import UpstreamPolicy
from adapters.resilience.retry import retry_call, with_timeout
from domain import context
from domain.errors import (
    TransientAPIError,
    UpstreamTimeoutError,
)
from tests.fakes import FakeClock
from tests.unit.retry_helpers import Upstream, transient

POLICY = UpstreamPolicy("resy", jitter="full")


def deadline_in(clock: FakeClock, seconds: float) -> None:
    # Each test runs in its own task, on a copy of the context: nothing leaks.
    context.deadline.set(clock.monotonic() + seconds)


async def call(upstream: Upstream, clock: FakeClock, **kwargs: Any) -> object:
    kwargs.setdefault("policy", POLICY)
    kwargs.setdefault("rand", lambda: 0.0)
    return await retry_call(upstream, clock=clock, **kwargs)


async def test_retry_after_is_waited_instead_of_the_backoff(clock: FakeClock) -> None:
    upstream = Upstream(transient(429, retry_after=7.0), "slots")

    assert await call(upstream, clock) == "slots"
    assert clock.slept == [7.0]


async def test_a_retry_after_longer_than_the_deadline_stops_at_once(
    clock: FakeClock,
) -> None:
    deadline_in(clock, 5.0)
    error = transient(429, retry_after=10.0)
    upstream = Upstream(error, "slots")

    with pytest.raises(TransientAPIError) as raised:
        await call(upstream, clock)

    assert raised.value is error
    assert upstream.calls == 1
    assert clock.slept == []


async def test_a_retry_after_longer_than_max_wait_ends_the_retries(
    clock: FakeClock,
) -> None:
    upstream = Upstream(transient(429, retry_after=3600.0), "slots")

    with pytest.raises(TransientAPIError):
        await call(upstream, clock)

    assert upstream.calls == 1
    assert clock.slept == []


async def test_no_backoff_sleeps_past_the_deadline(clock: FakeClock) -> None:
    deadline_in(clock, 3.0)
    upstream = Upstream(transient())

    with pytest.raises(TransientAPIError):
        await call(upstream, clock)

    assert upstream.calls == 2
    assert clock.slept == [2.0]


async def test_a_deadline_already_passed_asks_nothing(clock: FakeClock) -> None:
    deadline_in(clock, 0.0)
    upstream = Upstream("slots")

    with pytest.raises(DeadlineExceededError) as raised:
        await call(upstream, clock)

    assert isinstance(raised.value, UpstreamTimeoutError)
    assert raised.value.maybe_received is False
    assert upstream.calls == 0


async def test_each_attempt_is_bounded_by_the_remaining_deadline(
    clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    limits: list[float | None] = []

    async def recording(
        fn: Callable[[], Awaitable[object]], seconds: float | None, provider: str
    ) -> object:
        limits.append(seconds)
        return await fn()

    monkeypatch.setattr(retry_module, "with_timeout", recording)
    deadline_in(clock, 5.0)
    upstream = Upstream(transient(), "slots")

    await call(upstream, clock, policy=UpstreamPolicy("resy", attempt_timeout=4.0))

    assert limits == [4.0, 3.0]


async def test_an_attempt_that_runs_out_of_time_is_an_upstream_timeout() -> None:
    async def hangs() -> None:
        await asyncio.Event().wait()

    with pytest.raises(UpstreamTimeoutError) as raised:
        await with_timeout(hangs, 0.0, "resy")

    assert raised.value.provider == "resy"
    assert raised.value.maybe_received is True


async def test_a_timeout_error_of_the_call_itself_passes_through() -> None:
    async def fails() -> None:
        raise TimeoutError("its own")

    with pytest.raises(TimeoutError, match="its own"):
        await with_timeout(fails, 60.0, "resy")


async def test_each_retry_is_logged_before_its_sleep(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="adapters.resilience.retry")
    upstream = Upstream(transient(503), "slots")

    await call(upstream, clock, rand=lambda: 0.5)

    [record] = [r for r in caplog.records if r.msg == "retry.scheduled"]
    assert record.provider == "resy"
    assert record.attempt == 1
    assert record.wait_s == 3.0
    assert record.cause == "TransientAPIError"
    assert record.status_code == 503
    assert record.getMessage() == "retry.scheduled"


async def test_giving_up_early_is_logged_with_the_reason(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="adapters.resilience.retry")
    deadline_in(clock, 1.0)

    with pytest.raises(TransientAPIError):
        await call(Upstream(transient()), clock)

    [record] = [r for r in caplog.records if r.msg == "retry.gave_up"]
    assert record.reason == "deadline"


async def test_the_budget_caps_retries_during_an_outage(clock: FakeClock) -> None:
    policy = UpstreamPolicy("resy", min_wait=0.01, max_wait=0.01)
    budget = RetryBudget(0.2, 60.0, clock, min_retries=3)
    upstream = Upstream(transient())

    for _ in range(100):
        with pytest.raises(TransientAPIError):
            await call(upstream, clock, policy=policy, budget=budget)

    assert upstream.calls <= 1.2 * 100 + 3
    assert budget.counts() == (100, upstream.calls - 100)


async def test_without_a_budget_an_outage_triples_the_traffic(clock: FakeClock) -> None:
    policy = UpstreamPolicy("resy", min_wait=0.01, max_wait=0.01)
    upstream = Upstream(transient())

    for _ in range(100):
        with pytest.raises(TransientAPIError):
            await call(upstream, clock, policy=policy)

    assert upstream.calls == 300
