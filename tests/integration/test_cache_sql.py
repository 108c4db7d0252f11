"""The warm tier on a real SQLite file: bad rows, pruning, threads, two writers."""

import asyncio
import logging
import multiprocessing
import sqlite3
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.command import downgrade
from alembic.migration import MigrationContext
from sqlalchemy import Engine, event, func, inspect, select

from adapters.cache.codec import default_codec
from adapters.cache.sql import SqlCache
from adapters.cache.sql_rows import CoreRows, SqliteRows
from adapters.storage.engine import default_sqlite_url, make_engine
from adapters.storage.migrate import alembic_config, upgrade
from adapters.storage.schema import cache_entries, metadata
from tests.fakes import FakeClock

KEY = "availability:resy:1001:2027-01-15:2"


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
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def cache(engine: Engine, clock: FakeClock) -> Iterator[SqlCache]:
    cache = SqlCache(engine, clock, codec=default_codec())
    yield cache
    cache.close()


def _rows(engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        found = conn.execute(select(cache_entries)).mappings().all()

    return {row["key"]: dict(row) for row in found}


def _write_value(engine: Engine, key: str, text: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            cache_entries.update().where(cache_entries.c.key == key), {"value": text}
        )


def test_revision_0002_creates_cache_entries_as_schema_py_describes(url: str) -> None:
    engine = make_engine(url)
    upgrade(engine, "0002")
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)

        assert context.get_current_revision() == "0002"
        # Later revisions' tables are missing here; this one's must match.
        assert [d for d in differences if "cache_entries" in repr(d)] == []
        assert "cache_entries" in inspect(conn).get_table_names()

    config = alembic_config()
    with engine.connect() as conn:
        config.attributes["connection"] = conn
        downgrade(config, "0001")
        assert "cache_entries" not in inspect(conn).get_table_names()
    engine.dispose()


@pytest.mark.parametrize(
    "stored",
    [
        "garbage from another program",
        '{"format": 1, "value": {"$o": ["slot", "0.00000000", []]}}',  # older slot
        '{"format": 99, "value": []}',
    ],
)
def test_an_undecodable_row_is_a_logged_miss_then_replaced_by_set(
    cache: SqlCache, engine: Engine, stored: str, caplog: pytest.LogCaptureFixture
) -> None:
    cache.set(KEY, ("fine",), keep_for=600)
    _write_value(engine, KEY, stored)

    with caplog.at_level(logging.WARNING, logger="adapters.cache.sql"):
        assert cache.get(KEY) is None

    record = next(r for r in caplog.records if r.msg == "cache.undecodable")
    assert record.key == KEY
    assert cache.undecodable == 1

    cache.set(KEY, ("replaced",), keep_for=600)
    entry = cache.get(KEY)

    assert entry is not None and entry.value == ("replaced",)


def test_a_value_the_codec_cannot_store_removes_the_older_row(
    cache: SqlCache, caplog: pytest.LogCaptureFixture
) -> None:
    cache.set(KEY, "older", keep_for=600)

    with caplog.at_level(logging.WARNING, logger="adapters.cache.sql"):
        cache.set(KEY, object(), keep_for=600)

    assert cache.get(KEY) is None
    assert any(r.msg == "cache.unencodable" for r in caplog.records)


def test_rows_record_provider_kind_and_utc_times(
    cache: SqlCache, engine: Engine, clock: FakeClock
) -> None:
    cache.set(KEY, [], keep_for=90)
    cache.set("search:pizza:40.71:-74.01", [], keep_for=90)

    rows = _rows(engine)

    assert (rows[KEY]["provider"], rows[KEY]["kind"]) == ("resy", "availability")
    search = rows["search:pizza:40.71:-74.01"]
    assert (search["provider"], search["kind"]) == ("google_places", "search")
    assert rows[KEY]["stored_at"] == clock.now()
    assert rows[KEY]["expires_at"] == clock.now() + timedelta(seconds=90)


def test_the_driver_path_and_core_read_and_write_the_same_rows(
    engine: Engine, clock: FakeClock
) -> None:
    fast, core = SqliteRows(engine), CoreRows(engine)
    now = clock.now()
    row = {
        "stored_at": now,
        "expires_at": now + timedelta(seconds=5),
        "provider": "resy",
        "kind": "availability",
    }

    fast.upsert({**row, "key": "a", "value": "1"})
    core.upsert({**row, "key": "b", "value": "2"})

    assert core.read("a") == fast.read("a") == ("1", now, now + timedelta(seconds=5))
    assert fast.read("b") == core.read("b")
    assert core.prune(now + timedelta(seconds=5), limit=10) == 2
    fast.close()
    core.close()


def test_an_expired_row_is_a_miss_before_it_is_pruned(
    cache: SqlCache, engine: Engine, clock: FakeClock
) -> None:
    cache.set(KEY, "x", keep_for=60)
    clock.advance(60)

    assert cache.get(KEY) is None
    assert KEY in _rows(engine)


