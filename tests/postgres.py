"""A scratch schema on the local PostgreSQL for one test, dropped afterwards."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from adapters.storage.engine import make_engine

ROLES = ("postgres", "root")


def server_url() -> str:
    """The URL of a role the server at 127.0.0.1:5432 accepts, or skip."""
    for role in ROLES:
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


@contextmanager
def scratch_schema(prefix: str = "rg_test", options: str = "") -> Iterator[str]:
    """A URL whose search_path is a new schema; the schema goes afterwards."""
    server = server_url()
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = make_engine(server)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    settings = f"-csearch_path={schema} {options}".strip()
    url = make_url(server).update_query_dict({"options": settings})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
