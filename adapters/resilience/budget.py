"""A retry budget: retries may add only a share of an upstream's traffic."""

from collections import deque
from dataclasses import dataclass

from domain.ports import Clock

DEFAULT_MIN_RETRIES = 3
_BUCKETS = 20


def retry_allowed(requests: int, retries: int, ratio: float, minimum: int) -> bool:
    """Whether one more retry keeps retries within ratio * requests + minimum."""
    return retries + 1 <= ratio * requests + minimum


@dataclass(slots=True)
class _Bucket:
    index: int
    requests: int = 0
    retries: int = 0


class RetryBudget:
    """Counts first attempts and retries over a sliding window.

    During an outage every request fails, so without a budget an upstream
    sees `max_attempts` times its traffic; with one, about `1 + ratio` times.
    `min_retries` are allowed in every window whatever the traffic, so a
    quiet upstream (a request a minute) still gets its retries; that adds at
    most `min_retries` attempts per window to a dead upstream. The window
    slides in twentieths, so memory stays constant under any traffic.
    """

    def __init__(
        self,
        ratio: float,
        window: float,
        clock: Clock,
        *,
        min_retries: int = DEFAULT_MIN_RETRIES,
    ) -> None:
        if ratio < 0 or window <= 0 or min_retries < 0:
            raise ValueError(
                f"need ratio >= 0, window > 0 and min_retries >= 0, "
                f"got {ratio}, {window}, {min_retries}"
            )
        self.ratio = ratio
        self.window = window
        self.min_retries = min_retries
        self._clock = clock
        self._width = window / _BUCKETS
        self._buckets: deque[_Bucket] = deque()

    def record_request(self) -> None:
        """Note a logical call's first attempt."""
        self._current().requests += 1

    def record_retry(self) -> None:
        self._current().retries += 1

    def can_retry(self) -> bool:
        requests, retries = self.counts()

        return retry_allowed(requests, retries, self.ratio, self.min_retries)

    def counts(self) -> tuple[int, int]:
        """First attempts and retries in the window."""
        self._expire(self._index())

        return (
            sum(bucket.requests for bucket in self._buckets),
            sum(bucket.retries for bucket in self._buckets),
        )

    def _index(self) -> int:
        return int(self._clock.monotonic() // self._width)

    def _expire(self, index: int) -> None:
        oldest = index - _BUCKETS + 1
        while self._buckets and self._buckets[0].index < oldest:
            self._buckets.popleft()

    def _current(self) -> _Bucket:
        index = self._index()
        self._expire(index)
        if not self._buckets or self._buckets[-1].index != index:
            self._buckets.append(_Bucket(index))

        return self._buckets[-1]
