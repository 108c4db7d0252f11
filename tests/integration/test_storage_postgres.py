"""PostgreSQL storage: migrations and the cost ledger against the local server."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

from adapters.storage.engine import make_engine
from adapters.storage.ledger import SqlCostLedger
from adapters.storage.migrate import alembic_config, upgrade
from adapters.storage.schema import metadata
from domain.models import ApiCall
from tests.fakes import FakeClock
from tests.postgres import scratch_schema

pytestmark = pytest.mark.postgres

T0 = datetime(2027, 1, 10, 17, 0, tzinfo=UTC)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A URL whose search_path is a fresh schema, dropped afterwards."""
    with scratch_schema("rg_test") as url:
        yield url


@pytest.fixture
def engine(pg_url: str) -> Iterator[Engine]:
    engine = make_engine(pg_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def make_call(n: int = 0, **changes: Any) -> ApiCall:
    fields: dict[str, Any] = {
        "at": T0 + timedelta(milliseconds=n),
        "provider": "google_places",
        "operation": "search",
        "outcome": "ok",
        "latency_ms": 80.25,
        "cost_micros": 32_000 + n,
        "http_status": 200,
        "request_id": f"req-{n}",
        "sku": "places.text_search.pro",
    }
    fields.update(changes)

    return ApiCall(**fields)


def test_upgrade_builds_exactly_what_schema_py_describes(pg_url: str) -> None:
    upgrade(pg_url)
    upgrade(pg_url)  # a second run at startup is a no-op
    engine = make_engine(pg_url)

    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []
        assert context.get_current_revision() == _head()
        schema = conn.execute(text("SELECT current_schema()")).scalar()
        tables = set(inspect(conn).get_table_names())
    engine.dispose()

    assert str(schema).startswith("rg_test_")
    assert tables == {"alembic_version", *metadata.tables}


async def test_rows_round_trip_with_exact_integer_micro_dollars(
    engine: Engine,
) -> None:
    ledger = SqlCostLedger(engine, FakeClock(), batch_size=3)
    calls = [
        make_call(0, cost_micros=2**53 + 1),  # a float would round this
        make_call(1, cached=True, cost_micros=0, http_status=None),
        make_call(2, outcome="http_503", http_status=503, error_kind=""),
        *(make_call(n) for n in range(3, 10)),
    ]
    for call in calls:
        ledger.record(call)
    await ledger.close()

    stored = ledger.rows()

    assert stored == calls
    assert stored[0].cost_micros == 9_007_199_254_740_993
    assert all(row.at.utcoffset() == timedelta(0) for row in stored)
    assert ledger.rows(since=T0 + timedelta(milliseconds=8)) == calls[8:]
    assert (ledger.written, ledger.pending, ledger.failed_writes) == (10, 0, 0)


def _head() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
