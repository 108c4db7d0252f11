"""Request counts the sandbox keeps per upstream and per path."""

from collections import Counter


class SandboxStats:
    """Counts every request an upstream route received, faulty answers included."""

    def __init__(self) -> None:
        self._paths: dict[str, Counter[str]] = {}

    def record(self, upstream: str, path: str) -> None:
        self._paths.setdefault(upstream, Counter())[path] += 1

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

    def as_dict(self) -> dict[str, object]:
        upstreams = {
            name: {"total": sum(paths.values()), "paths": dict(sorted(paths.items()))}
            for name, paths in sorted(self._paths.items())
        }

        return {"total": self.count(), "upstreams": upstreams}
