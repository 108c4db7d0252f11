"""How long an OpenTable check takes in the browser, and whether Chromium leaks.

Writes bench/results/browser.json and prints it; about a minute on a quiet
machine, and no check starts after 110 seconds (the JSON says how many ran).

The OpenTableAvailability adapter, built from the production container's
own browser pool, settings, clock and ledger, reads the in-process
sandbox's restaurant pages (loopback, port 0) in headless Chromium; every
check is a fresh context, as in production. 200 checks: the first 60 one
after another (concurrency 1), the other 140 over two workers (the pool's
default bound). Latencies leave out the first check, which launches the
browser and is reported on its own.

Memory: the resident set of the Chromium process tree (the browser's main
process and everything descended from it), summed from /proc/<pid>/status
after the 20th and after the 200th check, once the tree has settled; the
ratio is the second over the first. Proportional set size (shared pages
split between the processes sharing them) and the Playwright driver's own
resident set are recorded beside it, for context.
"""

import asyncio
import logging
import os
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from _common import load_average, machine, median, write_results

from adapters.opentable.availability import OpenTableAvailability
from adapters.opentable.browser import BrowserPool
from adapters.storage.migrate import upgrade
from domain.models import AvailabilityQuery, RestaurantRef
from entrypoints.config import Settings
from entrypoints.container import Container
from entrypoints.sandbox.server import RunningSandbox, start_sandbox

TOTAL_CHECKS = 200
BASELINE_AFTER = 20
# Checks 1-60 one at a time, 61-200 two at a time.
SERIAL_CHECKS = 60
PARALLEL_WORKERS = 2
# No check starts after this; the JSON says how many were made.
BUDGET_SECONDS = 110.0
PARTY_SIZES = (2, 3, 4)
DAYS_AHEAD = range(2, 16)
SETTLE_SECONDS = 1.0
SAMPLES = 5
SAMPLE_GAP = 0.1
PROC = Path("/proc")
# The sandbox's venue 1001 as OpenTable knows it.
TAVERN = RestaurantRef(
    "Sandbox Tavern", "America/New_York", opentable_slug="sandbox-1001-new-york"
)


def queries(count: int) -> list[AvailabilityQuery]:
    """`count` checks cycling through days and party sizes, as callers would ask."""
    today = datetime.now(UTC).astimezone(ZoneInfo(TAVERN.time_zone)).date()
    combos = [
        (today + timedelta(days=ahead), party)
        for ahead in DAYS_AHEAD
        for party in PARTY_SIZES
    ]

    return [
        AvailabilityQuery(TAVERN, *combos[index % len(combos)], None)
        for index in range(count)
    ]


# --- the process tree, from /proc ---------------------------------------------


def _parents() -> dict[int, int]:
    found = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        # The command may hold spaces and ")"; the fields follow the last ")".
        fields = text.rpartition(")")[2].split()
        if fields[0] not in ("Z", "X"):
            found[int(entry.name)] = int(fields[1])

    return found


def tree(root: int) -> list[int]:
    """`root` and every live process descended from it."""
    children: dict[int, list[int]] = {}
    parents = _parents()
    for pid, parent in parents.items():
        children.setdefault(parent, []).append(pid)
    found, todo = [], [root] if root in parents else []
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, ()))

    return found


