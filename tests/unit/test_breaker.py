"""The circuit breaker's states, what it counts, and what it tells observers."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest

from adapters.resilience.breaker import (
    CLOSED,
    HALF_OPEN,
    OPEN,
    AsyncCircuitBreaker,
    Outcome,
    classify,
)
from adapters.resilience.errors import DeadlineExceededError
from domain.errors import (
    AuthError,
    CAPTCHAError,
    CircuitOpenError,
    InvalidRequestError,
    PermanentAPIError,
    SchemaChangeError,
    TransientAPIError,
    UpstreamTimeoutError,
)
from tests.fakes import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def breaker(clock: FakeClock) -> AsyncCircuitBreaker:
    return AsyncCircuitBreaker("resy", fail_max=3, reset_timeout=120.0, clock=clock)


async def ok() -> str:
    return "slots"


def raising(error: BaseException) -> Callable[[], Awaitable[None]]:
    async def fn() -> None:
        raise error

    return fn


async def fail(
    breaker: AsyncCircuitBreaker, error: BaseException | None = None
) -> None:
    with pytest.raises(type(error) if error else TransientAPIError):
        await breaker.call(raising(error or TransientAPIError("down", 503)))


async def trip(breaker: AsyncCircuitBreaker) -> None:
    for _ in range(breaker.fail_max):
        await fail(breaker)


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (TransientAPIError("server error", 500), Outcome.FAILURE),
        (UpstreamTimeoutError("read timeout"), Outcome.FAILURE),
        (SchemaChangeError("no venues"), Outcome.FAILURE),
        (CAPTCHAError("bot wall"), Outcome.FAILURE),
        (ValueError("a bug in the adapter"), Outcome.FAILURE),
        (AuthError("unauthorized", 401), Outcome.FAILURE),
        (AuthError("forbidden", 403), Outcome.FAILURE),
        (AuthError("resy session expired", 419), Outcome.FAILURE),
        (PermanentAPIError("bad request", 400), Outcome.NEUTRAL),
        (PermanentAPIError("no such venue", 404), Outcome.NEUTRAL),
        (InvalidRequestError([]), Outcome.NEUTRAL),
        (DeadlineExceededError("resy"), Outcome.NEUTRAL),
        (CircuitOpenError("another breaker", provider="x"), Outcome.NEUTRAL),
        (asyncio.CancelledError(), Outcome.NEUTRAL),
        (KeyboardInterrupt(), Outcome.NEUTRAL),
    ],
)
def test_what_an_error_says_about_the_upstream(
    error: BaseException, outcome: Outcome
) -> None:
    assert classify(error) is outcome


async def test_consecutive_failures_open_the_breaker(
    breaker: AsyncCircuitBreaker,
) -> None:
    await fail(breaker)
    await fail(breaker)
    assert breaker.state == CLOSED

    await fail(breaker)

    assert breaker.state == OPEN


async def test_a_success_resets_the_run_of_failures(
    breaker: AsyncCircuitBreaker,
) -> None:
    await fail(breaker)
    await fail(breaker)

    assert await breaker.call(ok) == "slots"

    assert breaker.failure_count == 0
    await fail(breaker)
    assert breaker.state == CLOSED


async def test_an_open_breaker_fails_fast_without_calling(
    breaker: AsyncCircuitBreaker, clock: FakeClock
) -> None:
    await trip(breaker)
    clock.advance(20.0)
    called = False

    async def upstream() -> None:
        nonlocal called
        called = True

    with pytest.raises(CircuitOpenError) as raised:
        await breaker.call(upstream)

    assert not called
    assert raised.value.provider == "resy"
    assert raised.value.retry_after == pytest.approx(100.0)


async def test_after_the_reset_timeout_a_trial_success_closes(
    breaker: AsyncCircuitBreaker, clock: FakeClock
) -> None:
    await trip(breaker)
    clock.advance(120.0)

    assert await breaker.call(ok) == "slots"

    assert breaker.state == CLOSED
    assert breaker.failure_count == 0


async def test_a_failed_trial_reopens_from_the_clock_time_of_the_trial(
    breaker: AsyncCircuitBreaker, clock: FakeClock
) -> None:
    await trip(breaker)
    clock.advance(130.0)

    await fail(breaker)

    assert breaker.state == OPEN
    assert breaker.snapshot().opened_at == clock.now()
    assert breaker.seconds_to_trial() == pytest.approx(120.0)


@pytest.mark.parametrize("status", [401, 403, 419])
async def test_auth_errors_open_the_breaker(
    breaker: AsyncCircuitBreaker, status: int
) -> None:
    for _ in range(3):
        await fail(breaker, AuthError("credentials refused", status))

    assert breaker.state == OPEN


@pytest.mark.parametrize("status", [400, 404])
async def test_caller_errors_neither_count_nor_reset_the_run(
    breaker: AsyncCircuitBreaker, status: int
) -> None:
    await fail(breaker)
    await fail(breaker)

    for _ in range(5):
        await fail(breaker, PermanentAPIError("the caller's mistake", status))

    assert breaker.failure_count == 2
    await fail(breaker)
    assert breaker.state == OPEN


async def test_a_caller_error_in_half_open_decides_nothing(
    breaker: AsyncCircuitBreaker, clock: FakeClock
) -> None:
    await trip(breaker)
    clock.advance(120.0)

    await fail(breaker, PermanentAPIError("no such venue", 404))

    assert breaker.state == HALF_OPEN
    assert await breaker.call(ok) == "slots"  # the next call is the trial
    assert breaker.state == CLOSED


async def test_the_snapshot_describes_each_state(
    breaker: AsyncCircuitBreaker, clock: FakeClock
) -> None:
    assert breaker.snapshot().state == CLOSED
    assert breaker.snapshot().opened_at is None
    opened = clock.now()

    await trip(breaker)
    snapshot = breaker.snapshot()

    assert snapshot.name == "resy"
    assert snapshot.state == OPEN
    assert snapshot.failure_count == 3
    assert snapshot.opened_at == opened
    assert snapshot.next_trial_at == opened + timedelta(seconds=120)


async def test_listeners_hear_every_state_change(
    breaker: AsyncCircuitBreaker, clock: FakeClock
) -> None:
    changes: list[tuple[str, str, str]] = []
    breaker.add_listener(lambda *change: changes.append(change))

    await trip(breaker)
    clock.advance(120.0)
    await breaker.call(ok)

    assert changes == [
        ("resy", CLOSED, OPEN),
        ("resy", OPEN, HALF_OPEN),
        ("resy", HALF_OPEN, CLOSED),
    ]


async def test_each_state_change_is_logged_with_a_constant_event(
    breaker: AsyncCircuitBreaker, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="adapters.resilience.breaker")

    await trip(breaker)
    clock.advance(120.0)
    await breaker.call(ok)

    events = [(r.msg, r.breaker, r.old_state, r.new_state) for r in caplog.records]
    assert events == [
        ("breaker.opened", "resy", CLOSED, OPEN),
        ("breaker.half_opened", "resy", OPEN, HALF_OPEN),
        ("breaker.closed", "resy", HALF_OPEN, CLOSED),
    ]


async def test_a_failing_listener_does_not_break_the_call(
    breaker: AsyncCircuitBreaker,
) -> None:
    heard: list[str] = []

    def broken(name: str, old: str, new: str) -> None:
        raise RuntimeError("listener bug")

    breaker.add_listener(broken)
    breaker.add_listener(lambda name, old, new: heard.append(new))

    await trip(breaker)

    assert heard == [OPEN]
    assert breaker.state == OPEN
