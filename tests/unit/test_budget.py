"""Monthly budgets: warnings once per threshold a month, holds that never overspend."""

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest

from adapters.budget import BudgetedDirectory
from adapters.cache.memory import MemoryCache
from adapters.ledger_tap import TappedLedger
from application.budget import MonthlyBudgets
from application.restaurants import SearchQuery
from domain.errors import BudgetExceededError, TransientAPIError
from domain.messages import explain
from domain.models import ApiCall, Coordinates, Restaurant
from entrypoints.config import Settings
from entrypoints.container import Container
from tests.fakes import (
    FakeClock,
    FakeDirectory,
    FakeLedger,
    FakeMatcher,
    InMemoryCostReport,
)

PRICE = 35_000  # one Text Search Enterprise call
T0 = datetime(2027, 1, 30, 12, 0, tzinfo=UTC)
BISTRO = Restaurant("place-1", "Sandbox Bistro", location=Coordinates(40.7, -74.0))
TRATTORIA = Restaurant("place-2", "Sandbox Trattoria")
DINER = Restaurant("place-3", "Sandbox Diner")


def spend(clock: FakeClock, micros: int, at: datetime | None = None) -> ApiCall:
    return ApiCall(
        at=at or clock.now(),
        provider="google_places",
        operation="places.search",
        outcome="ok",
        latency_ms=1.0,
        cost_micros=micros,
    )


def reached(caplog) -> list[tuple[str, int]]:
    return [
        (r.month, r.threshold_percent)
        for r in caplog.records
        if r.getMessage() == "budget.threshold_reached"
    ]


class PricedDirectory:
    """A directory that, like the metered transport, records each call's cost."""

    provider = "google_places"

    def __init__(self, inner, ledger, clock, gate: asyncio.Event | None = None):
        self.inner, self.ledger, self.clock, self.gate = inner, ledger, clock, gate
        self.fail: Exception | None = None
        self.in_flight = self.most_in_flight = 0

    async def search(self, text, near, radius_m, limit):
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if self.gate is not None:
                await self.gate.wait()
            if self.fail is not None:
                raise self.fail
            found = await self.inner.search(text, near, radius_m, limit)
            self.ledger.record(spend(self.clock, PRICE))
            return found
        finally:
            self.in_flight -= 1

    async def details(self, place_id):
        return await self.inner.details(place_id)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def budgets(clock) -> MonthlyBudgets:
    return MonthlyBudgets({"google_places": 100_000}, clock)


def test_each_threshold_is_logged_once_per_month(budgets, clock, caplog):
    caplog.set_level(logging.WARNING, logger="application.budget")

    for _ in range(5):  # 30k, 60k, 90k (80 %), 120k (100 %), 150k
        budgets.observe(spend(clock, 30_000))

    assert reached(caplog) == [("2027-01", 80), ("2027-01", 100)]
    assert budgets.status("google_places").spent_micros == 150_000


def test_a_new_utc_month_starts_from_zero_and_warns_again(budgets, clock, caplog):
    caplog.set_level(logging.WARNING, logger="application.budget")
    budgets.observe(spend(clock, 100_000))
    clock.advance(timedelta(days=2).total_seconds())  # 2027-02-01 12:00 UTC

    assert budgets.status("google_places").spent_micros == 0
    budgets.observe(spend(clock, 85_000))
    budgets.observe(spend(clock, 1_000, at=T0))  # a January row arriving late

    assert reached(caplog) == [("2027-01", 80), ("2027-01", 100), ("2027-02", 80)]
    assert budgets.status("google_places").spent_micros == 85_000


def test_the_month_boundary_is_utc_midnight():
    clock = FakeClock(datetime(2027, 1, 31, 23, 59, 59, tzinfo=UTC))
    budgets = MonthlyBudgets({"google_places": 10}, clock)
    budgets.observe(spend(clock, 10))
    assert budgets.hold("google_places", 1) is None

    clock.advance(1)

    assert budgets.status("google_places").month == "2027-02"
    assert budgets.hold("google_places", 1) is not None


async def test_loading_the_month_does_not_repeat_passed_thresholds(clock, caplog):
    caplog.set_level(logging.INFO, logger="application.budget")
    rows = [spend(clock, 85_000), spend(clock, 50_000, at=T0 - timedelta(days=40))]
    budgets = MonthlyBudgets({"google_places": 100_000}, clock)

    await budgets.load(InMemoryCostReport(rows))
    budgets.observe(spend(clock, 20_000))

    assert budgets.status("google_places").spent_micros == 105_000
    loaded = [r for r in caplog.records if r.getMessage() == "budget.loaded"]
    assert loaded[0].thresholds_passed == [80]
    assert reached(caplog) == [("2027-01", 100)]


