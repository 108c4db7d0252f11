"""Shared fixtures for the port contract suites: a fake clock and real databases."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from adapters.storage.engine import default_sqlite_url, make_engine
from adapters.storage.migrate import upgrade
from tests.fakes import FakeClock
from tests.postgres import scratch_schema


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(default_sqlite_url(tmp_path / "data"))
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_engine() -> Iterator[Engine]:
    """An engine whose search_path is a schema of its own, dropped afterwards."""
    with scratch_schema("rg_cache") as url:
        engine = make_engine(url)
        try:
            upgrade(engine)
            yield engine
        finally:
            engine.dispose()
