"""Shared fixtures for the port contract suites: a fake clock and real databases."""

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from adapters.storage.engine import default_sqlite_url, make_engine
from adapters.storage.migrate import upgrade
from tests.fakes import FakeClock

PG_ROLES = ("postgres", "root")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(default_sqlite_url(tmp_path / "data"))
    upgrade(engine)
    yield engine
    engine.dispose()


def _reachable_server() -> str:
    for role in PG_ROLES:
        url = f"postgresql+psycopg://{role}@127.0.0.1:5432/test"
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return url
        except OperationalError:
            continue
        finally:
            engine.dispose()
    pytest.skip("PostgreSQL at 127.0.0.1:5432 is not reachable")


@pytest.fixture
def postgres_engine() -> Iterator[Engine]:
    """An engine whose search_path is a schema of its own, dropped afterwards."""
    server = _reachable_server()
    schema = f"rg_cache_{uuid.uuid4().hex[:12]}"
    admin = make_engine(server)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(server).update_query_dict({"options": f"-csearch_path={schema}"})
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