def _field_kib(path: Path, name: str) -> int:
    try:
        for line in path.read_text().splitlines():
            if line.startswith(name + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass

    return 0


def memory(pids: Sequence[int]) -> dict[str, int]:
    """Summed RSS and PSS in KiB, and how many processes were counted."""
    rss = sum(_field_kib(PROC / str(pid) / "status", "VmRSS") for pid in pids)
    pss = sum(_field_kib(PROC / str(pid) / "smaps_rollup", "Pss") for pid in pids)

    return {"rss_kib": rss, "pss_kib": pss, "processes": len(pids)}


async def settled_memory(pool: BrowserPool) -> dict[str, object]:
    """The browser tree's memory once closed contexts' renderers have gone."""
    found = pool.browser_processes()
    if found is None:
        raise SystemExit("the pool did not find its browser's processes in /proc")
    leader = found.group
    # Not a timeout: renderers of closed contexts take a moment to exit.
    await asyncio.sleep(SETTLE_SECONDS)
    samples = []
    for _ in range(SAMPLES):
        samples.append(memory(tree(leader)))
        await asyncio.sleep(SAMPLE_GAP)
    driver = _parents().get(leader, 0)

    return {
        "rss_kib": int(median([s["rss_kib"] for s in samples])),
        "pss_kib": int(median([s["pss_kib"] for s in samples])),
        "processes": int(median([s["processes"] for s in samples])),
        "driver_rss_kib": _field_kib(PROC / str(driver) / "status", "VmRSS"),
        "pool_resident_kib": found.resident_bytes() // 1024,
        "executable": _executable(leader),
    }


def _executable(pid: int) -> str:
    try:
        return os.readlink(PROC / str(pid) / "exe")
    except OSError:
        return "unknown"


# --- checks -------------------------------------------------------------------


class Tally:
    """Milliseconds of each successful check, and how the others ended."""

    def __init__(self) -> None:
        self.ms: list[float] = []
        self.outcomes: Counter[str] = Counter()

    async def check(
        self, adapter: OpenTableAvailability, query: AvailabilityQuery
    ) -> None:
        started = time.perf_counter()
        try:
            slots = await adapter.find_slots(query)
        except Exception as error:
            self.outcomes[type(error).__name__] += 1
            return
        self.ms.append((time.perf_counter() - started) * 1000)
        self.outcomes["slots" if slots else "no slots"] += 1

    def summary(self) -> dict[str, object]:
        ordered = sorted(self.ms)
        if not ordered:
            return {"timed_checks": 0, "outcomes": dict(self.outcomes)}

        def pct(share: float) -> float:
            index = min(len(ordered) - 1, round(share * (len(ordered) - 1)))
            return round(ordered[index], 1)

        return {
            "p50_ms": pct(0.5),
            "p95_ms": pct(0.95),
            "max_ms": round(ordered[-1], 1),
            "timed_checks": len(ordered),
            "outcomes": dict(self.outcomes),
        }


async def run_checks(
    adapter: OpenTableAvailability,
    asked: Sequence[AvailabilityQuery],
    workers: int,
    until: float,
) -> tuple[Tally, float]:
    """Each query once, over `workers` workers; none starts after `until`."""
    pending = iter(asked)
    timed = Tally()

    async def worker() -> None:
        for query in pending:
            if time.monotonic() >= until:
                timed.outcomes["not started: time budget spent"] += 1
                continue
            await timed.check(adapter, query)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(workers)))

    return timed, time.perf_counter() - started


def _rate(tally: Tally, seconds: float) -> float:
    return round(len(tally.ms) / seconds, 2) if seconds else 0.0


async def checks(
    adapter: OpenTableAvailability, pool: BrowserPool
) -> dict[str, object]:
    """Concurrency 1 first (memory after check 20), then 2 up to check 200.

    Memory is taken again at the end, after check 200 unless the time budget
    ran out first; `checks_made` says after which.
    """
    until = time.monotonic() + BUDGET_SECONDS
    asked = queries(TOTAL_CHECKS)
    launch = Tally()
    await launch.check(adapter, asked[0])
    first, first_s = await run_checks(adapter, asked[1:BASELINE_AFTER], 1, until)
    after_baseline = await settled_memory(pool)
    rest, rest_s = await run_checks(
        adapter, asked[BASELINE_AFTER:SERIAL_CHECKS], 1, until
    )
    serial = Tally()
    serial.ms = first.ms + rest.ms
    serial.outcomes = first.outcomes + rest.outcomes
    paired, paired_s = await run_checks(
        adapter, asked[SERIAL_CHECKS:], PARALLEL_WORKERS, until
    )
    after_all = await settled_memory(pool)
    done = (
        1
        + sum(t.outcomes.total() for t in (first, rest, paired))
        - sum(
            t.outcomes["not started: time budget spent"] for t in (first, rest, paired)
        )
    )

    return {
        "checks_made": done,
        "first_check_ms_with_launch": round(launch.ms[0], 1) if launch.ms else None,
        "first_check_outcome": dict(launch.outcomes),
        "concurrency_1": {
            **serial.summary(),
            "checks_per_s": _rate(serial, first_s + rest_s),
        },
        "concurrency_2": {
            **paired.summary(),
            "workers": PARALLEL_WORKERS,
            "checks_per_s": _rate(paired, paired_s),
            "peak_contexts": pool.peak_contexts,
        },
        "memory_after_20": after_baseline,
        "memory_at_end": {"after_check": done, **after_all},
    }