def test_prune_deletes_only_expired_rows_at_most_limit_at_a_time(
    cache: SqlCache, engine: Engine, clock: FakeClock
) -> None:
    for n in range(250):
        cache.set(f"search:old:{n}", n, keep_for=10)
    cache.set("search:alive", "stay", keep_for=3600)
    clock.advance(10)

    batches = [cache.prune(limit=100) for _ in range(4)]

    assert batches == [100, 100, 50, 0]
    assert list(_rows(engine)) == ["search:alive"]


def test_every_nth_set_prunes_one_bounded_batch(
    engine: Engine, clock: FakeClock
) -> None:
    cache = SqlCache(
        engine, clock, codec=default_codec(), prune_every=10, prune_limit=7
    )
    for n in range(30):
        cache.set(f"search:old:{n}", n, keep_for=10)  # 3 prunes, none due yet
    clock.advance(10)

    for n in range(10):
        cache.set(f"search:new:{n}", n, keep_for=3600)

    assert cache.pruned == 7
    assert len(_rows(engine)) == 30 - 7 + 10
    cache.close()


def test_a_broken_database_is_a_miss_and_a_skipped_write(
    cache: SqlCache, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    cache.set(KEY, "x", keep_for=600)
    cache_entries.drop(engine)

    with caplog.at_level(logging.WARNING, logger="adapters.cache.sql"):
        assert cache.get(KEY) is None
        cache.set(KEY, "y", keep_for=600)

    assert (cache.failed_reads, cache.failed_writes) == (1, 1)
    assert {"cache.read_failed", "cache.write_failed"} <= {
        r.msg for r in caplog.records
    }
    cache_entries.create(engine)
    cache.set(KEY, "z", keep_for=600)
    assert cache.get(KEY).value == "z"  # type: ignore[union-attr]


async def test_reads_and_writes_stay_on_the_loop_thread_and_reuse_connections(
    engine: Engine, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: set[int] = set()
    checkouts: list[int] = []
    connections: set[int] = set()

    def trace(dbapi: sqlite3.Connection) -> None:
        dbapi.set_trace_callback(lambda _sql: threads.add(threading.get_ident()))

    event.listen(engine, "connect", lambda dbapi, _record: trace(dbapi))
    event.listen(engine, "checkout", lambda dbapi, *_: checkouts.append(id(dbapi)))
    engine.dispose()  # so every connection from here on is traced
    monkeypatch.setattr(asyncio, "to_thread", _no_thread_hops)
    loop = asyncio.get_running_loop()
    monkeypatch.setattr(loop, "run_in_executor", _no_thread_hops)
    cache = SqlCache(engine, clock, codec=default_codec())

    cache.set(KEY, ("slot",), keep_for=600)
    for _ in range(200):
        assert cache.get(KEY) is not None
        connections.add(id(cache._rows.reader().connection.driver_connection))
    cache.set(KEY, ("other",), keep_for=600)
    cache.close()

    assert threads == {threading.get_ident()}
    assert len(checkouts) == 2  # one reader, one writer, each kept open
    assert len(connections) == 1


def _no_thread_hops(*_args: Any, **_kwargs: Any) -> Any:
    raise AssertionError("the warm tier must not hop to another thread")


def _write_from_child(
    url: str, worker: int, count: int, barrier: Any, out: Any
) -> None:
    engine = make_engine(url)
    cache = SqlCache(engine, FakeClock(), codec=default_codec(), prune_every=100)
    barrier.wait()
    for n in range(count):
        cache.set(f"search:worker-{worker}:{n}", {"n": n, "by": worker}, 3600)
        if n % 10 == 0:
            # Both workers also fight over the same rows.
            cache.set(f"place:shared:{n // 10 % 50}", {"by": worker}, 3600)
    cache.close()
    engine.dispose()
    out.put((worker, cache.failed_writes))


def test_two_processes_write_one_file_at_once_without_a_lock_error(
    url: str, engine: Engine
) -> None:
    spawn = multiprocessing.get_context("spawn")
    barrier, out, count = spawn.Barrier(2), spawn.Queue(), 2000
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
    assert results == [(1, 0), (2, 0)]  # no write failed, "locked" or otherwise
    with engine.connect() as conn:
        per_kind = dict(
            conn.execute(
                select(cache_entries.c.kind, func.count()).group_by(
                    cache_entries.c.kind
                )
            ).all()
        )
    assert per_kind == {"search": 2 * count, "place": 50}
    reader = SqlCache(engine, FakeClock(), codec=default_codec())
    assert all(
        reader.get(f"search:worker-{w}:{n}") is not None
        for w in (1, 2)
        for n in range(count)
    )
    reader.close()
