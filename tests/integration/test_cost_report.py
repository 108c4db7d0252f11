"""The CostReport port: the SQL GROUP BY on SQLite and PostgreSQL, and its fake."""

from collections.abc import AsyncIterator
from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from adapters.allowances import free_allowances
from adapters.storage.cost_report import SqlCostReport
from adapters.storage.engine import default_sqlite_url, make_engine
from adapters.storage.ledger import SqlCostLedger
from adapters.storage.migrate import upgrade
from application.costs import ApiCosts
from domain.models import ApiCall
from domain.ports import SkuUsage, UsageTotals
from tests.fakes import FakeClock, InMemoryCostReport
from tests.postgres import scratch_schema

NOW = datetime(2027, 1, 20, 12, 0, tzinfo=UTC)
SINCE = datetime(2027, 1, 1, tzinfo=UTC)
LATE_19TH = datetime(2027, 1, 19, 23, 59, 59, 999_999, tzinfo=UTC)
MIDNIGHT_20TH = datetime(2027, 1, 20, tzinfo=UTC)
PRO = "places.text_search.pro"
DETAILS = "places.place_details.enterprise"


def row(provider: str, at: datetime, **changes) -> ApiCall:
    fields = {
        "at": at,
        "provider": provider,
        "operation": "op",
        "outcome": "ok",
        "latency_ms": 5.5,
        "http_status": 200,
    }
    fields.update(changes)
    if fields.get("cached"):
        fields.update(outcome="cache_hot", http_status=None)
    return ApiCall(**fields)


def seeded() -> list[ApiCall]:
    return [
        *(
            row("google_places", LATE_19TH, sku=PRO, cost_micros=32_000)
            for _ in range(3)
        ),
        *(
            row("google_places", MIDNIGHT_20TH, sku=DETAILS, cost_micros=20_000)
            for _ in range(2)
        ),
        row("google_places", NOW, sku=PRO, outcome="http_503", http_status=503),
        *(row("google_places", NOW, cached=True) for _ in range(5)),
        *(row("weather", LATE_19TH) for _ in range(4)),
        *(row("weather", NOW, cached=True) for _ in range(2)),
        row("resy", LATE_19TH, cached=True),
        *(row("resy", NOW - timedelta(hours=1)) for _ in range(2)),
        # Outside the window on either side:
        row("google_places", SINCE - timedelta(microseconds=1), cost_micros=32_000),
        row("google_places", NOW + timedelta(seconds=1), cost_micros=32_000),
    ]


async def _sql_ledger_with(engine: Engine, rows: list[ApiCall]) -> SqlCostReport:
    ledger = SqlCostLedger(engine, FakeClock(NOW), batch_size=7)
    for call in rows:
        ledger.record(call)
    await ledger.close()
    return SqlCostReport(engine)


class Backend:
    """Makes a CostReport holding given rows, on one kind of storage."""

    def __init__(self, kind: str, tmp_path: Path) -> None:
        self.kind, self.tmp_path = kind, tmp_path
        self.engine: Engine | None = None
        self._cleanup: list = []

    async def report(self, rows: list[ApiCall]):
        if self.kind == "fake":
            return InMemoryCostReport(rows)
        if self.kind == "sqlite":
            self.engine = make_engine(default_sqlite_url(self.tmp_path / "data"))
        else:
            self.engine = self._postgres()
        upgrade(self.engine)
        return await _sql_ledger_with(self.engine, rows)

    def _postgres(self) -> Engine:
        # A session zone far from UTC: days must still be UTC days.
        stack = ExitStack()
        url = stack.enter_context(
            scratch_schema("rg_costs", "-ctimezone=Pacific/Kiritimati")
        )
        self._cleanup.append(stack.close)
        return make_engine(url)

    def close(self) -> None:
        if self.engine is not None:
            self.engine.dispose()
        for step in self._cleanup:
            step()


