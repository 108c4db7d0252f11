"""What every benchmark script shares: machine facts, medians, the results file."""

import json
import os
import platform
import statistics
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> dict[str, object]:
    """Where and when the figures were taken, so a reader can weigh them."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 0

    return {
        "run_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "packages": {
            name: _version(name)
            for name in ("httpx", "tenacity", "pybreaker", "sqlalchemy", "aiohttp")
        },
    }


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages: how busy the machine was meanwhile."""
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:
        return []


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def write_results(name: str, payload: dict[str, object]) -> Path:
    """Write `bench/results/<name>.json` and print the same JSON."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    text = json.dumps(payload, indent=2, sort_keys=False) + "\n"
    path.write_text(text, encoding="utf-8")
    print(text, end="")

    return path
