"""Unit tests build the application through the real container, with fakes."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from adapters.cache.memory import MemoryCache
from domain.errors import TransientAPIError
from domain.models import AvailabilityQuery, Platform, RestaurantRef, Slot
from entrypoints.config import Settings
from entrypoints.container import Container
from tests.fakes import FakeAvailability, FakeClock, FakeLedger

NY = ZoneInfo("America/New_York")
BISTRO = RestaurantRef(
    name="Sandbox Bistro",
    time_zone="America/New_York",
    resy_venue_id="1001",
    resy_url_slug="sandbox-1001",
    resy_city="new-york-ny",
    opentable_slug="sandbox-1001-new-york",
    website="https://bistro.example",
)


def slot_at(hour: int, minute: int = 0, day: date = date(2027, 1, 15)) -> Slot:
    start = datetime(day.year, day.month, day.day, hour, minute, tzinfo=NY)
    return Slot(
        start, None, "Dining Room", Platform.RESY, f"rgs://resy/1001/{hour}{minute}"
    )


class Unwired:
    """A port a unit test did not set up: using it is a test bug, said loudly."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __getattr__(self, attribute: str):
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        raise AssertionError(f"unit test used the real {self.name}.{attribute}")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2027, 1, 10, 17, 0, tzinfo=UTC))


@pytest.fixture
def resy() -> FakeAvailability:
    return FakeAvailability("resy")


@pytest.fixture
def opentable() -> FakeAvailability:
    """OpenTable is down unless a test says otherwise."""
    fake = FakeAvailability("opentable")
    fake.default = TransientAPIError("503", 503, provider="opentable")
    return fake


@pytest.fixture
def container(
    clock: FakeClock, resy: FakeAvailability, opentable: FakeAvailability
) -> Container:
    container = Container(settings=Settings())
    container.clock.override(clock)
    container.resy.override(resy)
    container.opentable.override(opentable)
    for name in (
        "places",
        "resy_matcher",
        "weather",
        "resy_booking",
        "opentable_booking",
    ):
        getattr(container, name).override(Unwired(name))
    container.ledger.override(FakeLedger())
    # The warm tier in unit tests is a second in-memory cache, not SQL.
    container.warm_cache.override(MemoryCache(clock))
    return container


@pytest.fixture
def query() -> AvailabilityQuery:
    return AvailabilityQuery(BISTRO, date(2027, 1, 15), 2)
