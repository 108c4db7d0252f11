"""The traps of pybreaker on asyncio, shown, and our breaker avoiding each one."""

import asyncio

import pybreaker
import pytest

from adapters.resilience.breaker import (
    CLOSED,
    HALF_OPEN,
    OPEN,
    TRIAL_BUSY_RETRY_AFTER,
    AsyncCircuitBreaker,
)
from domain.errors import CircuitOpenError, PermanentAPIError, TransientAPIError
from tests.fakes import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def breaker(clock: FakeClock) -> AsyncCircuitBreaker:
    return AsyncCircuitBreaker("resy", fail_max=3, reset_timeout=60.0, clock=clock)


async def down() -> None:
    raise TransientAPIError("down", 503)


async def open_then_wait_out(breaker: AsyncCircuitBreaker, clock: FakeClock) -> None:
    for _ in range(breaker.fail_max):
        with pytest.raises(TransientAPIError):
            await breaker.call(down)
    clock.advance(breaker.reset_timeout)


async def settle() -> None:
    # Yield to the loop a few times so every started task reaches its await.
    for _ in range(5):
        await asyncio.sleep(0)


async def test_pybreakers_decorator_on_async_def_counts_nothing() -> None:
    plain = pybreaker.CircuitBreaker(fail_max=1)

    @plain
    async def decorated() -> None:
        raise TransientAPIError("down", 503)

    with pytest.raises(TransientAPIError):
        await decorated()

    assert plain.fail_counter == 0
    assert plain.current_state == CLOSED


async def test_our_breaker_counts_the_awaited_outcome(
    breaker: AsyncCircuitBreaker,
) -> None:
    with pytest.raises(TransientAPIError):
        await breaker.call(down)

    assert breaker.failure_count == 1


def test_pybreaker_counts_an_excluded_error_as_a_success() -> None:
    plain = pybreaker.CircuitBreaker(fail_max=3, exclude=[PermanentAPIError])

    def failing() -> None:
        raise TransientAPIError("down", 503)

    def not_found() -> None:
        raise PermanentAPIError("no such venue", 404)

    with pytest.raises(TransientAPIError):
        plain.call(failing)
    with pytest.raises(PermanentAPIError):
        plain.call(not_found)

    assert plain.fail_counter == 0


async def test_our_breaker_keeps_the_run_across_an_excluded_error(
    breaker: AsyncCircuitBreaker,
) -> None:
    async def not_found() -> None:
        raise PermanentAPIError("no such venue", 404)

    with pytest.raises(TransientAPIError):
        await breaker.call(down)
    with pytest.raises(PermanentAPIError):
        await breaker.call(not_found)

    assert breaker.failure_count == 1


async def test_pybreaker_counts_a_cancellation_as_a_failure() -> None:
    plain = pybreaker.CircuitBreaker(fail_max=1)

    async def guarded() -> None:
        with plain.calling():
            await asyncio.Event().wait()

    task = asyncio.ensure_future(guarded())
    await settle()
    task.cancel()

    with pytest.raises(pybreaker.CircuitBreakerError):
        await task  # the caller's cancellation came back as the breaker's error
    assert plain.current_state == OPEN


async def test_cancelled_calls_count_as_neither_and_stay_cancellations(
    breaker: AsyncCircuitBreaker,
) -> None:
    async def hangs() -> None:
        await asyncio.Event().wait()

    tasks = [asyncio.ensure_future(breaker.call(hangs)) for _ in range(5)]
    await settle()
    for task in tasks:
        task.cancel()

    results = await asyncio.gather(*tasks, return_exceptions=True)

    assert all(isinstance(r, asyncio.CancelledError) for r in results)
    assert breaker.state == CLOSED
    assert breaker.failure_count == 0


async def test_half_open_lets_exactly_one_trial_through_under_concurrency(
    breaker: AsyncCircuitBreaker, clock: FakeClock
) -> None:
    await open_then_wait_out(breaker, clock)
    release = asyncio.Event()
    calls = 0

    async def trial() -> str:
        nonlocal calls
        calls += 1
        await release.wait()
        return "slots"

    tasks = [asyncio.ensure_future(breaker.call(trial)) for _ in range(10)]
    await settle()
    refused = [task for task in tasks if task.done()]

    assert calls == 1
    assert len(refused) == 9
    for task in refused:
        error = task.exception()
        assert isinstance(error, CircuitOpenError)
        assert error.retry_after == TRIAL_BUSY_RETRY_AFTER

    release.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)

    assert results.count("slots") == 1
    assert breaker.state == CLOSED


async def test_a_cancelled_trial_frees_the_slot_and_decides_nothing(
    breaker: AsyncCircuitBreaker, clock: FakeClock
) -> None:
    await open_then_wait_out(breaker, clock)

    async def hangs() -> None:
        await asyncio.Event().wait()

    trial = asyncio.ensure_future(breaker.call(hangs))
    await settle()
    trial.cancel()
    with pytest.raises(asyncio.CancelledError):
        await trial

    assert breaker.state == HALF_OPEN

    async def ok() -> str:
        return "slots"

    assert await breaker.call(ok) == "slots"
    assert breaker.state == CLOSED


async def test_no_lock_is_held_across_the_awaited_call(
    breaker: AsyncCircuitBreaker,
) -> None:
    release = asyncio.Event()
    in_flight = 0
    most_in_flight = 0

    async def slow_but_healthy() -> str:
        nonlocal in_flight, most_in_flight
        in_flight += 1
        most_in_flight = max(most_in_flight, in_flight)
        await release.wait()
        in_flight -= 1
        return "slots"

    tasks = [asyncio.ensure_future(breaker.call(slow_but_healthy)) for _ in range(10)]
    await settle()

    assert in_flight == 10
    release.set()
    assert await asyncio.gather(*tasks) == ["slots"] * 10
    assert most_in_flight == 10


async def test_a_timeout_caused_by_the_callers_own_deadline_is_not_counted():
    from adapters.resilience.breaker import AsyncCircuitBreaker
    from domain import context
    from domain.errors import UpstreamTimeoutError
    from tests.fakes import FakeClock

    clock = FakeClock()
    breaker = AsyncCircuitBreaker("resy", 2, 120, clock)

    async def slow_past_the_deadline() -> None:
        clock.advance(1.0)
        raise UpstreamTimeoutError("no answer within the time left", provider="resy")

    token = context.deadline.set(clock.monotonic() + 1.0)
    try:
        for _ in range(5):
            with pytest.raises(UpstreamTimeoutError):
                await breaker.call(slow_past_the_deadline)
    finally:
        context.deadline.reset(token)

    async def slow_with_time_to_spare() -> None:
        raise UpstreamTimeoutError("no answer in 5 s", provider="resy")

    assert (breaker.state, breaker.failure_count) == ("closed", 0)
    with pytest.raises(UpstreamTimeoutError):
        await breaker.call(slow_with_time_to_spare)
    assert breaker.failure_count == 1
