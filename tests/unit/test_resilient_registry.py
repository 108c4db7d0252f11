"""The registry: one breaker per upstream, snapshots and listeners for operators."""

import pybreaker
import pytest

from adapters.resilience.breaker import CLOSED, OPEN
from adapters.resilience.policy import DEFAULT_POLICIES, UpstreamPolicy
from adapters.resilience.registry import BreakerRegistry
from domain.errors import TransientAPIError
from tests.fakes import FakeClock


async def down() -> None:
    raise TransientAPIError("down", 503)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_every_default_upstream_gets_a_breaker_with_its_settings(
    clock: FakeClock,
) -> None:
    registry = BreakerRegistry(clock)

    assert registry.names() == sorted(DEFAULT_POLICIES)
    for name, policy in DEFAULT_POLICIES.items():
        breaker = registry.breaker(name)
        assert (breaker.fail_max, breaker.reset_timeout) == (
            policy.fail_max,
            policy.reset_timeout,
        )


def test_snapshots_list_every_breaker_by_name(clock: FakeClock) -> None:
    snapshots = BreakerRegistry(clock).snapshots()

    assert [s.name for s in snapshots] == sorted(DEFAULT_POLICIES)
    assert {s.state for s in snapshots} == {CLOSED}


async def test_a_listener_hears_changes_of_every_breaker(clock: FakeClock) -> None:
    policies = [
        UpstreamPolicy("resy", fail_max=1),
        UpstreamPolicy("weather", fail_max=1),
    ]
    registry = BreakerRegistry(clock, policies)
    changes: list[tuple[str, str, str]] = []
    registry.add_listener(lambda *change: changes.append(change))

    for name in ("resy", "weather"):
        with pytest.raises(TransientAPIError):
            await registry.breaker(name).call(down)

    assert changes == [("resy", CLOSED, OPEN), ("weather", CLOSED, OPEN)]


def test_storage_comes_from_the_factory_one_per_upstream(clock: FakeClock) -> None:
    made: list[str] = []

    def factory(name: str) -> pybreaker.CircuitBreakerStorage:
        made.append(name)
        return pybreaker.CircuitMemoryStorage(CLOSED)

    BreakerRegistry(clock, storage_factory=factory)

    assert sorted(made) == sorted(DEFAULT_POLICIES)


async def test_resilience_is_made_once_around_the_upstreams_breaker(
    clock: FakeClock,
) -> None:
    registry = BreakerRegistry(clock, [UpstreamPolicy("resy", fail_max=1)])

    resilience = registry.resilience("resy")
    with pytest.raises(TransientAPIError):
        await resilience.call(down)

    assert registry.resilience("resy") is resilience
    assert resilience.breaker is registry.breaker("resy")
    assert registry.breaker("resy").state == OPEN
    assert resilience.budget is not None
    assert resilience.budget.counts() == (1, 2)


def test_an_unknown_upstream_is_named_in_the_error(clock: FakeClock) -> None:
    with pytest.raises(KeyError, match="known"):
        BreakerRegistry(clock).breaker("yelp")
