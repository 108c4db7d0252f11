"""The one MetaData of every table the gateway stores (SQLAlchemy Core)."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Double,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

# Stable constraint and index names, so migrations and the model agree.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

# SQLite only auto-increments an INTEGER PRIMARY KEY (the rowid alias).
Id = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as UTC; read back aware, in UTC, everywhere.

    SQLite has no time zones, so there the value is stored as naive UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(
        self, value: datetime | None, dialect: Dialect
    ) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"expected an aware datetime, got naive {value!r}")
        value = value.astimezone(UTC)

        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)

        return value.astimezone(UTC)


api_calls = Table(
    "api_calls",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime(), nullable=False),
    Column("provider", String(), nullable=False),
    Column("operation", String(), nullable=False),
    Column("sku", String(), nullable=False),
    Column("outcome", String(), nullable=False),
    Column("http_status", Integer(), nullable=True),
    Column("latency_ms", Double(), nullable=False),
    Column("cached", Boolean(), nullable=False),
    # Integer micro-dollars (1 USD = 1,000,000); never a float.
    Column("cost_micros", BigInteger(), nullable=False),
    Column("error_kind", String(), nullable=False),
    Column("request_id", String(), nullable=False),
    Index("ix_api_calls_at", "at"),
    Index("ix_api_calls_provider_at", "provider", "at"),
)


# The warm cache tier: one row per key, the value as the cache codec's JSON text.
cache_entries = Table(
    "cache_entries",
    metadata,
    Column("key", String(), primary_key=True),
    Column("value", Text(), nullable=False),
    Column("stored_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("provider", String(), nullable=False),
    Column("kind", String(), nullable=False),
    Index("ix_cache_entries_expires_at", "expires_at"),
)


def _text(name: str) -> Column[str]:
    return Column(name, String(), nullable=False, server_default="")


# Bookings the gateway made or tried to make, one per idempotency key. Times
# are UTC; `start` is read back in the restaurant's own zone.
reservations = Table(
    "reservations",
    metadata,
    Column("reservation_id", String(), primary_key=True),
    Column("idempotency_key", String(), nullable=False),
    Column("fingerprint", String(), nullable=False),
    Column("restaurant_name", String(), nullable=False),
    Column("time_zone", String(), nullable=False),
    _text("resy_venue_id"),
    _text("resy_url_slug"),
    _text("resy_city"),
    _text("opentable_slug"),
    _text("website"),
    _text("address"),
    Column("party_size", Integer(), nullable=False),
    Column("guest_name", String(), nullable=False),
    _text("guest_phone"),
    _text("guest_email"),
    Column("status", String(), nullable=False),
    Column("platform", String(), nullable=True),
    _text("confirmation_id"),
    _text("platform_token"),
    _text("slot_token"),
    Column("start", UtcDateTime(), nullable=True),
    Column("message", Text(), nullable=False, server_default=""),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    UniqueConstraint("idempotency_key", name="uq_reservations_idempotency_key"),
    Index("ix_reservations_created_at", "created_at"),
)


# Each reservation's calendar event as the gateway wants it and how far its
# sync got: also the queue the sync worker drains (state and next_attempt_at).
calendar_sync = Table(
    "calendar_sync",
    metadata,
    Column("reservation_id", String(), primary_key=True),
    Column("event_id", String(), nullable=False),
    Column("action", String(), nullable=False),
    Column("state", String(), nullable=False),
    Column("fingerprint", String(), nullable=False),
    Column("sequence", Integer(), nullable=False),
    Column("revision", Integer(), nullable=False),
    Column("attempts", Integer(), nullable=False),
    Column("next_attempt_at", UtcDateTime(), nullable=True),
    Column("synced_at", UtcDateTime(), nullable=True),
    Column("last_error", Text(), nullable=False, server_default=""),
    Column("updated_at", UtcDateTime(), nullable=False),
    Index("ix_calendar_sync_state_next_attempt_at", "state", "next_attempt_at"),
)
