"""Retry inside breaker: one logical call counts once; the port stays the same."""

from datetime import UTC, date, datetime

import pytest

from adapters.resilience.availability import ResilientAvailability
from adapters.resilience.breaker import CLOSED, OPEN, AsyncCircuitBreaker
from adapters.resilience.budget import RetryBudget
from adapters.resilience.guard import Resilience
from adapters.resilience.policy import UpstreamPolicy
from domain.errors import (
    CircuitOpenError,
    PermanentAPIError,
    TransientAPIError,
    UpstreamTimeoutError,
)
from domain.models import AvailabilityQuery, Platform, RestaurantRef, Slot
from domain.ports import Availability
from tests.fakes import FakeAvailability, FakeClock

BISTRO = RestaurantRef("Sandbox Bistro", "America/New_York", resy_venue_id="1001")
QUERY = AvailabilityQuery(BISTRO, date(2027, 1, 15), 2)
SLOT = Slot(
    datetime(2027, 1, 16, 0, 0, tzinfo=UTC), None, "Dining Room", Platform.RESY, "t1"
)


def down() -> TransientAPIError:
    return TransientAPIError("down", 503, provider="resy")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def resilience(clock: FakeClock) -> Resilience:
    policy = UpstreamPolicy("resy", fail_max=2, reset_timeout=120.0)
    breaker = AsyncCircuitBreaker("resy", 2, 120.0, clock)
    budget = RetryBudget(0.2, 60.0, clock)

    return Resilience(policy, clock, breaker, budget, rand=lambda: 0.0)


@pytest.fixture
def fake() -> FakeAvailability:
    return FakeAvailability("resy")


@pytest.fixture
def resy(fake: FakeAvailability, resilience: Resilience) -> Availability:
    return ResilientAvailability(fake, resilience)


async def test_a_call_that_failed_after_all_retries_counts_once(
    resy: Availability, fake: FakeAvailability, resilience: Resilience
) -> None:
    fake.default = down()

    with pytest.raises(TransientAPIError):
        await resy.find_slots(QUERY)

    assert len(fake.calls) == 3
    assert resilience.breaker.failure_count == 1
    assert resilience.breaker.state == CLOSED


async def test_fail_max_counts_failed_requests_not_attempts(
    resy: Availability, fake: FakeAvailability, resilience: Resilience
) -> None:
    fake.default = down()

    for _ in range(2):
        with pytest.raises(TransientAPIError):
            await resy.find_slots(QUERY)

    assert len(fake.calls) == 5  # 3 attempts, then 2 as the retry budget allows
    assert resilience.breaker.state == OPEN


async def test_a_call_that_succeeded_on_a_retry_is_a_success(
    resy: Availability, fake: FakeAvailability, resilience: Resilience
) -> None:
    fake.default = down()
    with pytest.raises(TransientAPIError):
        await resy.find_slots(QUERY)
    fake.script = [down(), [SLOT]]

    assert await resy.find_slots(QUERY) == [SLOT]
    assert resilience.breaker.failure_count == 0


async def test_an_open_breaker_is_not_retried_and_asks_nothing(
    resy: Availability, fake: FakeAvailability, clock: FakeClock
) -> None:
    fake.default = down()
    for _ in range(2):
        with pytest.raises(TransientAPIError):
            await resy.find_slots(QUERY)
    asked, slept = len(fake.calls), len(clock.slept)

    with pytest.raises(CircuitOpenError) as raised:
        await resy.find_slots(QUERY)

    assert (len(fake.calls), len(clock.slept)) == (asked, slept)
    assert raised.value.retry_after == pytest.approx(120.0)


async def test_a_caller_error_is_neither_retried_nor_counted(
    resy: Availability, fake: FakeAvailability, resilience: Resilience
) -> None:
    fake.default = PermanentAPIError("no such venue", 404, provider="resy")

    with pytest.raises(PermanentAPIError):
        await resy.find_slots(QUERY)

    assert len(fake.calls) == 1
    assert resilience.breaker.failure_count == 0


async def test_a_booking_write_that_may_have_arrived_is_sent_once(
    resilience: Resilience,
) -> None:
    posts = 0

    async def book() -> str:
        nonlocal posts
        posts += 1
        raise UpstreamTimeoutError("read timeout", provider="resy")

    with pytest.raises(UpstreamTimeoutError):
        await resilience.call(book, idempotent=False)

    assert posts == 1
    assert resilience.breaker.failure_count == 1


async def test_the_wrapper_keeps_the_port(
    resy: Availability, fake: FakeAvailability
) -> None:
    fake.default = [SLOT]

    assert resy.provider == "resy"
    assert resy.serves(BISTRO)
    assert not resy.serves(RestaurantRef("Elsewhere", "UTC", opentable_slug="x"))
    assert await resy.find_slots(QUERY) == [SLOT]
    assert fake.calls == [QUERY]
