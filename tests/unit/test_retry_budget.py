"""The retry budget: retries add a bounded share of traffic per window."""

from adapters.resilience.budget import RetryBudget, retry_allowed
from tests.fakes import FakeClock


def test_retries_are_allowed_up_to_the_ratio_plus_the_minimum() -> None:
    assert retry_allowed(requests=100, retries=22, ratio=0.2, minimum=3)
    assert not retry_allowed(requests=100, retries=23, ratio=0.2, minimum=3)


def test_a_quiet_upstream_still_gets_its_minimum_of_retries() -> None:
    budget = RetryBudget(0.2, 60.0, FakeClock(), min_retries=3)
    budget.record_request()

    allowed = 0
    while budget.can_retry() and allowed < 10:
        budget.record_retry()
        allowed += 1

    assert allowed == 3


def test_with_no_minimum_retries_track_the_ratio_of_requests() -> None:
    budget = RetryBudget(0.2, 60.0, FakeClock(), min_retries=0)
    for _ in range(10):
        budget.record_request()

    budget.record_retry()
    budget.record_retry()

    assert not budget.can_retry()
    assert budget.counts() == (10, 2)


def test_old_traffic_leaves_the_window() -> None:
    clock = FakeClock()
    budget = RetryBudget(0.2, 60.0, clock, min_retries=0)
    for _ in range(10):
        budget.record_request()
    budget.record_retry()
    budget.record_retry()

    clock.advance(61.0)

    assert budget.counts() == (0, 0)
    assert not budget.can_retry()


def test_the_window_slides_rather_than_resetting_at_once() -> None:
    clock = FakeClock()
    budget = RetryBudget(0.2, 60.0, clock, min_retries=0)
    budget.record_request()
    clock.advance(30.0)
    budget.record_request()

    clock.advance(33.0)

    assert budget.counts() == (1, 0)
