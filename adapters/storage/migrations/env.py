"""Alembic's entry point: runs the revisions on the connection migrate.py hands over."""

from alembic import context
from sqlalchemy import Connection, text

from adapters.storage.engine import make_engine
from adapters.storage.schema import metadata

# Any 64-bit number will do, as long as every replica uses the same one.
_PG_MIGRATION_LOCK = 0x7265736777  # "resgw"


def _configure(**options: object) -> None:
    context.configure(
        target_metadata=metadata,
        compare_type=True,
        # SQLite cannot ALTER most things; batch mode rebuilds the table.
        render_as_batch=True,
        **options,
    )


def _run(connection: Connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Replicas starting together take turns instead of racing.
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"),
                {"key": _PG_MIGRATION_LOCK},
            )
        context.run_migrations()


def main() -> None:
    config = context.config
    if context.is_offline_mode():
        _configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return

    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return

    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


main()
