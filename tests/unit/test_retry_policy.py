"""The pure retry policies: backoff with jitter, Retry-After, deadlines."""

import math

import pytest

from adapters.resilience.policy import (
    DEFAULT_POLICIES,
    Jitter,
    UpstreamPolicy,
    attempt_timeout,
    backoff_wait,
    next_wait,
    proved_not_received,
    wait_fits,
)
from domain.errors import (
    PermanentAPIError,
    TransientAPIError,
    UpstreamTimeoutError,
)

RANDS = [0.0, 0.25, 0.5, 0.75, 0.999999]


def test_default_policies_carry_the_spec_breaker_settings() -> None:
    settings = {
        name: (policy.fail_max, policy.reset_timeout)
        for name, policy in DEFAULT_POLICIES.items()
    }

    assert settings == {
        "resy": (5, 120.0),
        "google_places": (3, 60.0),
        "opentable": (3, 180.0),
        "weather": (5, 300.0),
        "calendar": (5, 120.0),
    }


def test_default_retry_settings_are_the_spec_policy() -> None:
    policy = DEFAULT_POLICIES["resy"]

    assert (policy.max_attempts, policy.multiplier) == (3, 1.0)
    assert (policy.min_wait, policy.max_wait) == (2.0, 30.0)
    assert policy.retry_budget_ratio == 0.2
    assert policy.budget_window == 60.0


def test_without_jitter_the_waits_are_the_spec_exponential() -> None:
    policy = UpstreamPolicy("resy", jitter="none")

    waits = [backoff_wait(attempt, policy, 0.5) for attempt in range(1, 8)]

    assert waits == [2.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]


@pytest.mark.parametrize("jitter", ["full", "equal", "none"])
@pytest.mark.parametrize("attempt", range(1, 12))
@pytest.mark.parametrize("rand", RANDS)
def test_every_jittered_wait_stays_within_min_and_max(
    jitter: Jitter, attempt: int, rand: float
) -> None:
    policy = UpstreamPolicy("resy", jitter=jitter)

    assert 2.0 <= backoff_wait(attempt, policy, rand) <= 30.0


@pytest.mark.parametrize("attempt", range(1, 12))
@pytest.mark.parametrize("rand", RANDS)
def test_equal_jitter_never_waits_less_than_the_spec(attempt: int, rand: float) -> None:
    spec = backoff_wait(attempt, UpstreamPolicy("resy", jitter="none"), rand)

    wait = backoff_wait(attempt, UpstreamPolicy("resy", jitter="equal"), rand)

    assert spec <= wait <= min(30.0, 2 * spec)


def test_full_jitter_spans_from_min_wait_to_twice_the_spec() -> None:
    policy = UpstreamPolicy("resy", jitter="full")

    assert backoff_wait(1, policy, 0.0) == 2.0
    assert backoff_wait(1, policy, 1.0) == 4.0
    assert backoff_wait(3, policy, 0.0) == 2.0
    assert backoff_wait(3, policy, 1.0) == 8.0


def test_jitter_actually_spreads_the_first_retry() -> None:
    policy = UpstreamPolicy("resy", jitter="full")

    assert len({backoff_wait(1, policy, rand) for rand in RANDS}) == len(RANDS)


def test_a_huge_attempt_number_does_not_overflow() -> None:
    assert backoff_wait(10_000, UpstreamPolicy("resy", jitter="none"), 0.5) == 30.0
    assert backoff_wait(10_000, UpstreamPolicy("resy"), 0.5) == 16.0


def test_retry_after_is_honoured_over_the_backoff() -> None:
    error = TransientAPIError("slow down", 429, retry_after=7.0)

    assert next_wait(1, error, UpstreamPolicy("resy"), 0.0) == 7.0


def test_a_zero_retry_after_means_retry_at_once() -> None:
    error = TransientAPIError("slow down", 429, retry_after=0.0)

    assert next_wait(2, error, UpstreamPolicy("resy"), 0.9) == 0.0


@pytest.mark.parametrize("retry_after", [None, -1.0, math.nan])
def test_a_missing_or_unusable_retry_after_falls_back_to_backoff(
    retry_after: float | None,
) -> None:
    error = TransientAPIError("busy", 503, retry_after=retry_after)
    policy = UpstreamPolicy("resy", jitter="none")

    assert next_wait(3, error, policy, 0.0) == 4.0


def test_an_error_that_is_not_an_api_error_gets_the_backoff() -> None:
    policy = UpstreamPolicy("resy", jitter="none")

    assert next_wait(1, ValueError("odd"), policy, 0.0) == 2.0


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (UpstreamTimeoutError("connect timeout", maybe_received=False), True),
        (UpstreamTimeoutError("read timeout", maybe_received=True), False),
        (TransientAPIError("too many", 429), True),
        (TransientAPIError("unavailable", 503), True),
        (TransientAPIError("bad gateway", 502), False),
        (TransientAPIError("server error", 500), False),
        (TransientAPIError("connection reset"), False),
        (PermanentAPIError("not found", 404), False),
    ],
)
def test_only_a_refusal_proves_the_request_was_not_received(
    error: Exception, expected: bool
) -> None:
    assert proved_not_received(error) is expected


def test_the_attempt_timeout_is_cut_to_the_remaining_deadline() -> None:
    policy = UpstreamPolicy("resy", attempt_timeout=10.0)

    assert attempt_timeout(policy, 100.0, None) == 10.0
    assert attempt_timeout(policy, 100.0, 104.0) == 4.0
    assert attempt_timeout(policy, 100.0, 200.0) == 10.0


def test_without_an_attempt_timeout_only_the_deadline_bounds_an_attempt() -> None:
    policy = UpstreamPolicy("resy", attempt_timeout=None)

    assert attempt_timeout(policy, 100.0, None) is None
    assert attempt_timeout(policy, 100.0, 103.0) == 3.0


def test_a_wait_fits_only_when_it_ends_before_the_deadline_minus_the_margin() -> None:
    policy = UpstreamPolicy("resy", deadline_margin=0.5)

    assert wait_fits(2.0, policy, 100.0, None)
    assert wait_fits(2.0, policy, 100.0, 102.5)
    assert not wait_fits(2.0, policy, 100.0, 102.4)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_attempts", 0),
        ("fail_max", 0),
        ("reset_timeout", 0.0),
        ("min_wait", 40.0),
        ("jitter", "sometimes"),
        ("retry_budget_ratio", -0.1),
        ("budget_window", 0.0),
        ("attempt_timeout", 0.0),
    ],
)
def test_a_policy_refuses_settings_that_make_no_sense(
    field: str, value: object
) -> None:
    with pytest.raises(ValueError, match="policy 'resy'"):
        UpstreamPolicy("resy", **{field: value})
