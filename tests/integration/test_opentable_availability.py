"""OpenTable availability in real headless Chromium against the sandbox's pages."""

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio

from adapters.opentable.availability import OpenTableAvailability
from adapters.opentable.browser import BrowserPool
from adapters.opentable.settings import OpenTableSettings
from domain import context
from domain.errors import (
    CAPTCHAError,
    InvalidRequestError,
    PermanentAPIError,
    SchemaChangeError,
    TransientAPIError,
    UpstreamTimeoutError,
)
from domain.models import AvailabilityQuery, Platform, RestaurantRef
from entrypoints.sandbox.catalogue import default_catalogue
from entrypoints.sandbox.server import RunningSandbox, start_sandbox
from tests.fakes import FakeClock, FakeLedger

pytestmark = pytest.mark.asyncio(loop_scope="module")

NEW_YORK = ZoneInfo("America/New_York")
TAVERN = RestaurantRef(
    "Sandbox Tavern", "America/New_York", opentable_slug="sandbox-1001-new-york"
)
DAY = date(2027, 1, 12)  # two days after FakeClock's "now"


@pytest.fixture(scope="module")
def clock() -> FakeClock:
    return FakeClock()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def sandbox(clock: FakeClock):
    running = await start_sandbox(clock=clock)
    yield running
    await running.close()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def pool(sandbox: RunningSandbox):
    shared = BrowserPool(OpenTableSettings(base_url=sandbox.base_url))
    yield shared
    await shared.close()


@pytest.fixture(autouse=True)
def healthy(sandbox: RunningSandbox):
    yield
    sandbox.faults.clear()


@pytest.fixture
def ledger() -> FakeLedger:
    return FakeLedger()


@pytest.fixture
def opentable(pool: BrowserPool, sandbox: RunningSandbox, clock, ledger):
    def make(step: float = 10.0, navigation: float = 20.0) -> OpenTableAvailability:
        settings = OpenTableSettings(
            base_url=sandbox.base_url, step_timeout=step, navigation_timeout=navigation
        )
        return OpenTableAvailability(pool, settings, clock, ledger)

    return make


def _query(day: date = DAY, party: int = 2, at: time | None = None, **changes):
    return AvailabilityQuery(replace(TAVERN, **changes), day, party, at)


def _expected_times(clock: FakeClock, day: date, party: int, around: time):
    """What the sandbox's catalogue has open within 150 minutes of `around`."""
    catalogue = default_catalogue()
    venue = catalogue.opentable_venue("sandbox-1001-new-york")
    asked = datetime.combine(day, around)
    starts = {o.start for o in catalogue.openings(venue, day, party, clock.now())}

    return sorted(s for s in starts if abs(s - asked) <= timedelta(minutes=150))


async def test_slots_carry_the_restaurants_local_times_and_a_token(
    opentable, clock
) -> None:
    slots = await opentable().find_slots(_query())

    expected = _expected_times(clock, DAY, 2, time(19, 0))
    assert expected, "the catalogue must have tables that evening"
    assert [s.start.replace(tzinfo=None) for s in slots] == expected
    first = slots[0]
    assert first.start.tzinfo == NEW_YORK
    assert first.start.utcoffset() == timedelta(hours=-5)
    assert first.platform is Platform.OPENTABLE
    assert first.end is None
    assert first.token == f"ot://sandbox-1001-new-york/{expected[0]:%Y-%m-%dT%H:%M}/2"


async def test_a_preferred_time_is_asked_for_and_comes_first(opentable, clock):
    slots = await opentable().find_slots(_query(at=time(20, 15)))

    expected = _expected_times(clock, DAY, 2, time(20, 15))
    assert {s.start.replace(tzinfo=None) for s in slots} == set(expected)
    distance = [
        abs(s.start.replace(tzinfo=None) - datetime(2027, 1, 12, 20, 15)) for s in slots
    ]
    assert distance == sorted(distance)


@pytest.mark.parametrize(("day", "party"), [(DAY, 9), (DAY + timedelta(days=90), 2)])
async def test_a_page_saying_no_availability_is_an_empty_answer(
    opentable, ledger, day: date, party: int
) -> None:
    assert await opentable().find_slots(_query(day=day, party=party)) == []
    assert [row.outcome for row in ledger.rows] == ["ok"]


async def test_an_unknown_restaurant_is_a_permanent_404(opentable) -> None:
    with pytest.raises(PermanentAPIError) as caught:
        await opentable().find_slots(_query(opentable_slug="no-such-place"))

    assert caught.value.status_code == 404
    assert not isinstance(caught.value, TransientAPIError)


@pytest.mark.parametrize(
    ("fault", "status"),
    [("botwall", 403), ("botwall200", 200), ("captcha", 200)],
)
async def test_bot_walls_and_captchas_are_captcha_errors(
    opentable, sandbox, ledger, fault: str, status: int
) -> None:
    sandbox.faults.apply(f"opentable={fault}")

    with pytest.raises(CAPTCHAError) as caught:
        await opentable().find_slots(_query())

    assert caught.value.status_code == status
    assert caught.value.provider == "opentable"
    assert [(r.outcome, r.http_status) for r in ledger.rows] == [("captcha", status)]


