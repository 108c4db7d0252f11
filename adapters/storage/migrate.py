"""Brings a database's schema to the newest revision; run once at startup."""

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from adapters.storage.engine import make_engine

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str = "") -> Config:
    """An Alembic config built in code: no alembic.ini is needed on disk."""
    config = Config()
    # configparser interpolates '%', which a path or password may contain.
    config.set_main_option("script_location", _escape(str(MIGRATIONS_DIR)))
    config.set_main_option("path_separator", "os")
    if url:
        config.set_main_option("sqlalchemy.url", _escape(url))

    return config


def upgrade(target: Engine | str, revision: str = "head") -> None:
    """Apply every migration up to `revision` on an engine or a URL."""
    engine = make_engine(target) if isinstance(target, str) else target
    config = alembic_config()
    try:
        with engine.connect() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        if isinstance(target, str):
            engine.dispose()
    logger.info(
        "storage.migrated",
        extra={"dialect": engine.dialect.name, "revision": revision},
    )


def _escape(value: str) -> str:
    return value.replace("%", "%%")
