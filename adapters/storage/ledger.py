"""The SQL cost ledger: rows are buffered in memory and written in batches."""

import asyncio
import logging
from collections import deque
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select

from adapters.storage.engine import READ_ONLY
from adapters.storage.schema import api_calls
from domain.models import ApiCall
from domain.ports import Clock

logger = logging.getLogger(__name__)

Row = dict[str, Any]

_COLUMNS = (
    "at",
    "provider",
    "operation",
    "sku",
    "outcome",
    "http_status",
    "latency_ms",
    "cached",
    "cost_micros",
    "error_kind",
    "request_id",
)


_SQLITE_INSERT = "INSERT INTO api_calls ({}) VALUES ({})".format(
    ", ".join(_COLUMNS), ", ".join("?" for _ in _COLUMNS)
)


def _sqlite_row(row: Row) -> tuple[Any, ...]:
    """The row as SQLAlchemy's SQLite DateTime stores it: naive UTC text."""
    at = row["at"].astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return (at, *(row[name] for name in _COLUMNS[1:]))


class SqlCostLedger:
    """A CostLedger whose `record` only appends to a buffer.

    A background task started by `start()` writes the buffer every
    `flush_interval` seconds, or as soon as `batch_size` rows wait. A failed
    write keeps its rows and is tried again after a backoff; beyond
    `max_pending` rows the oldest are dropped and counted. Call `record`
    from the event loop's thread.
    """

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        *,
        batch_size: int = 500,
        flush_interval: float = 0.5,
        max_pending: int = 100_000,
        max_backoff: float = 30.0,
    ) -> None:
        if batch_size < 1 or max_pending < batch_size:
            raise ValueError(
                "need 1 <= batch_size <= max_pending, "
                f"got batch_size={batch_size}, max_pending={max_pending}"
            )
        self._engine = engine
        self._clock = clock
        self._batch_size = batch_size
        self._flush_interval = flush_interval
        self._max_pending = max_pending
        self._max_backoff = max_backoff
        self._buffer: deque[Row] = deque()
        self._in_flight = 0
        self._has_rows = asyncio.Event()
        self._batch_ready = asyncio.Event()
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._writes: set[asyncio.Future[Exception | None]] = set()
        self._failures_in_a_row = 0
        self._dropped_unreported = 0
        self.written = 0
        self.dropped = 0
        self.rejected = 0
        self.failed_writes = 0

    @property
    def pending(self) -> int:
        """Rows recorded but not yet written (buffered or being written)."""
        return len(self._buffer) + self._in_flight

    def record(self, call: ApiCall) -> None:
        try:
            row = _to_row(call)
        except Exception as exc:  # a bad row must never fail the caller's RPC
            self.rejected += 1
            logger.error(
                "ledger.row_rejected",
                extra={
                    "provider": getattr(call, "provider", ""),
                    "reason": str(exc)[:200],
                },
            )
            return

        self._buffer.append(row)
        self._trim()
        self._has_rows.set()
        if len(self._buffer) >= self._batch_size:
            self._batch_ready.set()

    async def start(self) -> None:
        if self._task is None or self._task.done():
            self._stop.clear()
            self._task = asyncio.create_task(self._run(), name="ledger-flush")

    async def flush(self) -> None:
        """Write every row buffered now; on failure keep them and return."""
        while self._buffer:
            if not await self._write_batch():
                return
        if self._writes:
            # Batches the background task took before this call began.
            await asyncio.wait(set(self._writes))

    async def close(self) -> None:
        """Stop the background task, then write whatever is still buffered."""
        task, self._task = self._task, None
        if task is not None:
            self._stop.set()
            try:
                await task
            except Exception as exc:  # the flusher's bug must not stop shutdown
                logger.error("ledger.flusher_failed", extra={"error": repr(exc)})
        await self.flush()
        if self.pending:
            logger.error("ledger.rows_unwritten", extra={"rows": self.pending})

    def rows(self, since: datetime | None = None) -> list[ApiCall]:
        """Stored rows, oldest first (sync: for tests and reports)."""
        query = select(api_calls).order_by(api_calls.c.at, api_calls.c.id)
        if since is not None:
            query = query.where(api_calls.c.at >= since)
        with self._engine.connect().execution_options(**READ_ONLY) as conn:
            result = conn.execute(query).mappings().all()

        return [ApiCall(**{name: row[name] for name in _COLUMNS}) for row in result]

    async def _run(self) -> None:
        while True:
            await _first_of(self._has_rows.wait(), self._stop.wait())
            if self._stop.is_set():
                return
            if self._failures_in_a_row:
                await _first_of(self._clock.sleep(self._backoff()), self._stop.wait())
            elif len(self._buffer) < self._batch_size:
                await _first_of(
                    self._clock.sleep(self._flush_interval),
                    self._batch_ready.wait(),
                    self._stop.wait(),
                )
            if self._stop.is_set():
                return
            await self.flush()

    async def _write_batch(self) -> bool:
        count = min(self._batch_size, len(self._buffer))
        batch = [self._buffer.popleft() for _ in range(count)]
        self._in_flight += count
        self._settle_events()
        write = asyncio.ensure_future(asyncio.to_thread(self._insert, batch))
        self._writes.add(write)
        # Accounting rides on the write itself, so a cancelled awaiter can
        # neither lose the batch nor count it twice.
        write.add_done_callback(lambda done: self._account(batch, done))
        error = await asyncio.shield(write)

        return error is None

    def _insert(self, batch: list[Row]) -> Exception | None:
        # Runs in a worker thread; everything else stays on the loop's thread.
        try:
            with self._engine.begin() as conn:
                if conn.dialect.name == "sqlite":
                    # The worker shares the GIL with the event loop: on SQLite
                    # a plain executemany costs half of Core's per-row work.
                    conn.exec_driver_sql(
                        _SQLITE_INSERT, [_sqlite_row(r) for r in batch]
                    )
                else:
                    conn.execute(api_calls.insert(), batch)
        except Exception as exc:  # whatever went wrong, the rows are kept
            return exc

        return None

    def _account(
        self, batch: list[Row], write: "asyncio.Future[Exception | None]"
    ) -> None:
        self._writes.discard(write)
        self._in_flight -= len(batch)
        error = None if write.cancelled() else write.result()
        if not write.cancelled() and error is None:
            self.written += len(batch)
            self._failures_in_a_row = 0
        else:
            # At least once: a write cut off by loop shutdown may be repeated.
            self.failed_writes += 1
            self._failures_in_a_row += 1
            self._buffer.extendleft(reversed(batch))
            self._trim()
            self._has_rows.set()
            logger.warning(
                "ledger.write_failed",
                extra={
                    "rows": len(batch),
                    "pending": self.pending,
                    "attempt": self._failures_in_a_row,
                    "error": type(error).__name__ if error else "CancelledError",
                    "detail": _describe(error),
                },
            )
        self._report_drops()

    def _trim(self) -> None:
        while self.pending > self._max_pending and self._buffer:
            self._buffer.popleft()
            self.dropped += 1
            self._dropped_unreported += 1

    def _settle_events(self) -> None:
        if not self._buffer:
            self._has_rows.clear()
        if len(self._buffer) < self._batch_size:
            self._batch_ready.clear()

    def _report_drops(self) -> None:
        # Logged from the writer, not from record(), which must stay cheap.
        if self._dropped_unreported:
            logger.error(
                "ledger.rows_dropped",
                extra={"rows": self._dropped_unreported, "total": self.dropped},
            )
            self._dropped_unreported = 0

    def _backoff(self) -> float:
        exponent = min(self._failures_in_a_row, 16)

        return min(self._max_backoff, self._flush_interval * 2**exponent)


def _describe(error: Exception | None) -> str:
    # The driver's own message, without SQLAlchemy's echo of the parameters.
    if error is None:
        return ""

    return str(getattr(error, "orig", None) or error)[:200]


def _to_row(call: ApiCall) -> Row:
    if type(call.cost_micros) is not int:
        raise TypeError(f"cost_micros must be an int, got {call.cost_micros!r}")
    if call.at.utcoffset() is None:
        raise ValueError(f"at must be timezone-aware, got {call.at!r}")
    row = {name: getattr(call, name) for name in _COLUMNS}
    row["at"] = call.at.astimezone(UTC)

    return row


async def _first_of(*waits: Any) -> None:
    """Wait until the first of several awaitables finishes; cancel the rest."""
    tasks = [asyncio.ensure_future(wait) for wait in waits]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