@pytest.mark.parametrize(
    ("variant", "missing"),
    [("slots", "slot buttons"), ("container", "slot list")],
)
async def test_changed_markup_is_a_schema_change_naming_what_is_missing(
    opentable, sandbox, ledger, variant: str, missing: str
) -> None:
    sandbox.faults.apply(f"opentable=markup:{variant}")

    with pytest.raises(SchemaChangeError, match=missing):
        await opentable().find_slots(_query())

    assert [row.outcome for row in ledger.rows] == ["schema_change"]


async def test_slots_slower_than_the_step_timeout_are_an_upstream_timeout(
    opentable, sandbox, ledger
) -> None:
    sandbox.faults.apply("opentable=slowrender:30")

    with pytest.raises(UpstreamTimeoutError, match="times"):
        await opentable(step=0.3).find_slots(_query())

    assert [row.outcome for row in ledger.rows] == ["timeout"]


async def test_slots_a_little_late_still_arrive(opentable, sandbox) -> None:
    sandbox.faults.apply("opentable=slowrender:0.5")

    assert await opentable().find_slots(_query())


async def test_the_callers_deadline_cuts_every_step_short(
    opentable, sandbox, clock
) -> None:
    sandbox.faults.apply("opentable=slowrender:30")
    # The fake clock stands still, so 0.3 s stay left for every step.
    token = context.deadline.set(clock.monotonic() + 0.3)
    try:
        with pytest.raises(UpstreamTimeoutError):
            await opentable(step=30.0, navigation=30.0).find_slots(_query())
    finally:
        context.deadline.reset(token)


async def test_a_spent_deadline_opens_no_page(opentable, sandbox, clock, ledger):
    before = sandbox.stats.count("opentable")
    token = context.deadline.set(clock.monotonic() - 1.0)
    try:
        with pytest.raises(UpstreamTimeoutError) as caught:
            await opentable().find_slots(_query())
    finally:
        context.deadline.reset(token)

    assert caught.value.maybe_received is False
    assert sandbox.stats.count("opentable") == before
    assert [row.outcome for row in ledger.rows] == ["timeout"]


async def test_an_outage_is_transient_with_its_status(opentable, sandbox, ledger):
    sandbox.faults.apply("opentable=outage")

    with pytest.raises(TransientAPIError) as caught:
        await opentable().find_slots(_query())

    assert caught.value.status_code == 503
    assert not isinstance(caught.value, CAPTCHAError | UpstreamTimeoutError)
    assert [(r.outcome, r.http_status) for r in ledger.rows] == [("http_503", 503)]


async def test_a_rate_limit_carries_retry_after(opentable, sandbox) -> None:
    sandbox.faults.apply("opentable=429-seconds:30")

    with pytest.raises(TransientAPIError) as caught:
        await opentable().find_slots(_query())

    assert (caught.value.status_code, caught.value.retry_after) == (429, 30.0)


async def test_a_dropped_connection_is_transient_not_a_timeout(opentable, sandbox):
    sandbox.faults.apply("opentable=reset")

    with pytest.raises(TransientAPIError) as caught:
        await opentable().find_slots(_query())

    assert not isinstance(caught.value, UpstreamTimeoutError)


async def test_a_hung_page_ends_in_a_navigation_timeout(opentable, sandbox) -> None:
    sandbox.faults.apply("opentable=hang")

    with pytest.raises(UpstreamTimeoutError):
        await opentable(navigation=0.3).find_slots(_query())


async def test_every_run_writes_one_free_ledger_row(opentable, ledger) -> None:
    adapter = opentable()
    for _ in range(3):
        await adapter.find_slots(_query())

    assert len(ledger.rows) == 3
    row = ledger.rows[0]
    assert (row.provider, row.operation, row.outcome) == (
        "opentable",
        "availability",
        "ok",
    )
    assert (row.cost_micros, row.http_status, row.cached) == (0, 200, False)
    assert row.latency_ms >= 0


async def test_a_bad_time_zone_is_refused_before_any_page_opens(
    opentable, sandbox, ledger
) -> None:
    before = sandbox.stats.count("opentable")

    with pytest.raises(InvalidRequestError):
        await opentable().find_slots(_query(time_zone="Mars/Olympus"))

    assert sandbox.stats.count("opentable") == before
    assert ledger.rows == []


async def test_serves_only_restaurants_with_a_slug(opentable) -> None:
    adapter = opentable()

    assert adapter.serves(TAVERN)
    assert not adapter.serves(RestaurantRef("Elsewhere", "America/New_York", "1002"))


async def test_many_calls_share_one_browser(opentable, pool: BrowserPool) -> None:
    adapter = opentable()
    for _ in range(2):
        await adapter.find_slots(_query())

    assert pool.launches == 1
    assert pool.open_contexts == 0
