"""The API cost report: the spec's text, one rounding, windows, allowances."""

from datetime import UTC, datetime, timedelta

import pytest

from application.budget import MonthlyBudgets
from application.costs import ANY_SKU, ApiCosts, FreeAllowance
from domain.errors import InvalidRequestError
from domain.models import ApiCall
from tests.fakes import FakeClock, InMemoryCostReport

NOW = datetime(2027, 1, 20, 12, 0, tzinfo=UTC)
SPEC_TEXT = """\
API costs (last 30 days):
Google Places: $3.20 (100 calls, 67% cache hit rate)
OpenWeatherMap: $0.00 (free tier, 45 calls)
Resy: $0.00 (unofficial API)
OpenTable: $0.00 (browser automation)
Total: $3.20"""


def call(provider: str, **changes) -> ApiCall:
    fields = {
        "at": NOW - timedelta(hours=1),
        "provider": provider,
        "operation": "op",
        "outcome": "ok",
        "latency_ms": 12.0,
    }
    fields.update(changes)
    return ApiCall(**fields)


def hits(provider: str, count: int) -> list[ApiCall]:
    return [call(provider, cached=True, outcome="cache_hot") for _ in range(count)]


class BufferedLedger:
    """Holds rows until flushed, as the SQL ledger does."""

    def __init__(self, store: list[ApiCall]) -> None:
        self.store = store
        self.buffer: list[ApiCall] = []
        self.flushes = 0

    def record(self, row: ApiCall) -> None:
        self.buffer.append(row)

    async def flush(self) -> None:
        self.flushes += 1
        self.store.extend(self.buffer)
        self.buffer.clear()


def report(rows: list[ApiCall], **options) -> tuple[ApiCosts, BufferedLedger]:
    ledger = BufferedLedger(rows)
    costs = ApiCosts(InMemoryCostReport(rows), ledger, FakeClock(NOW), **options)
    return costs, ledger


def spec_rows() -> list[ApiCall]:
    places = [
        call("google_places", cost_micros=32_000, sku="places.text_search.pro")
        for _ in range(100)
    ]
    return [
        *places,
        *hits("google_places", 203),  # 203 / 303 = 66.997 %: "67%"
        *(call("weather") for _ in range(45)),
        *hits("weather", 9),
        *(call("resy") for _ in range(12)),
        *hits("resy", 30),
        *(call("opentable", operation="browser_run") for _ in range(3)),
    ]


async def test_the_text_is_exactly_the_specs_format():
    costs, _ = report(spec_rows())

    summary = await costs(30)

    assert summary.text == SPEC_TEXT
    places = summary.providers[0]
    assert (places.provider, places.calls, places.cache_hits) == (
        "google_places",
        100,
        203,
    )
    assert places.cost_micros == 3_200_000
    assert places.hit_rate == pytest.approx(203 / 303)
    assert summary.total_micros == 3_200_000


async def test_buffered_rows_are_flushed_before_the_report_reads():
    rows: list[ApiCall] = []
    costs, ledger = report(rows)
    ledger.record(call("google_places", cost_micros=35_000))

    summary = await costs(30)

    assert ledger.flushes == 1
    assert summary.providers[0].calls == 1
    assert summary.total_micros == 35_000


async def test_the_total_is_the_rounded_exact_sum_not_a_sum_of_rounded_lines():
    rows = [
        call("google_places", cost_micros=5_000),  # $0.005 -> $0.01
        call("calendar", cost_micros=4_000),  # $0.004 -> $0.00
        call("calendar", cost_micros=1_000),
    ]
    costs, _ = report(rows)

    summary = await costs(7)

    lines = summary.text.splitlines()
    assert lines[0] == "API costs (last 7 days):"
    assert lines[1] == "Google Places: $0.01 (1 call, 0% cache hit rate)"
    assert lines[5] == "Google Calendar: $0.01 (2 calls)"
    assert lines[6] == "Total: $0.01"
    assert summary.total_micros == 10_000


