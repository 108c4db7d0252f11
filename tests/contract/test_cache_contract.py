"""The cache port's promises, held alike by the hot, warm and tiered caches."""

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from adapters.cache.codec import default_codec
from adapters.cache.memory import MemoryCache
from adapters.cache.sql import SqlCache
from adapters.cache.tiered import TieredCache
from domain.models import Coordinates, Platform, Restaurant, ResyVenue, Slot
from domain.ports import Cache
from tests.fakes import FakeClock

NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
KEY = "availability:resy:1001:2027-01-15:2"


def _slot(zone: ZoneInfo, *wall: int, fold: int = 0, minutes: int = 90) -> Slot:
    start = datetime(*wall, tzinfo=zone, fold=fold)  # type: ignore[misc]
    end = start + timedelta(minutes=minutes)

    return Slot(start, end, "Dining Room", Platform.RESY, f"rgs://resy/{start}")


# Both zones' DST days in 2027: the spring gap and the autumn hour that repeats.
DST_SLOTS = {
    "new_york_spring_forward": (
        _slot(NEW_YORK, 2027, 3, 14, 1, 30),
        _slot(NEW_YORK, 2027, 3, 14, 3, 30),
    ),
    "new_york_fall_back": (
        _slot(NEW_YORK, 2027, 11, 7, 1, 30, fold=0),
        _slot(NEW_YORK, 2027, 11, 7, 1, 30, fold=1),
    ),
    "london_spring_forward": (
        _slot(LONDON, 2027, 3, 28, 0, 45),
        _slot(LONDON, 2027, 3, 28, 2, 15),
    ),
    "london_fall_back": (
        _slot(LONDON, 2027, 10, 31, 1, 15, fold=0),
        _slot(LONDON, 2027, 10, 31, 1, 15, fold=1),
    ),
}
VALUES: dict[str, Any] = {
    **DST_SLOTS,
    "slot_list": [_slot(NEW_YORK, 2027, 1, 15, 19), _slot(LONDON, 2027, 1, 15, 19)],
    "no_slots": (),
    "json_dict": {"query": "pizza", "limit": 5, "ok": True, "near": [40.7, -74.0]},
    "restaurant": Restaurant(
        "places/abc",
        "Sandbox Bistro",
        location=Coordinates(40.7128, -74.006),
        rating=4.5,
        cuisines=("french", "bistro"),
        resy=ResyVenue("1001", "sandbox-1001", "new-york-ny", "America/New_York"),
    ),
}


def _sql(engine: Engine, clock: FakeClock) -> SqlCache:
    return SqlCache(engine, clock, codec=default_codec())


@pytest.fixture(
    params=[
        "memory",
        "sql_sqlite",
        pytest.param("sql_postgres", marks=pytest.mark.postgres),
        "tiered",
    ]
)
def cache(request: pytest.FixtureRequest, clock: FakeClock) -> Iterator[Cache]:
    kind = request.param
    if kind == "memory":
        yield MemoryCache(clock)
        return
    database = "postgres_engine" if kind == "sql_postgres" else "sqlite_engine"
    warm = _sql(request.getfixturevalue(database), clock)
    if kind == "tiered":
        yield TieredCache(MemoryCache(clock), warm, clock)
    else:
        yield warm
    warm.close()


def test_a_key_never_set_is_none(cache: Cache) -> None:
    assert cache.get("search:nothing-here") is None


def test_get_returns_the_value_and_the_time_it_was_stored(
    cache: Cache, clock: FakeClock
) -> None:
    stored_at = clock.now()
    cache.set(KEY, {"tables": 3}, keep_for=600)
    clock.advance(42)

    entry = cache.get(KEY)

    assert entry is not None
    assert entry.value == {"tables": 3}
    assert entry.stored_at == stored_at
    assert entry.expires_at == stored_at + timedelta(seconds=600)


def test_an_entry_lives_exactly_keep_for_seconds(
    cache: Cache, clock: FakeClock
) -> None:
    cache.set(KEY, "x", keep_for=60)

    clock.advance(59)
    assert cache.get(KEY) is not None
    clock.advance(1)
    assert cache.get(KEY) is None


def test_a_second_set_replaces_value_and_stored_at(
    cache: Cache, clock: FakeClock
) -> None:
    cache.set(KEY, "old", keep_for=600)
    clock.advance(10)
    cache.set(KEY, "new", keep_for=30)
    clock.advance(5)

    entry = cache.get(KEY)

    assert entry is not None
    assert (entry.value, entry.stored_at) == ("new", clock.now() - timedelta(seconds=5))
    clock.advance(25)
    assert cache.get(KEY) is None  # the new keep_for counts, not the old one


def test_keys_differing_only_in_party_size_do_not_share_an_entry(
    cache: Cache,
) -> None:
    cache.set("availability:resy:1001:2027-01-15:2", "for two", keep_for=600)
    cache.set("availability:resy:1001:2027-01-15:4", "for four", keep_for=600)

    two = cache.get("availability:resy:1001:2027-01-15:2")
    four = cache.get("availability:resy:1001:2027-01-15:4")

    assert (two and two.value, four and four.value) == ("for two", "for four")


@pytest.mark.parametrize("name", sorted(VALUES))
def test_values_come_back_equal_and_in_their_own_zone(cache: Cache, name: str) -> None:
    value = VALUES[name]
    cache.set(KEY, value, keep_for=600)

    entry = cache.get(KEY)

    assert entry is not None
    assert entry.value == value
    assert type(entry.value) is type(value)
    if isinstance(value, tuple | list):
        for got, sent in zip(entry.value, value, strict=True):
            # Equal wall times in one zone compare equal whatever the fold:
            # the offset and the zone are what a caller would see go wrong.
            assert got.start.tzinfo is sent.start.tzinfo
            assert got.start.utcoffset() == sent.start.utcoffset()
            assert got.end.utcoffset() == sent.end.utcoffset()
            assert got.platform is sent.platform
