"""Identical concurrent misses share one load; its outcome reaches only its waiters."""

import asyncio
import gc
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from adapters.cache.memory import MemoryCache
from adapters.cache.tiered import TieredCache
from domain.errors import TransientAPIError
from tests.fakes import FakeClock

KEY = "availability:resy:1001:2027-01-15:2"


class GatedLoader:
    """An upstream that answers only when the test opens the gate."""

    def __init__(self, *outcomes: object) -> None:
        self.outcomes = list(outcomes)
        self.calls = 0
        self.gate = asyncio.Event()

    async def __call__(self) -> object:
        self.calls += 1
        outcome = self.outcomes.pop(0) if self.outcomes else "default"
        await self.gate.wait()
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome


@pytest.fixture
def cache(clock: FakeClock) -> TieredCache:
    return TieredCache(MemoryCache(clock), MemoryCache(clock), clock)


def caller(
    cache: TieredCache, load: Callable[[], Awaitable[Any]], key: str = KEY
) -> "asyncio.Task[Any]":
    return asyncio.ensure_future(
        cache.get_or_load(key, load, keep_for=600, fresh_for=300)
    )


async def settle() -> None:
    """Let every runnable task reach its next wait (no time passes)."""
    for _ in range(5):
        await asyncio.sleep(0)


async def test_a_hundred_identical_cold_calls_make_one_upstream_call(
    cache: TieredCache,
) -> None:
    load = GatedLoader(("slot-a", "slot-b"))
    waiters = [caller(cache, load) for _ in range(100)]
    await settle()
    load.gate.set()

    entries = await asyncio.gather(*waiters)

    assert load.calls == 1
    assert {entry.value for entry in entries} == {("slot-a", "slot-b")}
    assert {entry.tier for entry in entries} == {"live"}
    assert cache.metrics.count("live", "availability", "loads") == 1
    assert cache.metrics.count("live", "availability", "coalesced_waits") == 99
    assert cache.loads_in_flight == 0


async def test_the_loaded_value_is_then_served_from_cache_without_a_call(
    cache: TieredCache,
) -> None:
    load = GatedLoader("answer")
    load.gate.set()
    await caller(cache, load)

    again = await caller(cache, load)

    assert (again.value, again.tier, load.calls) == ("answer", "hot", 1)


async def test_a_failure_reaches_every_current_waiter_and_is_not_kept(
    cache: TieredCache,
) -> None:
    error = TransientAPIError("resy answered 503", provider="resy")
    load = GatedLoader(error, "recovered")
    waiters = [caller(cache, load) for _ in range(20)]
    await settle()
    load.gate.set()

    outcomes = await asyncio.gather(*waiters, return_exceptions=True)

    assert all(outcome is error for outcome in outcomes)
    assert load.calls == 1
    assert cache.get(KEY) is None  # a failure is never cached
    assert cache.loads_in_flight == 0

    later = await caller(cache, load)

    assert (later.value, load.calls) == ("recovered", 2)


async def test_a_failure_never_overwrites_the_good_entry_it_could_not_refresh(
    cache: TieredCache, clock: FakeClock
) -> None:
    cache.set(KEY, "good", keep_for=7200)
    stored_at = clock.now()
    clock.advance(400)  # past fresh_for, so the next call loads
    load = GatedLoader(TransientAPIError("timeout", provider="resy"))
    load.gate.set()

    with pytest.raises(TransientAPIError):
        await caller(cache, load)
    stale = cache.get(KEY)

    assert stale is not None
    assert (stale.value, stale.stored_at) == ("good", stored_at)


async def test_cancelling_one_waiter_leaves_the_shared_load_to_the_others(
    cache: TieredCache,
) -> None:
    load = GatedLoader("answer")
    first, second, third = (caller(cache, load) for _ in range(3))
    await settle()

    first.cancel()  # the caller that started the load
    await settle()
    load.gate.set()

    assert [(await second).value, (await third).value] == ["answer", "answer"]
    assert first.cancelled()
    assert load.calls == 1


async def test_when_every_waiter_is_cancelled_the_load_still_fills_the_cache(
    cache: TieredCache,
) -> None:
    load = GatedLoader("paid for")
    waiters = [caller(cache, load) for _ in range(3)]
    await settle()
    for waiter in waiters:
        waiter.cancel()
    await settle()
    load.gate.set()
    await settle()

    entry = cache.get(KEY)

    assert entry is not None and entry.value == "paid for"
    assert all(waiter.cancelled() for waiter in waiters)
    assert (load.calls, cache.loads_in_flight) == (1, 0)


async def test_a_caller_arriving_during_a_load_joins_it(
    cache: TieredCache,
) -> None:
    load = GatedLoader("answer")
    early = caller(cache, load)
    await settle()
    late = caller(cache, load)
    await settle()
    load.gate.set()

    assert [(await early).value, (await late).value] == ["answer", "answer"]
    assert load.calls == 1


async def test_different_keys_do_not_coalesce(cache: TieredCache) -> None:
    load = GatedLoader("for two", "for four")
    two = caller(cache, load, "availability:resy:1001:2027-01-15:2")
    four = caller(cache, load, "availability:resy:1001:2027-01-15:4")
    await settle()
    load.gate.set()

    assert {(await two).value, (await four).value} == {"for two", "for four"}
    assert load.calls == 2
    assert cache.metrics.count("live", "availability", "coalesced_waits") == 0


async def test_a_stale_entry_is_refreshed_by_one_load(
    cache: TieredCache, clock: FakeClock
) -> None:
    cache.set(KEY, "old", keep_for=7200)
    clock.advance(301)
    load = GatedLoader("new")
    waiters = [caller(cache, load) for _ in range(10)]
    await settle()
    load.gate.set()

    entries = await asyncio.gather(*waiters)

    assert {entry.value for entry in entries} == {"new"}
    assert load.calls == 1
    assert cache.get(KEY).stored_at == clock.now()  # type: ignore[union-attr]


async def test_a_load_that_fails_after_every_waiter_left_is_retrieved_quietly(
    cache: TieredCache, caplog: pytest.LogCaptureFixture
) -> None:
    load = GatedLoader(TransientAPIError("503", provider="resy"), "second try")
    waiter = caller(cache, load)
    await settle()
    waiter.cancel()
    await settle()
    load.gate.set()
    await settle()
    gc.collect()

    assert not [r for r in caplog.records if "never retrieved" in r.getMessage()]
    assert cache.metrics.count("live", "availability", "load_failures") == 1
    assert (await caller(cache, load)).value == "second try"
