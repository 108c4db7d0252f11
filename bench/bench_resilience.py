"""How much a dead Resy is asked, and what resilience costs a healthy call.

Writes bench/results/resilience.json and prints it; takes about 80 seconds.

Outage: two gateways' worth of objects, each built by the production
composition root (entrypoints.container.Container) and pointed at its own
in-process sandbox on loopback that answers 503 to everything. One keeps the
default Resy policy (breaker fail_max 5, a 20 % retry budget); the other has
the breaker and the budget switched off in effect. Side by side, each gets
the same fixed schedule of 50 distinct availability queries a second for 20
seconds through the CheckAvailability use case, on the real clock; every
request is a task launched on time and awaited at the end. Attempts are the
sandbox's own request count, divided by the requests made.

Overhead: the same healthy query, in interleaved rounds, through the bare
ResyAvailability adapter (a plain httpx client) and through the production
stack (breaker, retry, budget, and a metered transport writing every
attempt to a SQLite ledger in a temporary folder). Each round times every
call of a short block of each; the figure is the median over rounds of the
ratio of the blocks' median call times.
"""

import asyncio
import dataclasses
import logging
import sqlite3
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from _common import machine, median, write_results

from adapters.clock import SystemClock
from adapters.resilience.policy import DEFAULT_POLICIES, UpstreamPolicy
from adapters.resy.availability import ResyAvailability
from adapters.resy.settings import ResySettings
from adapters.storage.migrate import upgrade
from domain.models import AvailabilityQuery, RestaurantRef
from domain.validation import parse_query
from entrypoints.config import Settings
from entrypoints.container import Container
from entrypoints.sandbox.catalogue import (
    BOOKING_WINDOW_DAYS,
    Catalogue,
    default_catalogue,
)
from entrypoints.sandbox.server import RunningSandbox, start_sandbox
from entrypoints.sandbox.venues import Venue

RATE = 50.0
DURATION = 20.0
# Three attempts with full jitter wait at most 4 + 4 s; leave room for that.
DRAIN_CAP = 20.0
OVERHEAD_ROUNDS = 60
CALLS_PER_BLOCK = 20
WARM_UP_CALLS = 50
PARTY_SIZES = (1, 2, 3, 4)
# Matches the sandbox's key rule; never a real key.
BENCH_KEY = "benchOnlyResyKey0001"
LOOPBACK = {"127.0.0.1", "::1", "localhost"}
ALL_OFF = 10**9


def retry_only_policy() -> UpstreamPolicy:
    """Resy's default retries with no breaker and no budget to speak of."""
    return dataclasses.replace(
        DEFAULT_POLICIES["resy"],
        fail_max=ALL_OFF,
        retry_budget_ratio=float(ALL_OFF),
        budget_min_retries=ALL_OFF,
    )


def bench_settings(
    sandbox: RunningSandbox, data_dir: Path, resy: UpstreamPolicy | None = None
) -> Settings:
    policies = dict(DEFAULT_POLICIES)
    if resy is not None:
        policies["resy"] = resy
    settings = Settings(
        data_dir=data_dir,
        resy_api_key=BENCH_KEY,
        resy_base_url=sandbox.base_url,
        policies=policies,
    )
    host = urlsplit(settings.effective_resy_base_url).hostname
    if host not in LOOPBACK:
        raise SystemExit(f"refusing to benchmark against {host!r}: loopback only")

    return settings


@asynccontextmanager
async def production_stack(settings: Settings) -> AsyncIterator[Container]:
    """The container with its ledger running, closed as the Gateway closes it."""
    container = Container(settings=settings)
    upgrade(container.engine())
    ledger = container.ledger()
    await ledger.start()
    try:
        yield container
    finally:
        await container.resy_http().aclose()
        await ledger.close()
        container.engine().dispose()


def ledger_rows(data_dir: Path) -> int:
    """Resy attempts the ledger holds (cache hits are rows too, but not attempts)."""
    with sqlite3.connect(data_dir / "gateway.db") as db:
        (count,) = db.execute(
            "select count(*) from api_calls where provider = 'resy' and not cached"
        ).fetchone()

    return int(count)


def restaurant(venue: Venue) -> RestaurantRef:
    return RestaurantRef(
        name=venue.name,
        time_zone=venue.time_zone,
        resy_venue_id=str(venue.resy_venue_id),
        resy_url_slug=venue.url_slug,
        resy_city=venue.city,
    )


