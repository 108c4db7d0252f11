"""Row access for the warm tier: SQLAlchemy Core anywhere, the bare driver on SQLite."""

import sqlite3
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Executable, bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from adapters.storage.engine import READ_ONLY
from adapters.storage.schema import cache_entries as table

# What a failing database raises through either path.
DATABASE_ERRORS = (SQLAlchemyError, sqlite3.Error)

Row = tuple[str, datetime, datetime]
_UPDATED = ("value", "stored_at", "expires_at", "provider", "kind")
_COLUMNS = ("key", *_UPDATED)
_SQLITE_SELECT = "SELECT value, stored_at, expires_at FROM cache_entries WHERE key = ?"
_SQLITE_UPSERT = (
    f"INSERT INTO cache_entries ({', '.join(_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (key) DO UPDATE SET "
    + ", ".join(f"{name} = excluded.{name}" for name in _UPDATED)
)


class CoreRows:
    """`cache_entries` through SQLAlchemy Core, for any dialect."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._sqlite = engine.dialect.name == "sqlite"
        self._reader: Connection | None = None
        self._writer: Connection | None = None
        self._select = select(
            table.c.value, table.c.stored_at, table.c.expires_at
        ).where(table.c.key == bindparam("key"))
        self._upsert = _upsert_statement(engine.dialect.name)

    def read(self, key: str) -> Row | None:
        conn = self.reader()
        try:
            found = conn.execute(self._select, {"key": key}).first()
        finally:
            conn.rollback()

        return None if found is None else (found[0], found[1], found[2])

    def upsert(self, row: dict[str, Any]) -> None:
        conn = self.writer()
        with conn.begin():
            if conn.dialect.name == "postgresql":
                # A cache row lost in a crash costs one upstream call; not
                # waiting for the WAL flush saves most of a write's time.
                conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
            if self._upsert is None:
                conn.execute(delete(table).where(table.c.key == row["key"]))
                conn.execute(table.insert(), row)
            else:
                conn.execute(self._upsert, row)

    def delete(self, key: str) -> None:
        conn = self.writer()
        with conn.begin():
            conn.execute(delete(table).where(table.c.key == key))

    def prune(self, now: datetime, limit: int) -> int:
        """Delete at most `limit` rows expired at `now`; the count deleted."""
        doomed = select(table.c.key).where(table.c.expires_at <= now).limit(limit)
        conn = self.writer()
        with conn.begin():
            deleted = conn.execute(delete(table).where(table.c.key.in_(doomed)))

        return int(deleted.rowcount)

    def reader(self) -> Connection:
        if self._reader is None:
            # A lookup needs no transaction: autocommit saves the BEGIN and
            # ROLLBACK round trips a server database would otherwise make.
            options = READ_ONLY if self._sqlite else {"isolation_level": "AUTOCOMMIT"}
            self._reader = self._engine.connect().execution_options(**options)

        return self._reader

    def writer(self) -> Connection:
        if self._writer is None:
            self._writer = self._engine.connect()

        return self._writer

    def reset(self) -> None:
        """Drop both connections (after an error); the next call opens fresh ones."""
        for conn in (self._reader, self._writer):
            if conn is not None:
                try:
                    conn.invalidate()
                finally:
                    conn.close()
        self._reader = self._writer = None

    def close(self) -> None:
        for conn in (self._reader, self._writer):
            if conn is not None:
                conn.close()
        self._reader = self._writer = None


class SqliteRows(CoreRows):
    """Lookups and upserts on the bare sqlite3 connection under SQLAlchemy's.

    The driver runs in autocommit mode, so a lookup is one statement in one
    implicit read transaction, and an upsert is BEGIN IMMEDIATE, INSERT ...
    ON CONFLICT, COMMIT: SQLAlchemy's own round trips would cost more than
    SQLite does here.
    """

    def read(self, key: str) -> Row | None:
        rows = _driver(self.reader()).execute(_SQLITE_SELECT, (key,)).fetchall()
        if not rows:
            return None
        value, stored_at, expires_at = rows[0]

        return value, _from_sqlite(stored_at), _from_sqlite(expires_at)

    def upsert(self, row: dict[str, Any]) -> None:
        driver = _driver(self.writer())
        values = [row[name] for name in _COLUMNS]
        values[2], values[3] = _to_sqlite(values[2]), _to_sqlite(values[3])
        driver.execute("BEGIN IMMEDIATE")
        try:
            driver.execute(_SQLITE_UPSERT, values)
            driver.execute("COMMIT")
        except BaseException:
            if driver.in_transaction:
                driver.execute("ROLLBACK")
            raise


def make_rows(engine: Engine) -> CoreRows:
    """The fastest row access the engine's dialect allows."""
    return SqliteRows(engine) if engine.dialect.name == "sqlite" else CoreRows(engine)


def _driver(conn: Connection) -> sqlite3.Connection:
    driver = conn.connection.driver_connection
    assert isinstance(driver, sqlite3.Connection)

    return driver


def _upsert_statement(dialect: str) -> Executable | None:
    """INSERT ... ON CONFLICT (key) DO UPDATE where the dialect has it."""
    insert = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}.get(dialect)
    if insert is None:
        return None
    statement = insert(table)

    return statement.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={name: statement.excluded[name] for name in _UPDATED},
    )


def _to_sqlite(value: datetime) -> str:
    # The text SQLAlchemy's SQLite DateTime writes: naive UTC, microseconds.
    naive = value.astimezone(UTC).replace(tzinfo=None)

    return naive.isoformat(sep=" ", timespec="microseconds")


def _from_sqlite(stored: str) -> datetime:
    return datetime.fromisoformat(stored).replace(tzinfo=UTC)
