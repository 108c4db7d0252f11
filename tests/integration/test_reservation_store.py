"""Storage facts of the SQL reservation store: migration, UTC columns, transactions."""

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, event, inspect, text
from sqlalchemy.exc import IntegrityError, StatementError

from adapters.storage.engine import default_sqlite_url, make_engine
from adapters.storage.migrate import alembic_config, upgrade
from adapters.storage.reservations import SqlReservationStore, new_reservation_id
from adapters.storage.schema import metadata
from tests.contract.test_reservation_store_contract import draft
from tests.fakes import FakeClock


@pytest.fixture
def url(tmp_path: Path) -> str:
    return default_sqlite_url(tmp_path / "data")


@pytest.fixture
def engine(url: str) -> Iterator[Engine]:
    engine = make_engine(url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def store(engine: Engine) -> SqlReservationStore:
    return SqlReservationStore(engine, FakeClock())


def test_migrations_build_the_reservations_table_of_schema_py(engine, url) -> None:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()

    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []
        assert context.get_current_revision() == head
        uniques = inspect(conn).get_unique_constraints("reservations")
    assert [u["column_names"] for u in uniques] == [["idempotency_key"]]

    command.downgrade(alembic_config(url), "0002")
    with engine.connect() as conn:
        assert "reservations" not in inspect(conn).get_table_names()
    upgrade(engine)


def test_times_are_stored_as_utc(store, engine) -> None:
    start = datetime(2027, 7, 4, 19, 30, tzinfo=ZoneInfo("America/New_York"))

    store.claim(draft("key-1", start=start))

    with engine.connect() as conn:
        raw = conn.execute(text("SELECT start, created_at FROM reservations")).one()
    assert raw.start.startswith("2027-07-04 23:30:00")
    assert raw.created_at.startswith("2027-01-10 17:00:00")


def test_a_claim_is_one_immediate_transaction(store, engine) -> None:
    statements: list[str] = []

    def spy(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", spy)
    store.claim(draft("key-1"))

    assert statements[0] == "BEGIN IMMEDIATE"
    assert [s.split()[0] for s in statements] == ["BEGIN", "INSERT", "SELECT"]


def test_a_clash_that_is_not_the_key_is_not_swallowed(store) -> None:
    first, _ = store.claim(draft("key-1"))

    with pytest.raises(IntegrityError):
        store.claim(draft("key-2", reservation_id=first.reservation_id))

    assert store.by_key("key-2") is None


def test_a_naive_start_is_refused(store) -> None:
    with pytest.raises(StatementError, match="aware"):
        store.claim(draft("key-1", start=datetime(2027, 1, 12, 19, 30)))

    assert store.list() == []


def test_new_ids_are_rsv_and_16_hex_digits() -> None:
    ids = {new_reservation_id() for _ in range(100)}

    assert len(ids) == 100
    assert all(i.startswith("rsv_") and len(i) == 20 for i in ids)
    assert all(int(i[4:], 16) >= 0 for i in ids)
