"""One breaker and one retry budget per upstream, built from the policies."""

from collections.abc import Callable, Iterable, Iterator, Mapping

import pybreaker
from redis import Redis

from adapters.resilience.breaker import (
    CLOSED,
    AsyncCircuitBreaker,
    BreakerSnapshot,
    StateListener,
)
from adapters.resilience.budget import RetryBudget
from adapters.resilience.guard import Resilience
from adapters.resilience.policy import DEFAULT_POLICIES, UpstreamPolicy
from domain.ports import Clock

StorageFactory = Callable[[str], pybreaker.CircuitBreakerStorage]


def redis_storage(client: Redis, namespace: str) -> StorageFactory:
    """Storage in Redis under `namespace:<upstream>`, shared by replicas.

    The client is synchronous: each breaker decision is a blocking round
    trip or two, so Redis should be near (loopback or the same host).
    """

    def make(name: str) -> pybreaker.CircuitBreakerStorage:
        return pybreaker.CircuitRedisStorage(
            CLOSED, client, namespace=f"{namespace}:{name}"
        )

    return make


class BreakerRegistry:
    """The breakers an operations RPC lists and a health service watches."""

    def __init__(
        self,
        clock: Clock,
        policies: Mapping[str, UpstreamPolicy] | Iterable[UpstreamPolicy] = (
            DEFAULT_POLICIES
        ),
        *,
        storage_factory: StorageFactory | None = None,
    ) -> None:
        chosen = policies.values() if isinstance(policies, Mapping) else policies
        self._clock = clock
        self._policies = {policy.name: policy for policy in chosen}
        self._breakers = {
            name: AsyncCircuitBreaker(
                name,
                policy.fail_max,
                policy.reset_timeout,
                clock,
                storage_factory(name) if storage_factory else None,
            )
            for name, policy in self._policies.items()
        }
        self._resilience: dict[str, Resilience] = {}

    def __iter__(self) -> Iterator[AsyncCircuitBreaker]:
        return iter(self._breakers.values())

    def __len__(self) -> int:
        return len(self._breakers)

    def names(self) -> list[str]:
        return sorted(self._breakers)

    def breaker(self, name: str) -> AsyncCircuitBreaker:
        """The breaker of upstream `name`; KeyError names the known ones."""
        try:
            return self._breakers[name]
        except KeyError:
            raise KeyError(f"no breaker for {name!r}; known: {self.names()}") from None

    def resilience(self, name: str) -> Resilience:
        """The upstream's breaker with retries and its own budget (made once)."""
        if name not in self._resilience:
            breaker = self.breaker(name)
            policy = self._policies[name]
            budget = RetryBudget(
                policy.retry_budget_ratio,
                policy.budget_window,
                self._clock,
                min_retries=policy.budget_min_retries,
            )
            self._resilience[name] = Resilience(policy, self._clock, breaker, budget)

        return self._resilience[name]

    def snapshots(self) -> list[BreakerSnapshot]:
        return [self._breakers[name].snapshot() for name in self.names()]

    def add_listener(self, listener: StateListener) -> None:
        """Call `listener(name, old_state, new_state)` for every breaker."""
        for breaker in self._breakers.values():
            breaker.add_listener(listener)
