"""Reservations in SQL, one row per idempotency key, claimed at most once."""

import logging
import secrets
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Engine, insert, select, update
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.exc import IntegrityError

from adapters.storage.engine import READ_ONLY
from adapters.storage.schema import reservations
from domain.models import (
    Guest,
    Platform,
    Reservation,
    ReservationStatus,
    RestaurantRef,
)
from domain.ports import Clock
from domain.validation import zone_or_none

logger = logging.getLogger(__name__)

_FIXED = ("reservation_id", "idempotency_key", "created_at")


def new_reservation_id() -> str:
    """A fresh id: "rsv_" and 16 hex digits."""
    return "rsv_" + secrets.token_hex(8)


class SqlReservationStore:
    """ReservationStore on any SQLAlchemy engine.

    The UNIQUE idempotency key decides a race between replicas: of two
    claims of one key, exactly one inserts; the other reads that row back.
    `save` stamps `updated_at` with the clock. Times are stored in UTC and
    `start` is read back in the restaurant's zone.
    """

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock

    def claim(self, draft: Reservation) -> tuple[Reservation, bool]:
        try:
            with self._engine.begin() as conn:
                conn.execute(insert(reservations).values(_columns(draft)))
                stored = _one(
                    conn, reservations.c.reservation_id == draft.reservation_id
                )
        except IntegrityError:
            existing = self.by_key(draft.idempotency_key)
            if existing is None:
                raise  # not the key: another constraint refused the row
            logger.info(
                "reservations.key_exists",
                extra={"reservation_id": existing.reservation_id},
            )
            return existing, False
        assert stored is not None  # inserted in this very transaction
        logger.info(
            "reservations.claimed", extra={"reservation_id": stored.reservation_id}
        )

        return stored, True

    def save(self, reservation: Reservation) -> None:
        values = _columns(reservation)
        for name in _FIXED:
            del values[name]
        with self._engine.begin() as conn:
            result = conn.execute(
                update(reservations)
                .where(reservations.c.reservation_id == reservation.reservation_id)
                .values(values)
            )
        if result.rowcount != 1:
            raise LookupError(
                f"no reservation {reservation.reservation_id!r} to save; claim it first"
            )

    def get(self, reservation_id: str) -> Reservation | None:
        with self._reading() as conn:
            return _one(conn, reservations.c.reservation_id == reservation_id)

    def by_key(self, idempotency_key: str) -> Reservation | None:
        with self._reading() as conn:
            return _one(conn, reservations.c.idempotency_key == idempotency_key)

    def list(self, limit: int = 50) -> Sequence[Reservation]:
        """The newest first, by creation time (ties by id)."""
        if limit < 1:
            return []
        query = (
            select(reservations)
            .order_by(
                reservations.c.created_at.desc(), reservations.c.reservation_id.desc()
            )
            .limit(limit)
        )
        with self._reading() as conn:
            return [_reservation(row) for row in conn.execute(query).mappings()]

    def _reading(self) -> Connection:
        return self._engine.connect().execution_options(**READ_ONLY)


def _one(conn: Connection, where: ColumnElement[bool]) -> Reservation | None:
    row = conn.execute(select(reservations).where(where)).mappings().first()

    return None if row is None else _reservation(row)


def _columns(r: Reservation) -> dict[str, Any]:
    place = r.restaurant

    return {
        "reservation_id": r.reservation_id,
        "idempotency_key": r.idempotency_key,
        "fingerprint": r.fingerprint,
        "restaurant_name": place.name,
        "time_zone": place.time_zone,
        "resy_venue_id": place.resy_venue_id,
        "resy_url_slug": place.resy_url_slug,
        "resy_city": place.resy_city,
        "opentable_slug": place.opentable_slug,
        "website": place.website,
        "address": place.address,
        "party_size": r.party_size,
        "guest_name": r.guest.name,
        "guest_phone": r.guest.phone,
        "guest_email": r.guest.email,
        "status": r.status.value,
        "platform": None if r.platform is None else r.platform.value,
        "confirmation_id": r.confirmation_id,
        "platform_token": r.platform_token,
        "slot_token": r.slot_token,
        "start": r.start,
        "message": r.message,
        "created_at": r.created_at,
        "updated_at": r.updated_at,
    }


def _reservation(row: RowMapping) -> Reservation:
    zone = zone_or_none(row["time_zone"])
    start = row["start"]
    if start is not None and zone is not None:
        start = start.astimezone(zone)
    platform = row["platform"]

    return Reservation(
        reservation_id=row["reservation_id"],
        idempotency_key=row["idempotency_key"],
        fingerprint=row["fingerprint"],
        restaurant=RestaurantRef(
            name=row["restaurant_name"],
            time_zone=row["time_zone"],
            resy_venue_id=row["resy_venue_id"],
            resy_url_slug=row["resy_url_slug"],
            resy_city=row["resy_city"],
            opentable_slug=row["opentable_slug"],
            website=row["website"],
            address=row["address"],
        ),
        party_size=row["party_size"],
        guest=Guest(row["guest_name"], row["guest_phone"], row["guest_email"]),
        status=ReservationStatus(row["status"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        start=start,
        platform=None if platform is None else Platform(platform),
        confirmation_id=row["confirmation_id"],
        platform_token=row["platform_token"],
        slot_token=row["slot_token"],
        message=row["message"],
    )