async def test_the_four_known_providers_are_always_listed_even_unused():
    costs, _ = report([])

    summary = await costs(1)

    assert summary.text.splitlines() == [
        "API costs (last 1 day):",
        "Google Places: $0.00 (0 calls, 0% cache hit rate)",
        "OpenWeatherMap: $0.00 (free tier, 0 calls)",
        "Resy: $0.00 (unofficial API)",
        "OpenTable: $0.00 (browser automation)",
        "Total: $0.00",
    ]


@pytest.mark.parametrize("days", [0, -1, 3651, 10**9])
async def test_days_out_of_range_are_invalid_with_a_field_violation(days):
    costs, ledger = report([])

    with pytest.raises(InvalidRequestError) as caught:
        await costs(days)

    assert [v.field for v in caught.value.violations] == ["days"]
    assert ledger.flushes == 0


@pytest.mark.parametrize("days", [1, 3650])
async def test_days_at_the_bounds_are_valid(days):
    costs, _ = report([])

    assert (await costs(days)).days == days


async def test_the_window_is_the_last_n_utc_calendar_days():
    midnight = datetime(2027, 1, 20, tzinfo=UTC)
    rows = [
        call("resy", at=midnight - timedelta(microseconds=1)),
        call("resy", at=midnight),
        call("resy", at=NOW),
    ]
    costs, _ = report(rows)

    one_day = await costs(1)
    two_days = await costs(2)

    assert one_day.since == midnight
    assert one_day.providers[2].calls == 2
    assert two_days.providers[2].calls == 3


async def test_by_day_rows_split_at_utc_midnight_in_provider_order():
    day1, day2 = datetime(2027, 1, 19, 23, 59, tzinfo=UTC), NOW
    rows = [
        call("resy", at=day2),
        call("google_places", at=day2, cost_micros=35_000),
        call("google_places", at=day1, cost_micros=35_000),
        call("google_places", at=day1, cached=True),
    ]
    costs, _ = report(rows)

    summary = await costs(30, by_day=True)

    shape = [
        (r.day.isoformat(), r.provider, r.calls, r.cache_hits) for r in summary.by_day
    ]
    assert shape == [
        ("2027-01-19", "google_places", 1, 1),
        ("2027-01-20", "google_places", 1, 0),
        ("2027-01-20", "resy", 1, 0),
    ]
    assert summary.text.splitlines()[-3:] == [
        "2027-01-19 Google Places: $0.04 (1 call, 1 cache hit)",
        "2027-01-20 Google Places: $0.04 (1 call, 0 cache hits)",
        "2027-01-20 Resy: $0.00 (1 call, 0 cache hits)",
    ]


async def test_free_allowances_count_answered_calls_this_utc_month():
    sku = "places.place_details.enterprise"
    rows = [
        call("google_places", sku=sku, cost_micros=20_000),
        call("google_places", sku=sku, outcome="http_503"),  # not answered
        call("google_places", sku=sku, at=datetime(2026, 12, 31, 23, tzinfo=UTC)),
        call("weather"),
        call("weather", cached=True, outcome="cache_hot"),
    ]
    allowances = [
        FreeAllowance("google_places", sku, 1_000),
        FreeAllowance("google_places", "places.text_search.pro", 5_000),
        FreeAllowance("weather", ANY_SKU, 1_000_000),
    ]
    costs, _ = report(rows, allowances=allowances)

    summary = await costs(30)

    places, weather = summary.providers[0], summary.providers[1]
    assert [(u.sku, u.month, u.used, u.free_per_month) for u in places.allowances] == [
        (sku, "2027-01", 1, 1_000)
    ]
    assert [(u.sku, u.used) for u in weather.allowances] == [(ANY_SKU, 1)]


async def test_a_spent_budget_is_stated_after_the_total():
    rows = [call("google_places", cost_micros=35_000) for _ in range(3)]
    budgets = MonthlyBudgets({"google_places": 100_000}, FakeClock(NOW))
    for row in rows:
        budgets.observe(row)
    costs, _ = report(rows, budgets=budgets)

    summary = await costs(30)

    assert summary.text.splitlines()[5:] == [
        "Total: $0.11",
        "Google Places budget (2027-01): $0.11 of $0.10 (105%), served from cache only",
    ]
    assert summary.providers[0].budget.exhausted
