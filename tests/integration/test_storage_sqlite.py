"""SQLite storage on a real file: migrations, pragmas and the batched cost ledger."""

import asyncio
import logging
import multiprocessing
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, event, func, select
from sqlalchemy.engine import make_url

from adapters.clock import SystemClock
from adapters.storage.engine import READ_ONLY, default_sqlite_url, make_engine
from adapters.storage.ledger import SqlCostLedger
from adapters.storage.migrate import alembic_config, upgrade
from adapters.storage.schema import api_calls, metadata
from domain.models import ApiCall
from tests.fakes import FakeClock

T0 = datetime(2027, 1, 10, 17, 0, tzinfo=UTC)


def make_call(n: int = 0, **changes: Any) -> ApiCall:
    fields: dict[str, Any] = {
        "at": T0 + timedelta(milliseconds=n),
        "provider": "resy",
        "operation": "find",
        "outcome": "ok",
        "latency_ms": 12.5,
        "cost_micros": 1_234_567 + n,
        "http_status": 200,
        "request_id": f"req-{n}",
        "sku": "resy.find",
    }
    fields.update(changes)

    return ApiCall(**fields)


class StuckClock(FakeClock):
    """A clock whose sleep never ends, so only a full batch can wake the flusher."""

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        await asyncio.Event().wait()


async def eventually(condition: Callable[[], bool]) -> None:
    """Let the ledger's worker thread run until `condition` holds.

    Each round trip through the default executor queues behind the write
    the ledger handed it, so no timer is involved; 2,000 rounds at most.
    """
    for _ in range(2000):
        if condition():
            return
        await asyncio.to_thread(lambda: None)
    raise AssertionError("condition never became true")


@pytest.fixture
def url(tmp_path: Path) -> str:
    return default_sqlite_url(tmp_path / "data")


@pytest.fixture
def engine(url: str) -> Iterator[Engine]:
    engine = make_engine(url)
    upgrade(engine)
    yield engine
    engine.dispose()


def test_upgrade_builds_exactly_what_schema_py_describes(url: str) -> None:
    upgrade(url)
    upgrade(url)  # a second run at startup is a no-op
    engine = make_engine(url)

    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []
        assert context.get_current_revision() == _head()
    engine.dispose()

    assert Path(make_url(url).database or "").is_file()


