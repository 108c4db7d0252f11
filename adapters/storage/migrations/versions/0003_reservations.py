"""Create reservations, the bookings and their unique idempotency keys.

Revision ID: 0003
Revises: 0002
Created: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TEXT_COLUMNS = (
    "resy_venue_id",
    "resy_url_slug",
    "resy_city",
    "opentable_slug",
    "website",
    "address",
)


def _text(name: str) -> sa.Column[str]:
    return sa.Column(name, sa.String(), nullable=False, server_default="")


def upgrade() -> None:
    op.create_table(
        "reservations",
        sa.Column("reservation_id", sa.String(), nullable=False),
        sa.Column("idempotency_key", sa.String(), nullable=False),
        sa.Column("fingerprint", sa.String(), nullable=False),
        sa.Column("restaurant_name", sa.String(), nullable=False),
        sa.Column("time_zone", sa.String(), nullable=False),
        *(_text(name) for name in _TEXT_COLUMNS),
        sa.Column("party_size", sa.Integer(), nullable=False),
        sa.Column("guest_name", sa.String(), nullable=False),
        _text("guest_phone"),
        _text("guest_email"),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("platform", sa.String(), nullable=True),
        _text("confirmation_id"),
        _text("platform_token"),
        _text("slot_token"),
        sa.Column("start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message", sa.Text(), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("reservation_id", name="pk_reservations"),
        sa.UniqueConstraint("idempotency_key", name="uq_reservations_idempotency_key"),
    )
    op.create_index("ix_reservations_created_at", "reservations", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_reservations_created_at", table_name="reservations")
    op.drop_table("reservations")
