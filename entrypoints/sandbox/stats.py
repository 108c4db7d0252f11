"""Request counts the sandbox keeps per upstream and per path."""

import asyncio
from collections import Counter


class SandboxStats:
    """Counts every request an upstream route received, faulty answers included."""

    def __init__(self) -> None:
        self._paths: dict[str, Counter[str]] = {}
        self._waiters: list[tuple[str, int, asyncio.Future[None]]] = []

    def record(self, upstream: str, path: str) -> None:
        self._paths.setdefault(upstream, Counter())[path] += 1
        self._waiters = [w for w in self._waiters if not self._wake(*w)]

    def _wake(self, upstream: str, count: int, future: asyncio.Future[None]) -> bool:
        """Resolve a waiter whose count is reached; true when it is done with."""
        if not future.done() and self.count(upstream) >= count:
            future.set_result(None)

        return future.done()

    async def wait_for(self, upstream: str, count: int = 1) -> None:
        """Return once the upstream has received `count` requests in all."""
        if self.count(upstream) >= count:
            return
        future = asyncio.get_running_loop().create_future()
        self._waiters.append((upstream, count, future))
        await future

    def count(self, upstream: str | None = None, path: str | None = None) -> int:
        """Requests to one upstream (and path), or to all of them."""
        if upstream is None:
            return sum(sum(paths.values()) for paths in self._paths.values())
        paths = self._paths.get(upstream, Counter())
        if path is None:
            return sum(paths.values())

        return paths[path]

    def clear(self) -> None:
        self._paths.clear()

    def as_dict(self) -> dict[str, dict[str, int]]:
        """{upstream: {path: count}}, the body of GET /_sandbox/stats."""
        return {
            name: dict(sorted(paths.items()))
            for name, paths in sorted(self._paths.items())
        }