def test_sqlite_runs_in_wal_with_busy_timeout_and_foreign_keys(engine: Engine) -> None:
    with engine.connect() as conn:
        pragma = conn.exec_driver_sql

        assert pragma("PRAGMA journal_mode").scalar() == "wal"
        assert pragma("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert pragma("PRAGMA busy_timeout").scalar() == 5000
        assert pragma("PRAGMA foreign_keys").scalar() == 1


def test_transactions_begin_immediate_unless_asked_to_defer(
    engine: Engine, url: str
) -> None:
    other = sqlite3.connect(make_url(url).database or "", timeout=0)
    other.isolation_level = None

    with engine.connect().execution_options(**READ_ONLY) as conn:
        conn.execute(select(func.count()).select_from(api_calls))
        other.execute("BEGIN IMMEDIATE")  # a deferred reader holds no write lock
        other.execute("ROLLBACK")

    with engine.begin() as conn:
        conn.execute(select(func.count()).select_from(api_calls))
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
    other.close()


async def test_rows_round_trip_with_exact_integer_micro_dollars(
    engine: Engine,
) -> None:
    ledger = SqlCostLedger(engine, FakeClock())
    eastern = timezone(timedelta(hours=-5))
    calls = [
        make_call(0, cost_micros=2**53 + 1),  # a float would round this
        make_call(1, cost_micros=0, cached=True, outcome="ok", http_status=None),
        make_call(2, outcome="timeout", http_status=None, error_kind="ReadTimeout"),
        make_call(3, at=datetime(2027, 1, 10, 12, 0, 1, tzinfo=eastern)),
    ]
    for call in calls:
        ledger.record(call)
    await ledger.flush()

    stored = ledger.rows()

    assert stored == [*calls[:3], make_call(3, at=T0 + timedelta(seconds=1))]
    assert type(stored[0].cost_micros) is int
    assert stored[0].cost_micros == 9_007_199_254_740_993
    assert all(row.at.tzinfo is UTC for row in stored)
    assert ledger.rows(since=T0 + timedelta(milliseconds=2)) == stored[2:]
    assert (ledger.written, ledger.pending) == (4, 0)


async def test_a_flush_is_one_executemany_insert_in_one_transaction(
    engine: Engine,
) -> None:
    statements: list[tuple[str, bool]] = []

    def spy(_conn: Any, _cursor: Any, statement: str, *rest: Any) -> None:
        statements.append((statement.split()[0], rest[-1]))

    event.listen(engine, "before_cursor_execute", spy)
    ledger = SqlCostLedger(engine, FakeClock(), batch_size=100)
    for n in range(40):
        ledger.record(make_call(n))
    await ledger.flush()

    assert statements == [("BEGIN", False), ("INSERT", True)]
    assert ledger.written == 40


async def test_the_flusher_writes_as_soon_as_a_batch_is_full(
    engine: Engine,
) -> None:
    ledger = SqlCostLedger(engine, StuckClock(), batch_size=10)
    await ledger.start()
    for n in range(9):
        ledger.record(make_call(n))
    for _ in range(20):
        await asyncio.sleep(0)
    assert ledger.written == 0

    ledger.record(make_call(9))
    await eventually(lambda: ledger.written == 10)
    ledger.record(make_call(10))
    await ledger.close()

    assert (ledger.written, ledger.pending) == (11, 0)
    assert len(ledger.rows()) == 11


async def test_close_writes_everything_still_buffered(engine: Engine) -> None:
    ledger = SqlCostLedger(engine, StuckClock(), batch_size=500)
    await ledger.start()
    for n in range(1234):
        ledger.record(make_call(n))

    await ledger.close()

    assert (ledger.written, ledger.pending) == (1234, 0)
    assert [row.request_id for row in ledger.rows()] == [
        f"req-{n}" for n in range(1234)
    ]


async def test_a_failed_write_keeps_the_rows_for_the_next_flush(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    ledger = SqlCostLedger(engine, FakeClock())
    api_calls.drop(engine)  # the database "breaks"
    for n in range(3):
        ledger.record(make_call(n))

    with caplog.at_level(logging.WARNING, logger="adapters.storage.ledger"):
        await ledger.flush()
    ledger.record(make_call(3))  # still accepted while the database is broken

    assert (ledger.written, ledger.pending, ledger.failed_writes) == (0, 4, 1)
    failure = next(r for r in caplog.records if r.msg == "ledger.write_failed")
    assert failure.error == "OperationalError"
    assert "no such table" in failure.detail

    api_calls.create(engine)
    await ledger.flush()

    assert (ledger.written, ledger.pending) == (4, 0)
    assert [row.request_id for row in ledger.rows()] == [f"req-{n}" for n in range(4)]


async def test_the_flusher_backs_off_on_the_clock_and_retries(engine: Engine) -> None:
    clock = FakeClock()
    ledger = SqlCostLedger(engine, clock, flush_interval=0.5)
    api_calls.drop(engine)
    await ledger.start()
    ledger.record(make_call())

    await eventually(lambda: ledger.failed_writes >= 3)
    api_calls.create(engine)
    await eventually(lambda: ledger.written == 1)
    await ledger.close()

    assert clock.slept[:3] == [0.5, 1.0, 2.0]  # the interval, then doubling
    assert len(ledger.rows()) == 1


async def test_beyond_the_cap_the_oldest_rows_are_dropped_and_counted(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    ledger = SqlCostLedger(engine, FakeClock(), batch_size=2, max_pending=5)
    for n in range(8):
        ledger.record(make_call(n))

    assert (ledger.pending, ledger.dropped) == (5, 3)

    with caplog.at_level(logging.ERROR, logger="adapters.storage.ledger"):
        await ledger.flush()

    assert [row.request_id for row in ledger.rows()] == [
        f"req-{n}" for n in range(3, 8)
    ]
    dropped = next(r for r in caplog.records if r.msg == "ledger.rows_dropped")
    assert dropped.total == 3


async def test_record_never_raises_and_refuses_rows_it_cannot_store(
    engine: Engine,
) -> None:
    ledger = SqlCostLedger(engine, FakeClock())

    ledger.record(make_call(0, cost_micros=0.25))  # a float never holds money
    ledger.record(make_call(1, at=datetime(2027, 1, 10, 17, 0)))  # naive time

    assert (ledger.rejected, ledger.pending) == (2, 0)


def _write_from_child(
    url: str, worker: int, count: int, barrier: Any, out: Any
) -> None:
    asyncio.run(_child_writes(url, worker, count, barrier, out))


async def _child_writes(
    url: str, worker: int, count: int, barrier: Any, out: Any
) -> None:
    engine = make_engine(url)
    barrier.wait()
    upgrade(engine)  # both replicas migrate at the same moment
    ledger = SqlCostLedger(engine, SystemClock(), batch_size=25, flush_interval=0.001)
    await ledger.start()
    for n in range(count):
        ledger.record(make_call(n, provider=f"worker-{worker}"))
        if n % 50 == 49:
            await ledger.flush()
    await ledger.close()
    engine.dispose()
    out.put((worker, ledger.written, ledger.failed_writes, ledger.dropped))


def test_two_processes_write_one_file_at_once_without_losing_a_row(url: str) -> None:
    spawn = multiprocessing.get_context("spawn")
    barrier, out, count = spawn.Barrier(2), spawn.Queue(), 3000
    workers = [
        spawn.Process(target=_write_from_child, args=(url, n, count, barrier, out))
        for n in (1, 2)
    ]
    for process in workers:
        process.start()
    results = sorted(out.get(timeout=90) for _ in workers)
    for process in workers:
        process.join(timeout=30)

    assert [process.exitcode for process in workers] == [0, 0]
    assert results == [(1, count, 0, 0), (2, count, 0, 0)]
    engine = make_engine(url)
    with engine.connect() as conn:
        per_worker = conn.execute(
            select(api_calls.c.provider, func.count()).group_by(api_calls.c.provider)
        ).all()
    engine.dispose()
    assert sorted(per_worker) == [("worker-1", count), ("worker-2", count)]


def _head() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
