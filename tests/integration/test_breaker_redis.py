"""Breakers in two replicas share their state through Redis on loopback."""

import uuid
from collections.abc import Iterator

import pytest
import redis

from adapters.resilience.breaker import CLOSED, HALF_OPEN, OPEN, AsyncCircuitBreaker
from adapters.resilience.registry import redis_storage
from domain.errors import CircuitOpenError, TransientAPIError
from tests.fakes import FakeClock

pytestmark = pytest.mark.redis


@pytest.fixture
def client() -> Iterator[redis.Redis]:
    client = redis.Redis(host="127.0.0.1", port=6379, socket_timeout=2.0)
    try:
        client.ping()
    except redis.ConnectionError as error:
        client.close()
        pytest.skip(f"Redis is not reachable on 127.0.0.1:6379: {error}")
    yield client
    client.close()


@pytest.fixture
def namespace(client: redis.Redis) -> Iterator[str]:
    name = f"test-breaker-{uuid.uuid4().hex}"
    yield name
    keys = list(client.scan_iter(match=f"{name}:*"))
    if keys:
        client.delete(*keys)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def replica(
    client: redis.Redis, namespace: str, clock: FakeClock
) -> AsyncCircuitBreaker:
    storage = redis_storage(client, namespace)("resy")
    return AsyncCircuitBreaker("resy", 2, 120.0, clock, storage)


async def down() -> None:
    raise TransientAPIError("down", 503)


async def ok() -> str:
    return "slots"


async def test_a_breaker_opened_by_one_replica_is_open_in_the_other(
    client: redis.Redis, namespace: str, clock: FakeClock
) -> None:
    first, second = replica(client, namespace, clock), replica(client, namespace, clock)
    heard: list[tuple[str, str, str]] = []
    second.add_listener(lambda *change: heard.append(change))
    called = False

    async def upstream() -> None:
        nonlocal called
        called = True

    for _ in range(2):
        with pytest.raises(TransientAPIError):
            await first.call(down)
    clock.advance(20.0)

    with pytest.raises(CircuitOpenError) as raised:
        await second.call(upstream)

    assert not called
    assert raised.value.retry_after == pytest.approx(100.0)
    assert heard == [("resy", CLOSED, OPEN)]


async def test_opened_at_in_redis_is_our_clocks_time(
    client: redis.Redis, namespace: str, clock: FakeClock
) -> None:
    first, second = replica(client, namespace, clock), replica(client, namespace, clock)
    opened = clock.now()

    for _ in range(2):
        with pytest.raises(TransientAPIError):
            await first.call(down)

    snapshot = second.snapshot()
    assert snapshot.state == OPEN
    assert snapshot.opened_at == opened
    assert snapshot.failure_count == 2


async def test_replicas_add_up_their_failures(
    client: redis.Redis, namespace: str, clock: FakeClock
) -> None:
    first, second = replica(client, namespace, clock), replica(client, namespace, clock)

    with pytest.raises(TransientAPIError):
        await first.call(down)
    with pytest.raises(TransientAPIError):
        await second.call(down)

    assert first.state == OPEN


async def test_a_trial_that_closes_in_one_replica_closes_both(
    client: redis.Redis, namespace: str, clock: FakeClock
) -> None:
    first, second = replica(client, namespace, clock), replica(client, namespace, clock)
    for _ in range(2):
        with pytest.raises(TransientAPIError):
            await first.call(down)
    clock.advance(120.0)

    assert await first.call(ok) == "slots"

    assert second.state == CLOSED
    assert await second.call(ok) == "slots"


async def test_a_half_open_state_is_visible_to_the_other_replica(
    client: redis.Redis, namespace: str, clock: FakeClock
) -> None:
    first, second = replica(client, namespace, clock), replica(client, namespace, clock)
    for _ in range(2):
        with pytest.raises(TransientAPIError):
            await first.call(down)
    clock.advance(120.0)
    seen_during_trial: list[str] = []

    async def trial() -> str:
        seen_during_trial.append(second.state)
        return "slots"

    await first.call(trial)

    assert seen_during_trial == [HALF_OPEN]