@pytest.fixture(
    params=["fake", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
async def backend(request, tmp_path) -> AsyncIterator[Backend]:
    made = Backend(request.param, tmp_path)
    yield made
    made.close()


def _sorted(found):
    return sorted(found, key=lambda t: (t.provider, t.day or date.min))


async def test_totals_per_provider_match_the_hand_computed_figures(backend):
    report = await backend.report(seeded())

    totals = _sorted(await report.totals(SINCE, NOW))

    assert totals == [
        UsageTotals("google_places", calls=6, cache_hits=5, cost_micros=136_000),
        UsageTotals("resy", calls=2, cache_hits=1, cost_micros=0),
        UsageTotals("weather", calls=4, cache_hits=2, cost_micros=0),
    ]


async def test_days_are_utc_days_split_at_midnight(backend):
    report = await backend.report(seeded())

    daily = _sorted(await report.totals(SINCE, NOW, by_day=True))

    d19, d20 = date(2027, 1, 19), date(2027, 1, 20)
    assert daily == [
        UsageTotals("google_places", 3, 0, 96_000, d19),
        UsageTotals("google_places", 3, 5, 40_000, d20),
        UsageTotals("resy", 0, 1, 0, d19),
        UsageTotals("resy", 2, 0, 0, d20),
        UsageTotals("weather", 4, 0, 0, d19),
        UsageTotals("weather", 0, 2, 0, d20),
    ]


async def test_answered_calls_per_sku_leave_out_errors_and_cache_hits(backend):
    report = await backend.report(seeded())

    found = await report.answered(SINCE, NOW)

    assert sorted(found, key=lambda u: (u.provider, u.sku)) == [
        SkuUsage("google_places", DETAILS, 2, 40_000),
        SkuUsage("google_places", PRO, 3, 96_000),
        SkuUsage("resy", "", 2, 0),
        SkuUsage("weather", "", 4, 0),
    ]


async def test_sums_stay_exact_beyond_a_floats_53_bits(backend):
    big = 2**53 + 1
    rows = [
        row("google_places", NOW, cost_micros=big),
        row("google_places", NOW, cost_micros=1),
    ]
    report = await backend.report(rows)

    (totals,) = await report.totals(SINCE, NOW)

    assert totals.cost_micros == 2**53 + 2


async def test_the_report_text_from_the_database_matches_the_rows(backend):
    rows = seeded()
    report = await backend.report(rows)
    costs = ApiCosts(report, _NoBuffer(), FakeClock(NOW), allowances=free_allowances())

    summary = await costs(20)

    assert summary.text.splitlines() == [
        "API costs (last 20 days):",
        "Google Places: $0.14 (6 calls, 45% cache hit rate)",  # 5 / 11 hits
        "OpenWeatherMap: $0.00 (free tier, 4 calls)",
        "Resy: $0.00 (unofficial API)",
        "OpenTable: $0.00 (browser automation)",
        "Total: $0.14",  # 136,000 micro-dollars, half up
    ]
    uses = {u.sku: u.used for u in summary.providers[0].allowances}
    assert uses == {PRO: 3, DETAILS: 2}


class _NoBuffer:
    def record(self, call: ApiCall) -> None:
        raise AssertionError("the report records nothing")

    async def flush(self) -> None:
        return None


async def test_a_report_right_after_calls_counts_rows_still_buffered(tmp_path):
    engine = make_engine(default_sqlite_url(tmp_path / "data"))
    upgrade(engine)
    ledger = SqlCostLedger(engine, FakeClock(NOW), batch_size=500)
    await ledger.start()
    try:
        for _ in range(3):
            ledger.record(row("google_places", NOW, sku=PRO, cost_micros=32_000))
        assert ledger.pending == 3
        costs = ApiCosts(SqlCostReport(engine), ledger, FakeClock(NOW))

        summary = await costs(1)
    finally:
        await ledger.close()
        engine.dispose()

    assert summary.providers[0].calls == 3
    assert summary.total_micros == 96_000
