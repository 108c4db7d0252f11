"""The reservation store's promises, on SQLite and on PostgreSQL alike."""

import dataclasses
import multiprocessing
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select

from adapters.clock import SystemClock
from adapters.storage.engine import make_engine
from adapters.storage.reservations import SqlReservationStore, new_reservation_id
from adapters.storage.schema import reservations
from domain.models import (
    Guest,
    Platform,
    Reservation,
    ReservationStatus,
    RestaurantRef,
)
from domain.ports import ReservationStore
from tests.fakes import FakeClock

NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
T0 = datetime(2027, 1, 10, 17, 0, tzinfo=UTC)
TAVERN = RestaurantRef(
    "Sandbox Tavern",
    "America/New_York",
    resy_venue_id="1001",
    resy_url_slug="sandbox-1001",
    resy_city="new-york-ny",
    opentable_slug="sandbox-1001-new-york",
    website="https://tavern.example",
    address="12 Harrow Lane, New York, NY 10013",
)
LEDGER = RestaurantRef("The Quiet Ledger", "Europe/London", resy_venue_id="4001")


def draft(key: str, **changes: Any) -> Reservation:
    fields: dict[str, Any] = {
        "reservation_id": new_reservation_id(),
        "idempotency_key": key,
        "fingerprint": f"fp-{key}",
        "restaurant": TAVERN,
        "party_size": 2,
        "guest": Guest("Ada Lovelace", "+1 212 555 0100", "ada@example.invalid"),
        "status": ReservationStatus.PENDING,
        "created_at": T0,
        "updated_at": T0,
        "start": datetime(2027, 1, 12, 19, 30, tzinfo=NEW_YORK),
        "slot_token": "rgs://resy/1001/10011/2/2027-01-12/2027-01-12/19:30:00/2/x",
    }
    fields.update(changes)

    return Reservation(**fields)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> Engine:
    return request.getfixturevalue(f"{request.param}_engine")


@pytest.fixture
def store(engine: Engine, clock: FakeClock) -> ReservationStore:
    return SqlReservationStore(engine, clock)


def test_a_key_is_claimed_once_and_then_returns_the_same_row(store) -> None:
    first = draft("key-1")

    stored, created = store.claim(first)
    again, created_again = store.claim(
        draft("key-1", fingerprint="other", party_size=4)
    )

    assert (created, created_again) == (True, False)
    assert stored == first
    assert again == stored
    assert store.by_key("key-1") == stored
    assert store.get(first.reservation_id) == stored


def test_unknown_ids_and_keys_are_none(store) -> None:
    store.claim(draft("key-1"))

    assert store.get("rsv_0000000000000000") is None
    assert store.by_key("key-2") is None


def test_save_updates_everything_but_identity_and_stamps_the_time(store, clock):
    stored, _ = store.claim(draft("key-1"))
    clock.advance(42)
    confirmed = dataclasses.replace(
        stored,
        status=ReservationStatus.CONFIRMED,
        platform=Platform.RESY,
        confirmation_id="900000001",
        platform_token="rr://sandbox/abc",
        message="Booked at Sandbox Tavern for 2 at 19:30",
        guest=Guest("Ada King", "+44 20 7946 0000"),
        created_at=T0 + timedelta(days=9),  # the creation time is not rewritten
        updated_at=clock.now(),  # the caller stamps it, so what it holds is stored
    )

    store.save(confirmed)

    expected = dataclasses.replace(confirmed, created_at=T0)
    assert store.get(stored.reservation_id) == expected
    assert store.by_key("key-1") == expected


def test_saving_an_unclaimed_reservation_is_refused(store) -> None:
    with pytest.raises(LookupError, match="claim it first"):
        store.save(draft("key-1"))


def test_list_is_newest_first_and_limited(store) -> None:
    for n in range(5):
        store.claim(draft(f"key-{n}", created_at=T0 + timedelta(minutes=n)))

    newest = store.list(limit=3)

    assert [r.idempotency_key for r in newest] == ["key-4", "key-3", "key-2"]
    assert len(store.list()) == 5
    assert store.list(limit=0) == []


@pytest.mark.parametrize(
    ("restaurant", "start"),
    [
        (TAVERN, datetime(2027, 3, 14, 3, 30, tzinfo=NEW_YORK)),  # after the gap
        (TAVERN, datetime(2027, 11, 7, 1, 30, tzinfo=NEW_YORK, fold=0)),  # EDT
        (TAVERN, datetime(2027, 11, 7, 1, 30, tzinfo=NEW_YORK, fold=1)),  # EST
        (LEDGER, datetime(2027, 10, 31, 1, 15, tzinfo=LONDON, fold=1)),  # GMT
        (LEDGER, datetime(2027, 3, 28, 2, 15, tzinfo=UTC)),  # given in UTC
    ],
)
def test_start_comes_back_aware_in_the_restaurants_zone_across_dst(
    store, restaurant: RestaurantRef, start: datetime
) -> None:
    zone = ZoneInfo(restaurant.time_zone)
    stored, _ = store.claim(draft("key-1", restaurant=restaurant, start=start))

    read = store.get(stored.reservation_id)

    assert read is not None and read.start is not None
    assert read.start.timestamp() == start.timestamp()  # the same instant
    assert read.start.tzinfo == zone
    assert read.start.utcoffset() == start.astimezone(zone).utcoffset()
    assert read.created_at.tzinfo is UTC


def test_a_reservation_without_a_start_or_platform_round_trips(store) -> None:
    bare = draft("key-1", start=None, platform=None, slot_token="")

    stored, _ = store.claim(bare)

    assert store.get(bare.reservation_id) == stored == bare


def _claim_from_child(url: str, keys: list[str], barrier: Any, out: Any) -> None:
    engine = make_engine(url)
    store = SqlReservationStore(engine, SystemClock())
    barrier.wait()
    created = [key for key in keys if store.claim(draft(key))[1]]
    engine.dispose()
    out.put(created)


def test_two_processes_claiming_the_same_keys_create_each_once(engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    keys = [f"race-{n:02d}" for n in range(50)]
    spawn = multiprocessing.get_context("spawn")
    barrier, out = spawn.Barrier(2), spawn.Queue()
    workers = [
        spawn.Process(target=_claim_from_child, args=(url, keys, barrier, out))
        for _ in range(2)
    ]
    for process in workers:
        process.start()
    created = [out.get(timeout=90) for _ in workers]
    for process in workers:
        process.join(timeout=30)

    assert [process.exitcode for process in workers] == [0, 0]
    assert sorted(created[0] + created[1]) == keys
    with engine.connect() as conn:
        rows = conn.execute(select(func.count()).select_from(reservations)).scalar()
    assert rows == 50