def distinct_queries(catalogue: Catalogue, count: int) -> list[AvailabilityQuery]:
    """`count` queries that differ in venue, day or party size: no cache helps."""
    now = datetime.now(UTC)
    venues = catalogue.venues
    combos = _combinations(venues, now)
    queries = []
    for _ in range(count):
        venue, day, party = next(combos)
        queries.append(parse_query(restaurant(venue), day.isoformat(), party, "", now))
    keys = {(q.restaurant.resy_venue_id, q.day, q.party_size) for q in queries}
    if len(keys) < count:
        raise SystemExit("the query generator repeated itself")

    return queries


def _combinations(
    venues: Sequence[Venue], now: datetime
) -> Iterator[tuple[Venue, date, int]]:
    # Start two days out so no venue's "today" is already behind it.
    for offset in range(2, BOOKING_WINDOW_DAYS - 1):
        for party in PARTY_SIZES:
            for venue in venues:
                yield venue, now.date() + timedelta(days=offset), party


async def drive(
    call: Callable[[AvailabilityQuery], Awaitable[object]],
    queries: Sequence[AvailabilityQuery],
) -> dict[str, object]:
    """Launch one task per query on a fixed schedule; await them all, capped."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    tasks = []
    latest = 0.0
    for index, query in enumerate(queries):
        due = started + index / RATE
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        latest = max(latest, loop.time() - due)
        tasks.append(asyncio.create_task(call(query)))
    launched_for = loop.time() - started
    done, pending = await asyncio.wait(tasks, timeout=DRAIN_CAP)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)

    return {
        "requests": len(tasks),
        "launched_over_s": round(launched_for, 3),
        "achieved_rate_per_s": round(len(tasks) / launched_for, 2),
        "latest_launch_ms": round(latest * 1000, 1),
        "finished_in_s": round(loop.time() - started, 3),
        "cancelled_at_cap": len(pending),
        "answers": _answers(done),
    }


def _answers(done: set[asyncio.Task[object]]) -> dict[str, int]:
    """How each request ended: the first layer failure's reason, or an error."""
    seen: Counter[str] = Counter()
    for task in done:
        error = task.exception()
        if error is not None:
            seen[f"raised {type(error).__name__}"] += 1
            continue
        failures = getattr(task.result(), "failures", ())
        seen[failures[0].reason if failures else "answered"] += 1

    return dict(sorted(seen.items()))


async def outage_run(
    name: str, policy: UpstreamPolicy | None, queries: Sequence[AvailabilityQuery]
) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as folder:
        data_dir = Path(folder)
        async with await start_sandbox("127.0.0.1", 0, "resy=outage") as sandbox:
            settings = bench_settings(sandbox, data_dir, policy)
            async with production_stack(settings) as container:
                load = await drive(container.check_availability(), queries)
                breaker = container.breakers().breaker("resy").snapshot()
            attempts = sandbox.stats.count("resy")
        rows = ledger_rows(data_dir)
    requests = int(load["requests"])  # type: ignore[call-overload]

    return {
        "attempts_per_request": round(attempts / requests, 4),
        "upstream_attempts": attempts,
        "ledger_rows": rows,
        "breaker_state_at_end": breaker.state,
        "policy": dataclasses.asdict(settings.policies["resy"]),
        **load,
    }


async def outage() -> dict[str, dict[str, object]]:
    queries = distinct_queries(default_catalogue(), int(RATE * DURATION))
    breaker, retry_only = await asyncio.gather(
        outage_run("breaker", None, queries),
        outage_run("retry-only", retry_only_policy(), queries),
    )

    return {"breaker": breaker, "retry_only": retry_only}


@dataclasses.dataclass(frozen=True, slots=True)
class Round:
    """One round's per-call microseconds: typical (median) and mean."""

    bare_median: float
    wrapped_median: float
    bare_mean: float
    wrapped_mean: float


async def timed_calls(call: Callable[[], Awaitable[object]], count: int) -> list[float]:
    """Microseconds of each of `count` calls made one after another."""
    spent = []
    for _ in range(count):
        started = time.perf_counter_ns()
        await call()
        spent.append((time.perf_counter_ns() - started) / 1000)

    return spent


