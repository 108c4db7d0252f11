"""Chaos: retried MakeReservation calls while Resy commits bookings then hangs."""

import asyncio
import dataclasses
from datetime import timedelta

import httpx
import pytest

from adapters.resilience.policy import DEFAULT_POLICIES
from adapters.storage.migrate import upgrade
from domain.errors import APIError
from domain.models import AvailabilityQuery, Guest, ReservationStatus, RestaurantRef
from domain.validation import BookingInput
from entrypoints.config import Settings
from entrypoints.container import Container
from entrypoints.sandbox.server import start_sandbox

KEYS = 50
CALLS = 200
VENUE = RestaurantRef(
    name="Sandbox Tavern",
    time_zone="America/New_York",
    resy_venue_id="1001",
    resy_url_slug="sandbox-1001",
    resy_city="new-york-ny",
)


@pytest.fixture
async def gateway(tmp_path):
    sandbox = await start_sandbox()
    address = sandbox.base_url.removeprefix("http://")
    # The breaker would open under this many hangs; here only idempotency
    # is under test, so it is set out of reach.
    policies = dict(DEFAULT_POLICIES)
    policies["resy"] = dataclasses.replace(policies["resy"], fail_max=10_000)
    settings = Settings(
        data_dir=tmp_path,
        sandbox_address=address,
        resy_timeout=1.0,
        opentable_base_url="http://127.0.0.1:9",  # OpenTable is not in this test
        policies=policies,
    )
    container = Container(settings=settings)
    upgrade(container.engine())
    await container.ledger().start()
    yield container, sandbox
    await container.ledger().close()
    await container.resy_http().aclose()
    container.engine().dispose()
    await sandbox.close()


async def _requests(container) -> list[BookingInput]:
    """One distinct, bookable slot per key: the first free table on 50 days."""
    resy = container.resy()
    today = container.clock().now().date()
    requests = []
    for offset in range(1, KEYS + 1):
        day = today + timedelta(days=offset)
        slots = await resy.find_slots(AvailabilityQuery(VENUE, day, 2))
        slot = slots[0]
        requests.append(
            BookingInput(
                VENUE,
                2,
                Guest("Ada Lovelace"),
                f"chaos-key-{offset:04d}",
                slot.token,
                slot.start.date(),
                slot.start.time().replace(tzinfo=None),
            )
        )
    return requests


async def test_every_key_books_exactly_once_under_ambiguous_timeouts(gateway, caplog):
    container, sandbox = gateway
    requests = await _requests(container)
    sandbox.faults.apply("resy=book-timeout:0.3,resy=seed:7")
    book = container.make_reservation()
    outcomes: list[ReservationStatus] = []

    async def client(request: BookingInput) -> None:
        # A client that retries on errors and on answers it cannot act on.
        for _ in range(6):
            try:
                answer = await book(request)
            except APIError:
                continue
            outcomes.append(answer.reservation.status)
            if answer.reservation.status is ReservationStatus.CONFIRMED:
                return

    calls = [requests[n % KEYS] for n in range(CALLS)]
    await asyncio.gather(*(client(request) for request in calls))

    async with httpx.AsyncClient(trust_env=False) as http:
        upstream = (
            await http.get(sandbox.base_url + "/_sandbox/resy/reservations")
        ).json()
    per_slot: dict[tuple[object, ...], int] = {}
    for row in upstream:
        key = (row.get("day"), row.get("time_slot"), row.get("num_seats"))
        per_slot[key] = per_slot.get(key, 0) + 1
    stored = container.reservation_store().list(limit=500)

    ambiguous = [r for r in caplog.records if r.getMessage() == "booking.ambiguous"]
    assert len(ambiguous) >= 5  # about 30 % of 50 book calls hung after committing
    assert sandbox.stats.count("resy", "/3/book") == KEYS  # none was re-sent
    assert len(upstream) == KEYS
    assert set(per_slot.values()) == {1}
    assert len(stored) == KEYS
    assert {r.status for r in stored} == {ReservationStatus.CONFIRMED}
    assert len({r.confirmation_id for r in stored}) == KEYS
