"""The sync SQLAlchemy engine; SQLite gets WAL, a busy timeout, BEGIN IMMEDIATE."""

import sqlite3
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url

DB_FILE_NAME = "gateway.db"
BUSY_TIMEOUT_MS = 5000

# Execution option naming how a SQLite transaction begins. The default is
# IMMEDIATE, so a read-then-write can never fail half way with "database is
# locked"; pure readers may ask for DEFERRED to stay out of the writers' way:
#   engine.connect().execution_options(sqlite_begin="DEFERRED")
BEGIN_OPTION = "sqlite_begin"
READ_ONLY = {BEGIN_OPTION: "DEFERRED"}
_BEGIN_MODES = frozenset({"DEFERRED", "IMMEDIATE", "EXCLUSIVE"})

_PRAGMAS = (
    # The busy timeout comes first so that switching to WAL waits too.
    f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}",
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA foreign_keys = ON",
)


def default_sqlite_url(data_dir: Path) -> str:
    """The embedded default: one SQLite file in the data folder."""
    path = (Path(data_dir) / DB_FILE_NAME).resolve()

    return URL.create("sqlite", database=str(path)).render_as_string()


def make_engine(url: str) -> Engine:
    """A sync engine for any SQLAlchemy URL; SQLite is tuned as MEASURED.md says."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True)

    _make_parent(parsed.database)
    engine = create_engine(parsed, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
    event.listen(engine, "connect", _on_sqlite_connect)
    event.listen(engine, "begin", _on_sqlite_begin)

    return engine


def _make_parent(database: str | None) -> None:
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Stop pysqlite from issuing its own (deferred) BEGIN; _on_sqlite_begin
    # emits ours, which also makes DDL transactional.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        for pragma in _PRAGMAS:
            _execute_waiting(cursor, pragma)
    finally:
        cursor.close()


def _execute_waiting(cursor: Any, statement: str) -> None:
    """Run a pragma; when another process holds the lock, wait and try again.

    Switching a new file to WAL needs the database to itself, and SQLite
    answers "database is locked" at once instead of using the busy timeout
    when two processes open a new file together.
    """
    waited = 0.0
    while True:
        try:
            cursor.execute(statement)
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or waited >= BUSY_TIMEOUT_MS / 1000:
                raise
        time.sleep(0.02)
        waited += 0.02


def _on_sqlite_begin(conn: Connection) -> None:
    mode = str(conn.get_execution_options().get(BEGIN_OPTION, "IMMEDIATE")).upper()
    if mode not in _BEGIN_MODES:
        raise ValueError(
            f"{BEGIN_OPTION} must be one of {sorted(_BEGIN_MODES)}, got {mode!r}"
        )
    conn.exec_driver_sql(f"BEGIN {mode}")
