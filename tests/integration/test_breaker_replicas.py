"""Two gateways configured with one Redis share their breakers' state live."""

import uuid

import pytest
import redis

from domain.errors import CircuitOpenError, TransientAPIError
from entrypoints.config import Settings
from entrypoints.container import Container
from tests.fakes import FakeClock

pytestmark = pytest.mark.redis
URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def namespace():
    try:
        redis.Redis.from_url(URL).ping()
    except redis.RedisError:
        pytest.skip("Redis at 127.0.0.1:6379 is not reachable")
    name = f"resgw-test:{uuid.uuid4().hex[:12]}"
    yield name
    client = redis.Redis.from_url(URL)
    for key in client.scan_iter(f"{name}*"):
        client.delete(key)


def _replica(namespace: str, clock: FakeClock) -> Container:
    settings = Settings(breaker_redis_url=URL, breaker_redis_namespace=namespace)
    container = Container(settings=settings)
    container.clock.override(clock)
    return container


async def test_a_breaker_opened_by_one_replica_is_open_in_the_other(namespace):
    clock = FakeClock()
    first = _replica(namespace, clock).breakers().breaker("resy")
    second = _replica(namespace, clock).breakers().breaker("resy")

    async def down() -> None:
        raise TransientAPIError("503", 503, provider="resy")

    for _ in range(first.fail_max):
        with pytest.raises(TransientAPIError):
            await first.call(down)

    async def never() -> None:
        raise AssertionError("the open breaker let a call through")

    with pytest.raises(CircuitOpenError):
        await second.call(never)
    assert second.snapshot().state == "open"
