"""Retrying one logical call: what is retried, what never is, and when to stop."""

import asyncio
from collections.abc import Coroutine
from typing import Any

import pytest
from tenacity import retry_if_exception_type

from adapters.resilience.policy import UpstreamPolicy
from adapters.resilience.retry import retry_call
from domain.errors import (
    AuthError,
    CAPTCHAError,
    PermanentAPIError,
    SchemaChangeError,
    TransientAPIError,
    UpstreamTimeoutError,
)
from tests.fakes import FakeClock
from tests.unit.retry_helpers import Upstream, transient

CATCH_ALL = retry_if_exception_type(BaseException)
POLICY = UpstreamPolicy("resy", jitter="full")


async def call(upstream: Upstream, clock: FakeClock, **kwargs: Any) -> object:
    kwargs.setdefault("policy", POLICY)
    kwargs.setdefault("rand", lambda: 0.0)
    return await retry_call(upstream, clock=clock, **kwargs)


async def test_transient_errors_are_retried_with_the_policy_waits(
    clock: FakeClock,
) -> None:
    upstream = Upstream(transient(), transient(), "slots")

    assert await call(upstream, clock) == "slots"
    assert upstream.calls == 3
    assert clock.slept == [2.0, 2.0]


async def test_the_last_error_is_raised_when_attempts_run_out(clock: FakeClock) -> None:
    error = transient()
    upstream = Upstream(error)

    with pytest.raises(TransientAPIError) as raised:
        await call(upstream, clock)

    assert raised.value is error
    assert upstream.calls == 3


async def test_a_timeout_is_retried(clock: FakeClock) -> None:
    upstream = Upstream(UpstreamTimeoutError("read timeout"), "slots")

    assert await call(upstream, clock) == "slots"
    assert upstream.calls == 2


@pytest.mark.parametrize(
    "error",
    [
        PermanentAPIError("no such venue", 404),
        AuthError("expired", 401),
        SchemaChangeError("no venues key"),
        CAPTCHAError("bot wall"),
        ValueError("a bug"),
    ],
)
async def test_errors_that_are_not_transient_are_not_retried(
    clock: FakeClock, error: Exception
) -> None:
    upstream = Upstream(error)

    with pytest.raises(type(error)):
        await call(upstream, clock)

    assert upstream.calls == 1
    assert clock.slept == []


async def test_each_attempt_awaits_a_fresh_coroutine(clock: FakeClock) -> None:
    made: list[Coroutine[Any, Any, str]] = []

    async def attempt() -> str:
        if len(made) < 3:
            raise transient()
        return "slots"

    def fn() -> Coroutine[Any, Any, str]:
        made.append(attempt())
        return made[-1]

    assert await retry_call(fn, policy=POLICY, clock=clock) == "slots"
    assert len({id(coroutine) for coroutine in made}) == 3


async def test_a_catch_all_predicate_still_retries_ordinary_errors(
    clock: FakeClock,
) -> None:
    upstream = Upstream(ValueError("odd"), "slots")

    assert await call(upstream, clock, retry=CATCH_ALL) == "slots"


async def test_cancellation_is_never_retried_even_with_a_catch_all_predicate(
    clock: FakeClock,
) -> None:
    started = asyncio.Event()
    calls = 0

    async def hangs() -> None:
        nonlocal calls
        calls += 1
        started.set()
        await asyncio.Event().wait()

    task = asyncio.ensure_future(
        retry_call(hangs, policy=POLICY, clock=clock, retry=CATCH_ALL)
    )
    await started.wait()
    task.cancel()

    with pytest.raises(asyncio.CancelledError):
        await task
    assert calls == 1
    assert clock.slept == []


async def test_a_raised_cancellation_propagates_unchanged(clock: FakeClock) -> None:
    cancelled = asyncio.CancelledError()
    upstream = Upstream(cancelled)

    with pytest.raises(asyncio.CancelledError) as raised:
        await call(upstream, clock, retry=CATCH_ALL)

    assert raised.value is cancelled
    assert upstream.calls == 1


async def test_keyboard_interrupt_is_never_retried(clock: FakeClock) -> None:
    upstream = Upstream(KeyboardInterrupt())

    with pytest.raises(KeyboardInterrupt):
        await call(upstream, clock, retry=CATCH_ALL)

    assert upstream.calls == 1


class StuckClock(FakeClock):
    """A fake clock whose sleep never ends, to cancel a caller mid-backoff."""

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        await asyncio.Event().wait()


async def test_cancellation_during_the_backoff_stops_the_retries() -> None:
    clock = StuckClock()
    upstream = Upstream(transient())
    task = asyncio.ensure_future(call(upstream, clock, retry=CATCH_ALL))
    for _ in range(5):
        await asyncio.sleep(0)  # a yield, not a wait: the task reaches its backoff
    assert clock.slept == [2.0]

    task.cancel()

    with pytest.raises(asyncio.CancelledError):
        await task
    assert upstream.calls == 1


async def test_a_write_that_timed_out_after_sending_is_not_resent(
    clock: FakeClock,
) -> None:
    upstream = Upstream(UpstreamTimeoutError("read timeout", maybe_received=True))

    with pytest.raises(UpstreamTimeoutError):
        await call(upstream, clock, idempotent=False)

    assert upstream.calls == 1


async def test_a_write_is_not_resent_even_with_a_catch_all_predicate(
    clock: FakeClock,
) -> None:
    upstream = Upstream(UpstreamTimeoutError("read timeout", maybe_received=True))

    with pytest.raises(UpstreamTimeoutError):
        await call(upstream, clock, idempotent=False, retry=CATCH_ALL)

    assert upstream.calls == 1


@pytest.mark.parametrize(
    "error",
    [
        UpstreamTimeoutError("connect timeout", maybe_received=False),
        TransientAPIError("too many requests", 429),
        TransientAPIError("unavailable", 503),
    ],
)
async def test_a_write_the_upstream_refused_is_retried(
    clock: FakeClock, error: Exception
) -> None:
    upstream = Upstream(error, "booked")

    assert await call(upstream, clock, idempotent=False) == "booked"
    assert upstream.calls == 2


@pytest.mark.parametrize("status", [500, 502, 504, None])
async def test_a_write_that_may_have_been_processed_is_not_retried(
    clock: FakeClock, status: int | None
) -> None:
    upstream = Upstream(TransientAPIError("server trouble", status), "booked")

    with pytest.raises(TransientAPIError):
        await call(upstream, clock, idempotent=False)

    assert upstream.calls == 1