def test_holds_admit_calls_only_while_spent_and_held_are_under_the_limit(budgets):
    first = budgets.hold("google_places", 60_000)
    second = budgets.hold("google_places", 60_000)  # 60k held < 100k: admitted
    third = budgets.hold("google_places", 60_000)  # 120k held: refused

    assert (first is not None, second is not None, third) == (True, True, None)
    budgets.release(first)
    budgets.release(second)
    assert budgets.status("google_places").held_micros == 0
    assert budgets.hold("google_places", 60_000) is not None


def test_a_provider_without_a_budget_is_never_refused(budgets):
    assert budgets.hold("weather", 10**12) is not None
    assert budgets.status("weather") is None


async def test_concurrent_calls_never_overspend_by_more_than_one_price(clock):
    budgets = MonthlyBudgets({"google_places": 100_000}, clock)
    ledger = TappedLedger(FakeLedger(), [budgets.observe])
    gate = asyncio.Event()
    priced = PricedDirectory(FakeDirectory([BISTRO]), ledger, clock, gate)
    directory = BudgetedDirectory(priced, budgets, clock, search_micros=PRICE)

    calls = [
        asyncio.create_task(directory.search(f"bistro {n}", None, 500, 5))
        for n in range(50)
    ]
    await asyncio.sleep(0)
    gate.set()
    outcomes = await asyncio.gather(*calls, return_exceptions=True)

    made = [o for o in outcomes if not isinstance(o, BaseException)]
    refused = [o for o in outcomes if isinstance(o, BudgetExceededError)]
    spent = budgets.status("google_places").spent_micros
    assert priced.most_in_flight == len(made) == 3
    assert len(refused) == 47
    assert 100_000 <= spent < 100_000 + PRICE
    assert budgets.status("google_places").held_micros == 0


async def test_a_refusal_says_until_when_and_makes_no_call(clock):
    budgets = MonthlyBudgets({"google_places": 0}, clock)
    priced = PricedDirectory(FakeDirectory([BISTRO]), FakeLedger(), clock)
    directory = BudgetedDirectory(priced, budgets, clock)

    with pytest.raises(BudgetExceededError) as caught:
        await directory.search("bistro", None, 500, 5)

    error = caught.value
    assert error.provider == "google_places"
    assert error.retry_after == (datetime(2027, 2, 1, tzinfo=UTC) - T0).total_seconds()
    assert "budget of $0.00" in error.message and "2027-02-01" in error.message
    assert priced.most_in_flight == 0


async def test_a_failed_call_releases_its_hold(clock, budgets):
    priced = PricedDirectory(FakeDirectory([BISTRO]), FakeLedger(), clock)
    directory = BudgetedDirectory(priced, budgets, clock, search_micros=99_000)
    priced.fail = TransientAPIError("down", 503, provider="google_places")

    with pytest.raises(TransientAPIError):
        await directory.search("bistro", None, 500, 5)

    assert budgets.status("google_places").held_micros == 0
    assert budgets.hold("google_places", 99_000) is not None


async def test_past_the_budget_places_answers_from_cache_only(clock):
    container = Container(settings=Settings(budget_google_places_usd="0.05"))
    container.clock.override(clock)
    container.sql_ledger.override(FakeLedger())
    container.warm_cache.override(MemoryCache(clock))
    container.resy_matcher.override(FakeMatcher())
    fake = FakeDirectory([BISTRO, TRATTORIA, DINER])
    container.places.override(PricedDirectory(fake, container.ledger(), clock))
    lookup = container.restaurants()

    await lookup.search(SearchQuery("bistro"))  # $0.035 of $0.05
    await lookup.search(SearchQuery("trattoria"))  # $0.07: now past the budget
    again = await lookup.search(SearchQuery("bistro"))
    with pytest.raises(BudgetExceededError):
        await lookup.search(SearchQuery("diner"))

    assert again.restaurants == (BISTRO,)
    assert fake.searches == ["bistro", "trattoria"]
    assert container.budgets().status("google_places").exhausted


async def test_the_caller_is_told_why_and_until_when(clock):
    budgets = MonthlyBudgets({"google_places": 0}, clock)
    directory = BudgetedDirectory(FakeDirectory([BISTRO]), budgets, clock)
    with pytest.raises(BudgetExceededError) as caught:
        await directory.details("place-1")

    told = explain(caught.value)

    assert told.reason == "BUDGET_EXCEEDED"
    assert told.sentence.startswith("Google Places was not asked: the monthly")
    assert told.retry_after == caught.value.retry_after > 0