def _ratio(run: dict[str, Any], figure: str) -> float:
    before = run["memory_after_20"][figure]
    after = run["memory_at_end"][figure]

    return round(float(after) / float(before), 4)


async def measure(sandbox: RunningSandbox, data_dir: Path) -> dict[str, Any]:
    settings = Settings(
        data_dir=data_dir,
        sandbox_address=sandbox.base_url.removeprefix("http://"),
        log_level="ERROR",
    )
    if settings.effective_opentable_base_url != sandbox.base_url:
        raise SystemExit("refusing to drive the browser anywhere but the sandbox")
    container = Container(settings=settings)
    upgrade(container.engine())
    ledger = container.ledger()
    await ledger.start()
    pool = container.browser()
    adapter = OpenTableAvailability(
        pool=pool,
        settings=container.opentable_settings(),
        clock=container.clock(),
        ledger=ledger,
    )
    try:
        made = await checks(adapter, pool)
        launches = pool.launches
    finally:
        await pool.close()
        await ledger.close()
        container.engine().dispose()
    leftovers = pool.browser_processes()

    return {
        **made,
        "browser_launches": launches,
        "processes_left_after_close": len(leftovers.live()) if leftovers else None,
        "max_concurrency_setting": settings.opentable_max_concurrency,
        "render_delay": "the sandbox's default (times appear 0.15 s after load)",
    }


async def main() -> None:
    logging.basicConfig(level=logging.ERROR)
    started = time.monotonic()
    load_at_start = load_average()
    with tempfile.TemporaryDirectory(prefix="bench-browser-") as folder:
        async with await start_sandbox("127.0.0.1", 0, "") as sandbox:
            runs = await measure(sandbox, Path(folder))
            pages = sandbox.stats.as_dict().get("opentable", {})
    one, two = runs["concurrency_1"], runs["concurrency_2"]
    complete = runs["checks_made"] == TOTAL_CHECKS
    results = {
        "browser_check_p50_ms": {
            "concurrency_1": one["p50_ms"],
            "concurrency_2": two["p50_ms"],
        },
        "browser_check_p95_ms": {
            "concurrency_1": one["p95_ms"],
            "concurrency_2": two["p95_ms"],
        },
        "browser_rss_growth_ratio": _ratio(runs, "rss_kib"),
        "browser_pss_growth_ratio": _ratio(runs, "pss_kib"),
        "checks": {
            "concurrency_1": one["timed_checks"],
            "concurrency_2": two["timed_checks"],
            "in_all_with_launch": runs["checks_made"],
            "all_200_made": complete,
        },
        "targets": {"browser_rss_growth_ratio": "<= 1.1"},
        "method": {
            "checks": (
                "OpenTableAvailability.find_slots over the container's BrowserPool "
                "(fresh context per check) against the in-process sandbox's "
                "restaurant page for sandbox-1001-new-york, days 2-15 ahead, "
                f"parties {PARTY_SIZES}; checks 1-{SERIAL_CHECKS} one after another, "
                f"{SERIAL_CHECKS + 1}-{TOTAL_CHECKS} over {PARALLEL_WORKERS} workers; "
                "wall time per check, the first (launching) check excluded; no "
                f"check starts after {BUDGET_SECONDS:g} s"
            ),
            "memory": (
                "sum of VmRSS over the Chromium main process and its descendants "
                f"(/proc), after check {BASELINE_AFTER} and after check "
                f"{TOTAL_CHECKS}, each the median of "
                f"{SAMPLES} samples taken after {SETTLE_SECONDS:g} s of quiet; "
                "PSS from smaps_rollup likewise"
            ),
        },
        "runs": runs,
        "sandbox_requests": pages,
        "machine": machine(),
        "load_average_1_5_15": {"at_start": load_at_start, "at_end": load_average()},
        "elapsed_s": round(time.monotonic() - started, 1),
    }
    write_results("browser", results)


if __name__ == "__main__":
    asyncio.run(main())
