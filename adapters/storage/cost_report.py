"""The CostReport port in SQL: api_calls summed with GROUP BY (SQLite, PostgreSQL)."""

import asyncio
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Engine, Select, case, cast, func, select
from sqlalchemy.sql.elements import ColumnElement

from adapters.storage.engine import READ_ONLY
from adapters.storage.schema import api_calls
from domain.ports import SkuUsage, UsageTotals

_C = api_calls.c


def utc_day(dialect: str) -> ColumnElement[Any]:
    """The UTC calendar day of `at`, in the dialect's own terms."""
    # SQLite holds naive UTC text, so date() is already the UTC day;
    # PostgreSQL holds timestamptz, which is moved to UTC before the cast
    # (a plain cast would use the session's time zone).
    if dialect == "sqlite":
        return func.date(_C.at)
    if dialect == "postgresql":
        return cast(func.timezone("UTC", _C.at), Date)

    return cast(_C.at, Date)


def _int(value: object) -> int:
    # SUM of a BIGINT is NUMERIC on PostgreSQL: a Decimal, exact, made an int.
    return 0 if value is None else int(value)  # type: ignore[call-overload]


def _day(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


class SqlCostReport:
    """Sums the ledger in the database; the queries run in a worker thread."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    async def totals(
        self, since: datetime, until: datetime, *, by_day: bool = False
    ) -> list[UsageTotals]:
        return await asyncio.to_thread(self.totals_now, since, until, by_day=by_day)

    async def answered(self, since: datetime, until: datetime) -> list[SkuUsage]:
        return await asyncio.to_thread(self.answered_now, since, until)

    def totals_now(
        self, since: datetime, until: datetime, *, by_day: bool = False
    ) -> list[UsageTotals]:
        """Rows per provider (and UTC day) with since <= at <= until (blocking)."""
        upstream = func.sum(case((_C.cached, 0), else_=1))
        cached = func.sum(case((_C.cached, 1), else_=0))
        columns: list[Any] = [
            _C.provider,
            upstream.label("calls"),
            cached.label("cache_hits"),
            func.sum(_C.cost_micros).label("cost_micros"),
        ]
        keys: list[Any] = [_C.provider]
        if by_day:
            day = utc_day(self._engine.dialect.name).label("day")
            columns.append(day)
            keys.append(day)
        query = _window(select(*columns), since, until).group_by(*keys)

        return [
            UsageTotals(
                provider=row["provider"],
                calls=_int(row["calls"]),
                cache_hits=_int(row["cache_hits"]),
                cost_micros=_int(row["cost_micros"]),
                day=_day(row["day"]) if by_day else None,
            )
            for row in self._read(query)
        ]

    def answered_now(self, since: datetime, until: datetime) -> list[SkuUsage]:
        """Upstream rows answered 2xx ("ok") per provider and SKU (blocking)."""
        query = (
            _window(
                select(
                    _C.provider,
                    _C.sku,
                    func.count().label("calls"),
                    func.sum(_C.cost_micros).label("cost_micros"),
                ),
                since,
                until,
            )
            .where(_C.cached.is_(False), _C.outcome == "ok")
            .group_by(_C.provider, _C.sku)
        )

        return [
            SkuUsage(
                provider=row["provider"],
                sku=row["sku"],
                calls=_int(row["calls"]),
                cost_micros=_int(row["cost_micros"]),
            )
            for row in self._read(query)
        ]

    def _read(self, query: Select[Any]) -> list[Any]:
        with self._engine.connect().execution_options(**READ_ONLY) as conn:
            return list(conn.execute(query).mappings())


def _window(query: Select[Any], since: datetime, until: datetime) -> Select[Any]:
    return query.where(_C.at >= since, _C.at <= until)
