"""The tiered cache: warm hits promoted with honest ages, short negatives, counts."""

import logging
from datetime import timedelta

import pytest

from adapters.cache.memory import MemoryCache
from adapters.cache.tiered import TieredCache
from tests.fakes import FakeClock

KEY = "search:pizza:40.71:-74.01"


@pytest.fixture
def hot(clock: FakeClock) -> MemoryCache:
    return MemoryCache(clock)


@pytest.fixture
def warm(clock: FakeClock) -> MemoryCache:
    return MemoryCache(clock)


@pytest.fixture
def cache(hot: MemoryCache, warm: MemoryCache, clock: FakeClock) -> TieredCache:
    return TieredCache(hot, warm, clock, hot_keep_for=300, negative_keep_for=30)


async def answer(value: object) -> object:
    return value


def test_set_writes_both_tiers(
    cache: TieredCache, hot: MemoryCache, warm: MemoryCache
) -> None:
    cache.set(KEY, ["a"], keep_for=86_400)

    assert hot.get(KEY) is not None and warm.get(KEY) is not None


def test_a_warm_hit_is_promoted_with_its_own_age(
    cache: TieredCache, hot: MemoryCache, warm: MemoryCache, clock: FakeClock
) -> None:
    warm.set(KEY, ["from yesterday"], keep_for=86_400)
    stored_at = clock.now()
    clock.advance(3600)

    first = cache.get(KEY)
    second = cache.get(KEY)

    assert first is not None and second is not None
    assert (first.tier, second.tier) == ("warm", "hot")
    assert first.stored_at == second.stored_at == stored_at
    assert second.expires_at == stored_at + timedelta(seconds=86_400)
    assert hot.get(KEY) is not None


def test_the_hot_copy_lives_at_most_hot_keep_for(
    cache: TieredCache, hot: MemoryCache, clock: FakeClock
) -> None:
    cache.set(KEY, ["a"], keep_for=86_400)
    clock.advance(300)

    entry = cache.get(KEY)

    assert hot.get(KEY) is not None  # promoted again from warm just now
    assert entry is not None and entry.tier == "warm"


def test_a_promoted_copy_never_outlives_the_warm_entry(
    cache: TieredCache, hot: MemoryCache, warm: MemoryCache, clock: FakeClock
) -> None:
    warm.set(KEY, ["a"], keep_for=100)
    clock.advance(90)
    cache.get(KEY)
    clock.advance(10)

    assert hot.get(KEY) is None
    assert cache.get(KEY) is None


async def test_an_empty_answer_is_kept_only_for_negative_keep_for(
    cache: TieredCache, clock: FakeClock
) -> None:
    await cache.get_or_load(KEY, lambda: answer([]), keep_for=86_400, fresh_for=600)
    clock.advance(29)
    assert cache.get(KEY) is not None
    clock.advance(1)
    assert cache.get(KEY) is None


async def test_the_caller_says_what_counts_as_negative(
    cache: TieredCache, clock: FakeClock
) -> None:
    entry = await cache.get_or_load(
        KEY,
        lambda: answer({"slots": []}),
        keep_for=600,
        fresh_for=600,
        is_negative=lambda value: not value["slots"],
    )
    clock.advance(30)

    assert entry.expires_at == entry.stored_at + timedelta(seconds=30)
    assert cache.get(KEY) is None


async def test_a_fresh_entry_is_returned_with_its_tier_and_no_load(
    cache: TieredCache, warm: MemoryCache, clock: FakeClock
) -> None:
    warm.set(KEY, ["a"], keep_for=86_400)
    clock.advance(60)

    async def must_not_load() -> object:
        raise AssertionError("loaded although a fresh entry existed")

    entry = await cache.get_or_load(KEY, must_not_load, keep_for=600, fresh_for=120)

    assert (entry.value, entry.tier) == (["a"], "warm")


def test_hits_and_misses_are_counted_per_tier_and_kind(
    cache: TieredCache, warm: MemoryCache
) -> None:
    cache.get(KEY)
    warm.set("place:abc", {"name": "Bistro"}, keep_for=600)
    cache.get("place:abc")
    cache.get("place:abc")

    rows = {(r["tier"], r["kind"]): r for r in cache.metrics.snapshot()["rows"]}

    assert rows["hot", "search"]["misses"] == 1
    assert rows["warm", "search"]["misses"] == 1
    assert (rows["hot", "place"]["misses"], rows["hot", "place"]["hits"]) == (1, 1)
    assert rows["warm", "place"]["hits"] == 1
    assert cache.metrics.snapshot()["totals"]["hits"] == 2


def test_stale_served_is_counted_and_logged_with_its_age(
    cache: TieredCache, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    key = "availability:resy:1001:2027-01-15:2"
    cache.set(key, ("slot",), keep_for=7200)
    clock.advance(1800)
    entry = cache.get(key)
    assert entry is not None

    with caplog.at_level(logging.INFO, logger="adapters.cache.metrics"):
        cache.stale_served(key, entry)

    # The hot copy went after 300 s: the stale answer came from the warm tier.
    assert cache.metrics.count("warm", "availability", "stale_served") == 1
    record = next(r for r in caplog.records if r.msg == "cache.stale_served")
    assert (record.provider, record.age_seconds, record.tier) == ("resy", 1800, "warm")


def test_a_hit_is_logged_at_debug_with_constant_event_name(
    cache: TieredCache, caplog: pytest.LogCaptureFixture
) -> None:
    cache.set(KEY, ["a"], keep_for=600)

    with caplog.at_level(logging.DEBUG, logger="adapters.cache.metrics"):
        cache.get(KEY)

    hit = next(r for r in caplog.records if r.msg == "cache.hit")
    assert (hit.levelno, hit.tier, hit.kind) == (logging.DEBUG, "hot", "search")
