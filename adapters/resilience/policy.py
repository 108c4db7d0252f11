"""Per-upstream retry and breaker settings, and the pure wait policies."""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from domain.errors import APIError, TransientAPIError, UpstreamTimeoutError

Jitter = Literal["full", "equal", "none"]
JITTERS: frozenset[str] = frozenset({"full", "equal", "none"})

# Statuses with which an upstream refuses a request before acting on it.
NOT_RECEIVED_STATUSES: frozenset[int] = frozenset({429, 503})

_MAX_EXPONENT = 64  # beyond this every wait is max_wait anyway


@dataclass(frozen=True, slots=True)
class UpstreamPolicy:
    """How hard to try one upstream, and when to stop trying.

    Waits follow the spec: `multiplier * 2 ** (attempt - 1)` seconds, kept
    within [min_wait, max_wait]. Jitter spreads replicas apart without leaving
    those bounds: "full" draws uniformly from min_wait up to twice the spec's
    value; "equal" draws from the spec's value up to twice it, so it never
    waits less than the spec would; "none" is the spec's value.
    A Retry-After longer than max_wait ends the retries instead of waiting.
    """

    name: str
    fail_max: int = 5
    reset_timeout: float = 60.0
    max_attempts: int = 3
    multiplier: float = 1.0
    min_wait: float = 2.0
    max_wait: float = 30.0
    jitter: Jitter = "full"
    retry_budget_ratio: float = 0.2
    budget_window: float = 60.0
    budget_min_retries: int = 3
    attempt_timeout: float | None = 10.0
    deadline_margin: float = 0.1

    def __post_init__(self) -> None:
        problems = list(_problems(self))
        if problems:
            raise ValueError(f"policy {self.name!r}: " + "; ".join(problems))


def _problems(p: UpstreamPolicy) -> Iterator[str]:
    if not p.name:
        yield "name must not be empty"
    if p.fail_max < 1:
        yield f"fail_max must be >= 1, got {p.fail_max}"
    if p.reset_timeout <= 0:
        yield f"reset_timeout must be > 0, got {p.reset_timeout}"
    if p.max_attempts < 1:
        yield f"max_attempts must be >= 1, got {p.max_attempts}"
    if not 0 <= p.min_wait <= p.max_wait:
        yield f"need 0 <= min_wait <= max_wait, got {p.min_wait}, {p.max_wait}"
    if p.jitter not in JITTERS:
        yield f"jitter must be one of {sorted(JITTERS)}, got {p.jitter!r}"
    if p.retry_budget_ratio < 0 or p.budget_min_retries < 0:
        yield "retry_budget_ratio and budget_min_retries must not be negative"
    if p.budget_window <= 0:
        yield f"budget_window must be > 0, got {p.budget_window}"
    if p.attempt_timeout is not None and p.attempt_timeout <= 0:
        yield f"attempt_timeout must be > 0 or None, got {p.attempt_timeout}"


DEFAULT_POLICIES: Mapping[str, UpstreamPolicy] = MappingProxyType(
    {
        "resy": UpstreamPolicy("resy", fail_max=5, reset_timeout=120.0),
        "google_places": UpstreamPolicy(
            "google_places", fail_max=3, reset_timeout=60.0
        ),
        # A browser session is slow: give each attempt longer.
        "opentable": UpstreamPolicy(
            "opentable", fail_max=3, reset_timeout=180.0, attempt_timeout=30.0
        ),
        "weather": UpstreamPolicy("weather", fail_max=5, reset_timeout=300.0),
        "calendar": UpstreamPolicy("calendar", fail_max=5, reset_timeout=120.0),
    }
)


def _bounded(seconds: float, policy: UpstreamPolicy) -> float:
    return min(policy.max_wait, max(policy.min_wait, seconds))


def backoff_wait(attempt: int, policy: UpstreamPolicy, rand: float) -> float:
    """Seconds to wait after failed attempt number `attempt` (1-based).

    `rand` is a number in [0, 1) that the caller drew; 0 gives the shortest
    wait the jitter allows.
    """
    exponent = min(max(attempt, 1), _MAX_EXPONENT)
    spec = _bounded(policy.multiplier * 2 ** (exponent - 1), policy)
    if policy.jitter == "none":
        return spec

    ceiling = _bounded(2 * spec, policy)
    floor = policy.min_wait if policy.jitter == "full" else spec
    share = min(1.0, max(0.0, rand))

    return floor + share * (ceiling - floor)


def next_wait(
    attempt: int, error: BaseException | None, policy: UpstreamPolicy, rand: float
) -> float:
    """The upstream's Retry-After when it gave a usable one, else the backoff.

    Adapters parse Retry-After (seconds or an HTTP date) into
    `APIError.retry_after`; a garbage value arrives as None.
    """
    retry_after = error.retry_after if isinstance(error, APIError) else None
    if retry_after is not None and retry_after >= 0:
        return float(retry_after)

    return backoff_wait(attempt, policy, rand)


def proved_not_received(error: BaseException) -> bool:
    """Whether the upstream certainly did not act on the request.

    True for a timeout before the request was sent and for a 429 or 503, with
    which the upstream refuses a request instead of processing it. Only then
    may a write (a booking POST) be sent again.
    """
    if isinstance(error, UpstreamTimeoutError):
        return not error.maybe_received

    return (
        isinstance(error, TransientAPIError)
        and error.status_code in NOT_RECEIVED_STATUSES
    )


def attempt_timeout(
    policy: UpstreamPolicy, now: float, deadline: float | None
) -> float | None:
    """Seconds the next attempt may take: the policy's limit, cut to the deadline."""
    if deadline is None:
        return policy.attempt_timeout
    remaining = deadline - now
    if policy.attempt_timeout is None:
        return remaining

    return min(policy.attempt_timeout, remaining)


def wait_fits(
    wait: float, policy: UpstreamPolicy, now: float, deadline: float | None
) -> bool:
    """Whether sleeping `wait` still leaves the margin before the deadline."""
    if deadline is None:
        return True

    return now + wait <= deadline - policy.deadline_margin
