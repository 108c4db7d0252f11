"""The warm tier: cache entries in one SQL table, used on the caller's thread."""

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from adapters.cache.codec import Codec, Undecodable, Unencodable
from adapters.cache.keys import KIND_PROVIDERS, describe
from adapters.cache.sql_rows import DATABASE_ERRORS, make_rows
from domain.ports import CacheEntry, Clock

logger = logging.getLogger(__name__)

WARM = "warm"


class SqlCache:
    """The Cache port over `cache_entries`; a broken row or database is a miss.

    A row past `expires_at`, or one the codec cannot decode (an older
    version's, or garbage), is a miss; the next `set` replaces it. Every
    `prune_every`-th set deletes at most `prune_limit` expired rows, so no
    call does unbounded work. Database errors are logged and counted, never
    raised: the tier is an optimisation and must not fail a request.
    """

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        *,
        codec: Codec,
        prune_every: int = 256,
        prune_limit: int = 200,
        providers: Mapping[str, str] = KIND_PROVIDERS,
    ) -> None:
        if prune_every < 1 or prune_limit < 1:
            raise ValueError(
                "prune_every and prune_limit must be at least 1, "
                f"got {prune_every} and {prune_limit}"
            )
        self._rows = make_rows(engine)
        self._clock = clock
        self._codec = codec
        self._prune_every = prune_every
        self._prune_limit = prune_limit
        self._providers = providers
        self._sets = 0
        self.failed_reads = 0
        self.failed_writes = 0
        self.undecodable = 0
        self.unencodable = 0
        self.pruned = 0

    def get(self, key: str) -> CacheEntry | None:
        try:
            row = self._rows.read(key)
        except DATABASE_ERRORS as error:
            self.failed_reads += 1
            self._reset()
            logger.warning("cache.read_failed", extra=_failure(key, error))
            return None
        if row is None:
            return None
        text, stored_at, expires_at = row
        if self._clock.now() >= expires_at:
            return None
        try:
            value = self._codec.loads(text)
        except Undecodable as error:
            self.undecodable += 1
            logger.warning(
                "cache.undecodable", extra={"key": key, "reason": str(error)[:200]}
            )
            return None

        return CacheEntry(value, stored_at, WARM, expires_at)

    def set(
        self,
        key: str,
        value: object,
        keep_for: float,
        *,
        stored_at: datetime | None = None,
    ) -> None:
        try:
            text = self._codec.dumps(value)
        except Unencodable as error:
            # An older row must not outlive the value that replaced it.
            self.unencodable += 1
            logger.warning(
                "cache.unencodable", extra={"key": key, "reason": str(error)[:200]}
            )
            self._write(key, lambda: self._rows.delete(key))
            return
        now = stored_at or self._clock.now()
        about = describe(key, self._providers)
        row = {
            "key": key,
            "value": text,
            "stored_at": now,
            "expires_at": now + timedelta(seconds=keep_for),
            "provider": about.provider,
            "kind": about.kind,
        }
        if self._write(key, lambda: self._rows.upsert(row)):
            self._sets += 1
            if self._sets % self._prune_every == 0:
                self.prune()

    def prune(self, limit: int | None = None) -> int:
        """Delete at most `limit` (default `prune_limit`) expired rows."""
        now = self._clock.now()
        deleted: list[int] = []
        limit = limit or self._prune_limit
        if not self._write("", lambda: deleted.append(self._rows.prune(now, limit))):
            return 0
        self.pruned += deleted[0]
        logger.debug("cache.pruned", extra={"rows": deleted[0], "limit": limit})

        return deleted[0]

    def close(self) -> None:
        """Give the connections back to the engine's pool."""
        self._rows.close()

    def _write(self, key: str, work: Callable[[], Any]) -> bool:
        try:
            work()
        except DATABASE_ERRORS as error:
            self.failed_writes += 1
            self._reset()
            logger.warning("cache.write_failed", extra=_failure(key, error))
            return False

        return True

    def _reset(self) -> None:
        try:
            self._rows.reset()
        except DATABASE_ERRORS as error:
            logger.warning("cache.reset_failed", extra=_failure("", error))


def _failure(key: str, error: BaseException) -> dict[str, str]:
    detail = str(getattr(error, "orig", None) or error)[:200]

    return {"key": key, "error": type(error).__name__, "detail": detail}