async def overhead() -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="bench-overhead-") as folder:
        async with await start_sandbox("127.0.0.1", 0, "") as sandbox:
            settings = bench_settings(sandbox, Path(folder))
            async with (
                production_stack(settings) as container,
                httpx.AsyncClient(trust_env=False) as plain,
            ):
                bare = ResyAvailability(
                    plain,
                    ResySettings(base_url=sandbox.base_url, api_key=BENCH_KEY),
                    SystemClock(),
                )
                wrapped = container.resy()
                query = _healthy_query(sandbox)
                rounds = await _rounds(
                    lambda: bare.find_slots(query), lambda: wrapped.find_slots(query)
                )
                breaker = container.breakers().breaker("resy").snapshot()
                ledger = container.ledger()
            attempts = sandbox.stats.count("resy")
        rows = ledger_rows(Path(folder))
    bare_us = median([r.bare_median for r in rounds])
    wrapped_us = median([r.wrapped_median for r in rounds])
    per_call = OVERHEAD_ROUNDS * CALLS_PER_BLOCK

    return {
        "ratio_median_of_rounds": round(
            median([r.wrapped_median / r.bare_median for r in rounds]), 4
        ),
        "ratio_of_means_median_of_rounds": round(
            median([r.wrapped_mean / r.bare_mean for r in rounds]), 4
        ),
        "bare_median_us": round(bare_us, 1),
        "wrapped_median_us": round(wrapped_us, 1),
        "added_median_us": round(wrapped_us - bare_us, 1),
        "rounds": OVERHEAD_ROUNDS,
        "calls_per_round_each": CALLS_PER_BLOCK,
        "upstream_attempts": attempts,
        "calls_made": 2 * (WARM_UP_CALLS + per_call),
        "ledger_rows": rows,
        "ledger_rows_expected": WARM_UP_CALLS + per_call,
        "ledger_dropped": ledger.dropped,
        "breaker_state_at_end": breaker.state,
    }


def _healthy_query(sandbox: RunningSandbox) -> AvailabilityQuery:
    venue = sandbox.catalogue.resy_venue(1001)
    if venue is None:
        raise SystemExit("the sandbox lost venue 1001")
    day = (date.today() + timedelta(days=7)).isoformat()

    return parse_query(restaurant(venue), day, 2, "", datetime.now(UTC))


async def _rounds(
    bare: Callable[[], Awaitable[object]], wrapped: Callable[[], Awaitable[object]]
) -> list[Round]:
    await timed_calls(bare, WARM_UP_CALLS)
    await timed_calls(wrapped, WARM_UP_CALLS)
    rounds = []
    for index in range(OVERHEAD_ROUNDS):
        # Short blocks in alternating order: the machine's drift hits both.
        if index % 2:
            wrapped_us = await timed_calls(wrapped, CALLS_PER_BLOCK)
            bare_us = await timed_calls(bare, CALLS_PER_BLOCK)
        else:
            bare_us = await timed_calls(bare, CALLS_PER_BLOCK)
            wrapped_us = await timed_calls(wrapped, CALLS_PER_BLOCK)
        rounds.append(
            Round(
                median(bare_us),
                median(wrapped_us),
                statistics.fmean(bare_us),
                statistics.fmean(wrapped_us),
            )
        )

    return rounds


async def main() -> None:
    # Thousands of retry warnings would drown the report; errors still show.
    logging.basicConfig(level=logging.ERROR)
    started = time.monotonic()
    outages = await outage()
    costs = await overhead()
    results = {
        "outage_attempts_per_request_breaker": outages["breaker"][
            "attempts_per_request"
        ],
        "outage_attempts_per_request_retry_only": outages["retry_only"][
            "attempts_per_request"
        ],
        "overhead_ratio": costs["ratio_median_of_rounds"],
        "overhead_bare_median_us": costs["bare_median_us"],
        "overhead_wrapped_median_us": costs["wrapped_median_us"],
        "targets": {
            "outage_attempts_per_request_breaker": "<= 0.05",
            "outage_attempts_per_request_retry_only": "about 3 (max_attempts)",
            "overhead_ratio": "<= 1.10",
        },
        "method": {
            "load": (
                f"{RATE:g} distinct queries/s for {DURATION:g} s, one asyncio task "
                "each on a fixed schedule, through container.check_availability(); "
                "both outage variants run side by side, each with its own sandbox"
            ),
            "attempts": "the sandbox's request count for resy",
            "overhead": (
                f"one healthy query; {OVERHEAD_ROUNDS} rounds, each a block of "
                f"{CALLS_PER_BLOCK} sequential calls through bare ResyAvailability "
                "(plain httpx client) and a block through container.resy() "
                "(breaker, retry, budget, metered transport, SQLite ledger), "
                "order alternating; ratio of per-call medians, median of rounds"
            ),
            "clock": "real (SystemClock)",
            "sandbox": "in-process, 127.0.0.1, port 0",
        },
        "outage": outages,
        "overhead": costs,
        "machine": machine(),
        "elapsed_s": round(time.monotonic() - started, 1),
    }
    write_results("resilience", results)


if __name__ == "__main__":
    asyncio.run(main())
