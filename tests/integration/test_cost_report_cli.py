"""`reservation-gateway costs`: the report of the database, as text and as CSV."""

import asyncio
import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from adapters.storage.engine import default_sqlite_url, make_engine
from adapters.storage.ledger import SqlCostLedger
from adapters.storage.migrate import upgrade
from domain.models import ApiCall
from entrypoints.cli import main
from tests.fakes import FakeClock

AT = datetime.now(UTC) - timedelta(minutes=5)


def _rows() -> list[ApiCall]:
    def call(provider: str, **changes) -> ApiCall:
        fields = {"at": AT, "provider": provider, "operation": "op", "outcome": "ok"}
        return ApiCall(latency_ms=1.0, **(fields | changes))

    return [
        *(call("google_places", cost_micros=20_000) for _ in range(3)),
        call("google_places", cached=True, outcome="cache_warm"),
        *(call("weather") for _ in range(2)),
        call("opentable", operation="browser_run"),
    ]


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    for key in ("RESGW_DATABASE_URL", "RESGW_BUDGET_GOOGLE_PLACES_USD"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("RESGW_DATA_DIR", str(folder))
    return folder


def _seed(folder) -> None:
    engine = make_engine(default_sqlite_url(folder))
    upgrade(engine)

    async def write() -> None:
        ledger = SqlCostLedger(engine, FakeClock())
        for row in _rows():
            ledger.record(row)
        await ledger.close()

    asyncio.run(write())
    engine.dispose()


def test_costs_prints_the_report_text(data_dir, capsys):
    _seed(data_dir)

    code = main(["costs", "--days", "30"])

    assert code == 0
    assert capsys.readouterr().out.splitlines() == [
        "API costs (last 30 days):",
        "Google Places: $0.06 (3 calls, 25% cache hit rate)",
        "OpenWeatherMap: $0.00 (free tier, 2 calls)",
        "Resy: $0.00 (unofficial API)",
        "OpenTable: $0.00 (browser automation)",
        "Total: $0.06",
    ]


def test_costs_csv_writes_one_row_per_provider(data_dir, capsys):
    _seed(data_dir)

    assert main(["costs", "--csv"]) == 0

    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["provider"] for r in rows] == [
        "google_places",
        "weather",
        "resy",
        "opentable",
    ]
    places = rows[0]
    assert (places["calls"], places["cache_hits"], places["cost_usd"]) == (
        "3",
        "1",
        "0.06",
    )
    assert places["cost_micros"] == "60000"


def test_costs_csv_by_day_adds_the_utc_day(data_dir, capsys):
    _seed(data_dir)

    assert main(["costs", "--csv", "--by-day", "--days", "2"]) == 0

    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {r["day"] for r in rows} == {AT.date().isoformat()}
    assert [(r["provider"], r["calls"]) for r in rows] == [
        ("google_places", "3"),
        ("weather", "2"),
        ("opentable", "1"),
    ]


def test_costs_refuses_days_out_of_range(data_dir, capsys):
    _seed(data_dir)

    assert main(["costs", "--days", "0"]) == 2
    assert "must be 1 to 3650 days" in capsys.readouterr().err


def test_costs_without_a_ledger_says_so(data_dir, capsys):
    assert main(["costs"]) == 1
    assert "no cost ledger yet" in capsys.readouterr().err
