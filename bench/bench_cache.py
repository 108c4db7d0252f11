"""What the cache tiers cost and save, each figure a ratio taken in one run.

Writes bench/results/cache.json and prints it; takes about 80 seconds.

Hot tier alone: MemoryCache against a plain cachetools.TTLCache of the same
size, hits in interleaved rounds; sets of fresh keys (each one evicting) at
100,000 entries against the same at 100.

Through gRPC: this process serves three things on loopback, each on its own
port: a bare grpc.aio echo (a generic handler, bytes in and bytes out; a
second method sends its initial metadata first, as the gateway does), a
gateway (the production container and GatewayServer) whose search answer is
in the hot tier, and a gateway whose hot tier keeps nothing, so the same
answer comes from the warm SQLite tier. Both gateways point at one
in-process sandbox. The load comes from a client in another process
(this file run with --client), so the client's CPU is not the servers':
one channel per target, 16 workers each calling back to back, the targets
taking turns in short rounds; a ratio is the median over rounds.

Stampede: a fresh sandbox and gateway; the client fires 500 identical cold
SearchRestaurants at once; the sandbox counts what reached Google Places.
Run twice, the second time with Places slowed in the sandbox, so that every
request arrives while the one load is still in flight.
"""

import asyncio
import json
import logging
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from _common import load_average, machine, median, write_results
from cachetools import TTLCache

from adapters.cache.memory import MemoryCache
from adapters.clock import SystemClock
from adapters.storage.migrate import upgrade
from entrypoints.config import Settings
from entrypoints.container import Container
from entrypoints.grpc_api.server import GatewayServer
from entrypoints.sandbox.server import RunningSandbox, start_sandbox
from reservations.v1 import restaurants_pb2, restaurants_pb2_grpc

HOT_ENTRIES = 100_000
GET_ROUNDS = 30
GETS_PER_BLOCK = 20_000
SET_ROUNDS = 10
SETS_PER_BLOCK = 20_000
SMALL = 100
LARGE = 100_000
KEEP_FOR = 300.0

CONCURRENCY = 16
ROUNDS = 10
ROUND_SECONDS = 1.0
WARM_UP_SECONDS = 1.0
STAMPEDE = 500
# Places answers at once in the sandbox; a stampede is also run against a
# Places that takes this long, so every request arrives while the load runs.
STAMPEDE_PLACES_DELAY = 0.3
ECHO_METHOD = "/bench.Echo/Echo"
ECHO_WITH_HEADERS_METHOD = "/bench.Echo/EchoAfterHeaders"
TARGETS = ("echo", "echo_after_headers", "hot", "warm")
SEARCH_METHOD = "/reservations.v1.RestaurantService/SearchRestaurants"
QUERY = "food"  # the sandbox catalogue: all six venues
LOOPBACK = "127.0.0.1"


def _source_name(number: int) -> str:
    field = restaurants_pb2.SearchRestaurantsResponse.DESCRIPTOR.fields_by_name[
        "source"
    ]

    return str(field.enum_type.values_by_number[number].name)


# --- the hot tier alone -----------------------------------------------------


def _keys(count: int, prefix: str) -> list[str]:
    return [f"search:{prefix}{index}:anywhere:5000:10" for index in range(count)]


def _timed_gets(get: Callable[[str], object], keys: Sequence[str]) -> float:
    """CPU seconds of this thread for one pass of `get` over `keys`.

    CPU time, not wall time: other processes on a shared machine then take
    nothing from either side of a ratio.
    """
    started = time.thread_time()
    for key in keys:
        get(key)

    return time.thread_time() - started


def hot_gets() -> dict[str, object]:
    keys = _keys(HOT_ENTRIES, "q")
    value = ("a cached answer",)
    plain: TTLCache[str, object] = TTLCache(maxsize=HOT_ENTRIES, ttl=KEEP_FOR)
    hot = MemoryCache(SystemClock(), max_entries=HOT_ENTRIES)
    for key in keys:
        plain[key] = value
        hot.set(key, value, KEEP_FOR)
    order = keys[:]
    random.Random(4).shuffle(order)
    missing = sum(hot.get(k) is None for k in order) + sum(
        plain.get(k) is None for k in order
    )
    if missing:
        raise SystemExit(f"{missing} of the hit benchmark's keys were misses")

    blocks = [
        order[start : start + GETS_PER_BLOCK]
        for start in range(0, len(order), GETS_PER_BLOCK)
    ]
    ratios, hot_rates, plain_rates = [], [], []
    for index in range(GET_ROUNDS):
        block = blocks[index % len(blocks)]
        # Alternate which goes first, so drift in the machine hits both.
        if index % 2:
            hot_s = _timed_gets(hot.get, block)
            plain_s = _timed_gets(plain.get, block)
        else:
            plain_s = _timed_gets(plain.get, block)
            hot_s = _timed_gets(hot.get, block)
        hot_rates.append(len(block) / hot_s)
        plain_rates.append(len(block) / plain_s)
        ratios.append(plain_s / hot_s)

    return {
        "ratio_median_of_rounds": round(median(ratios), 4),
        "memory_cache_hits_per_s": round(median(hot_rates)),
        "cachetools_ttlcache_hits_per_s": round(median(plain_rates)),
        "entries": HOT_ENTRIES,
        "gets_per_round_each": GETS_PER_BLOCK,
        "clock": "time.thread_time (CPU time of the benchmark thread)",
        "rounds": GET_ROUNDS,
    }


def _timed_sets(put: Callable[[str], None], keys: Sequence[str]) -> float:
    """CPU microseconds of this thread per call of `put` over fresh `keys`."""
    started = time.thread_time()
    for key in keys:
        put(key)

    return (time.thread_time() - started) / len(keys) * 1e6


def hot_sets() -> dict[str, object]:
    clock = SystemClock()
    value = ("a cached answer",)
    caches = {size: MemoryCache(clock, max_entries=size) for size in (SMALL, LARGE)}
    plains: dict[int, TTLCache[str, object]] = {
        size: TTLCache(maxsize=size, ttl=KEEP_FOR) for size in (SMALL, LARGE)
    }
    for size in (SMALL, LARGE):
        for key in _keys(size, "fill"):
            caches[size].set(key, value, KEEP_FOR)
            plains[size][key] = value

    def memory_set(size: int) -> Callable[[str], None]:
        cache = caches[size]
        return lambda key: cache.set(key, value, KEEP_FOR)

    def plain_set(size: int) -> Callable[[str], None]:
        cache = plains[size]
        return lambda key: cache.__setitem__(key, value)

    per_set: dict[str, list[float]] = {
        "memory_small": [],
        "memory_large": [],
        "plain_small": [],
        "plain_large": [],
    }
    for index in range(SET_ROUNDS):
        # Every key is new to every cache: each set evicts one entry.
        fresh = _keys(SETS_PER_BLOCK, f"r{index}-")
        sizes = (SMALL, LARGE) if index % 2 == 0 else (LARGE, SMALL)
        for size in sizes:
            name = "small" if size == SMALL else "large"
            per_set[f"memory_{name}"].append(_timed_sets(memory_set(size), fresh))
            per_set[f"plain_{name}"].append(_timed_sets(plain_set(size), fresh))
    if len(caches[LARGE]) != LARGE or len(caches[SMALL]) != SMALL:
        raise SystemExit("a cache did not stay at its maximum size")
    ratios = [
        large / small
        for large, small in zip(
            per_set["memory_large"], per_set["memory_small"], strict=True
        )
    ]
    plain_ratios = [
        large / small
        for large, small in zip(
            per_set["plain_large"], per_set["plain_small"], strict=True
        )
    ]

    return {
        "ratio_median_of_rounds": round(median(ratios), 4),
        "memory_cache_set_us_at_100k": round(median(per_set["memory_large"]), 3),
        "memory_cache_set_us_at_100": round(median(per_set["memory_small"]), 3),
        "cachetools_ttlcache_ratio_for_reference": round(median(plain_ratios), 4),
        "cachetools_ttlcache_set_us_at_100k": round(median(per_set["plain_large"]), 3),
        "cachetools_ttlcache_set_us_at_100": round(median(per_set["plain_small"]), 3),
        "sets_per_block": SETS_PER_BLOCK,
        "clock": "time.thread_time (CPU time of the benchmark thread)",
        "rounds": SET_ROUNDS,
    }


# --- servers in this process ------------------------------------------------


async def _echo(request: bytes, context: Any) -> bytes:
    return request


async def _echo_after_headers(request: bytes, context: Any) -> bytes:
    """The echo, sending its initial metadata first as the gateway's RPCs do."""
    await context.send_initial_metadata((("x-request-id", "0" * 32),))

    return request


@asynccontextmanager
async def echo_server() -> AsyncIterator[str]:
    """A bare grpc.aio server whose generic unary methods echo the bytes sent."""
    server = grpc.aio.server()
    handlers = {
        "Echo": grpc.unary_unary_rpc_method_handler(_echo),
        "EchoAfterHeaders": grpc.unary_unary_rpc_method_handler(_echo_after_headers),
    }
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler("bench.Echo", handlers),)
    )
    port = server.add_insecure_port(f"{LOOPBACK}:0")
    await server.start()
    try:
        yield f"{LOOPBACK}:{port}"
    finally:
        await server.stop(0)


@dataclass
class Gateway:
    address: str
    container: Container


@asynccontextmanager
async def gateway(
    sandbox: RunningSandbox, data_dir: Path, **changes: Any
) -> AsyncIterator[Gateway]:
    """The production container and GatewayServer, every upstream at `sandbox`."""
    sandbox_address = sandbox.base_url.removeprefix("http://")
    settings = Settings(
        data_dir=data_dir,
        sandbox_address=sandbox_address,
        grpc_address=f"{LOOPBACK}:0",
        log_level="ERROR",
        **changes,
    )
    for url in (
        settings.effective_places_base_url,
        settings.effective_resy_base_url,
        settings.effective_openweather_base_url,
        settings.effective_opentable_base_url,
    ):
        if url != sandbox.base_url:
            raise SystemExit(f"refusing to benchmark against {url!r}: sandbox only")
    container = Container(settings=settings)
    upgrade(container.engine())
    ledger = container.ledger()
    await ledger.start()
    server = GatewayServer(container, settings.grpc_address)
    await server.start()
    try:
        yield Gateway(f"{LOOPBACK}:{server.port}", container)
    finally:
        await server.stop(0)
        for client in (
            container.resy_http(),
            container.places_http(),
            container.weather_http(),
        ):
            await client.aclose()
        await ledger.close()
        container.engine().dispose()


def _ledger_counts(served: Gateway) -> dict[str, int]:
    """Every cache hit is a ledger row: how many were written, dropped, pending."""
    ledger = served.container.ledger()

    return {
        "written": int(ledger.written),
        "dropped": int(ledger.dropped),
        "pending": int(ledger.pending),
    }


def search_request() -> bytes:
    return restaurants_pb2.SearchRestaurantsRequest(query=QUERY).SerializeToString()


async def search_once(address: str) -> tuple[str, int, int]:
    """One SearchRestaurants: its source's name, restaurants and response bytes."""
    async with grpc.aio.insecure_channel(address) as channel:
        stub = restaurants_pb2_grpc.RestaurantServiceStub(channel)
        answer = await stub.SearchRestaurants(
            restaurants_pb2.SearchRestaurantsRequest(query=QUERY), timeout=10
        )

    return _source_name(answer.source), len(answer.restaurants), answer.ByteSize()


async def run_client(plan: dict[str, object]) -> dict[str, Any]:
    """Run this file as the load client in another process; its JSON answer."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--client",
        json.dumps(plan),
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        out, _ = await asyncio.wait_for(process.communicate(), timeout=110)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise SystemExit("the load client ran past its 110 s") from None
    if process.returncode != 0:
        raise SystemExit(f"the load client failed with exit code {process.returncode}")

    return json.loads(out)


async def throughput() -> dict[str, object]:
    payload = search_request().hex()
    with tempfile.TemporaryDirectory(prefix="bench-cache-") as folder:
        root = Path(folder)
        (root / "hot").mkdir()
        (root / "warm").mkdir()
        async with (
            await start_sandbox(LOOPBACK, 0, "") as sandbox,
            echo_server() as echo,
            gateway(sandbox, root / "hot") as hot,
            gateway(sandbox, root / "warm", hot_cache_keep_for=0.0) as warm,
        ):
            # First calls go live and store the answer; the rest are cached.
            first = [await search_once(g.address) for g in (hot, warm)]
            before = [await search_once(g.address) for g in (hot, warm)]
            places_before = sandbox.stats.count("google_places")
            load = await run_client(
                {
                    "mode": "throughput",
                    "concurrency": CONCURRENCY,
                    "rounds": ROUNDS,
                    "round_seconds": ROUND_SECONDS,
                    "warm_up_seconds": WARM_UP_SECONDS,
                    "targets": {
                        "echo": [echo, ECHO_METHOD, payload],
                        "echo_after_headers": [echo, ECHO_WITH_HEADERS_METHOD, payload],
                        "hot": [hot.address, SEARCH_METHOD, payload],
                        "warm": [warm.address, SEARCH_METHOD, payload],
                    },
                }
            )
            after = [await search_once(g.address) for g in (hot, warm)]
            places_during = sandbox.stats.count("google_places") - places_before
            warm_tier = warm.container.warm_cache()
            warm_failures = warm_tier.failed_reads + warm_tier.undecodable
            ledgers = {
                name: _ledger_counts(g) for name, g in (("hot", hot), ("warm", warm))
            }
    sources = {
        "hot_gateway": [first[0][0], before[0][0], after[0][0]],
        "warm_gateway": [first[1][0], before[1][0], after[1][0]],
    }
    if before[0][0] != "SOURCE_HOT_CACHE" or before[1][0] != "SOURCE_WARM_CACHE":
        raise SystemExit(f"the gateways did not answer from the tiers meant: {sources}")
    rounds = load["rounds"]

    def ratio(top: str, bottom: str) -> float:
        return median([r[top]["rps"] / r[bottom]["rps"] for r in rounds])

    def typical(name: str, figure: str) -> float:
        return median([r[name][figure] for r in rounds])

    return {
        "cached_vs_bare_ratio": round(ratio("hot", "echo"), 4),
        "echo_after_headers_vs_echo_ratio": round(
            ratio("echo_after_headers", "echo"), 4
        ),
        "warm_vs_hot_ratio": round(ratio("warm", "hot"), 4),
        "rps": {name: round(typical(name, "rps")) for name in TARGETS},
        "p50_ms": {name: round(typical(name, "p50_ms"), 3) for name in TARGETS},
        "p99_ms": {name: round(typical(name, "p99_ms"), 3) for name in TARGETS},
        "errors": {name: sum(r[name]["errors"] for r in rounds) for name in TARGETS},
        "response_bytes": {
            "echo": len(bytes.fromhex(payload)),
            "search": before[0][2],
        },
        "restaurants_per_answer": before[0][1],
        "sources_checked_before_and_after": sources,
        "places_calls_during_load": places_during,
        "warm_tier_failed_reads_or_undecodable": warm_failures,
        "ledger_rows_while_serving": ledgers,
        "concurrency": CONCURRENCY,
        "rounds": ROUNDS,
        "round_seconds": ROUND_SECONDS,
        "client_cpu_s": load["cpu_s"],
        "per_round": rounds,
    }


async def stampede(places_faults: str) -> dict[str, object]:
    """500 identical cold searches at once against a fresh gateway and sandbox."""
    with tempfile.TemporaryDirectory(prefix="bench-stampede-") as folder:
        async with (
            await start_sandbox(LOOPBACK, 0, places_faults) as sandbox,
            gateway(sandbox, Path(folder)) as cold,
        ):
            load = await run_client(
                {
                    "mode": "stampede",
                    "target": [cold.address, SEARCH_METHOD, search_request().hex()],
                    "calls": STAMPEDE,
                }
            )
            metrics = cold.container.cache_metrics()
            coalesced = metrics.count("live", "search", "coalesced_waits")
            loads = metrics.count("live", "search", "loads")
            upstream = sandbox.stats.as_dict()

    return {
        "places_calls": sum(upstream.get("google_places", {}).values()),
        "sandbox_faults": places_faults or "none",
        "sandbox_requests": upstream,
        "calls": STAMPEDE,
        "answers_by_source": load["sources"],
        "errors": load["errors"],
        "cache_loads": loads,
        "coalesced_waits": coalesced,
        "all_sent_in_ms": load["sent_ms"],
        "all_answered_in_ms": load["elapsed_ms"],
    }


async def stampedes() -> dict[str, dict[str, object]]:
    slow = f"google_places=slow:{STAMPEDE_PLACES_DELAY:g}"

    return {"fast_places": await stampede(""), "slow_places": await stampede(slow)}


# --- the load client (another process) --------------------------------------


async def _worker(
    call: Any, payload: bytes, until: float, spent: list[float], errors: list[int]
) -> None:
    while (now := time.perf_counter()) < until:
        try:
            await call(payload, timeout=10)
        except Exception:
            errors[0] += 1
            continue
        spent.append(time.perf_counter() - now)


async def _round(
    call: Any, payload: bytes, concurrency: int, seconds: float
) -> dict[str, Any]:
    spent: list[float] = []
    errors = [0]
    started = time.perf_counter()
    until = started + seconds
    await asyncio.gather(
        *(_worker(call, payload, until, spent, errors) for _ in range(concurrency))
    )
    elapsed = time.perf_counter() - started
    spent.sort()

    def pct(share: float) -> float:
        return (
            spent[min(len(spent) - 1, int(share * len(spent)))] * 1000 if spent else 0.0
        )

    return {
        "calls": len(spent),
        "rps": len(spent) / elapsed,
        "p50_ms": pct(0.5),
        "p99_ms": pct(0.99),
        "errors": errors[0],
    }


async def client_throughput(plan: dict[str, Any]) -> dict[str, Any]:
    channels, calls = {}, {}
    for name, (address, method, payload) in plan["targets"].items():
        channels[name] = grpc.aio.insecure_channel(address)
        calls[name] = (channels[name].unary_unary(method), bytes.fromhex(payload))
    names = list(calls)
    concurrency = plan["concurrency"]
    for name in names:
        await _round(*calls[name], concurrency, plan["warm_up_seconds"])
    rounds = []
    for index in range(plan["rounds"]):
        # Rotate who goes first, so each target meets the machine's drift.
        turn = names[index % len(names) :] + names[: index % len(names)]
        rounds.append(
            {
                name: await _round(*calls[name], concurrency, plan["round_seconds"])
                for name in turn
            }
        )
    for channel in channels.values():
        await channel.close()

    return {"rounds": rounds, "cpu_s": round(time.process_time(), 2)}


async def client_stampede(plan: dict[str, Any]) -> dict[str, Any]:
    address, method, payload = plan["target"]
    async with grpc.aio.insecure_channel(address) as channel:
        await channel.channel_ready()
        call = channel.unary_unary(
            method,
            response_deserializer=restaurants_pb2.SearchRestaurantsResponse.FromString,
        )
        body = bytes.fromhex(payload)
        started = time.perf_counter()
        tasks = [
            asyncio.ensure_future(call(body, timeout=30)) for _ in range(plan["calls"])
        ]
        sent = time.perf_counter() - started
        outcomes = await asyncio.gather(*tasks, return_exceptions=True)
        elapsed = time.perf_counter() - started
    sources: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    for outcome in outcomes:
        if isinstance(outcome, grpc.aio.AioRpcError):
            errors[outcome.code().name] += 1
        elif isinstance(outcome, BaseException):
            errors[type(outcome).__name__] += 1
        else:
            sources[_source_name(outcome.source)] += 1

    return {
        "sources": dict(sources),
        "errors": dict(errors),
        "sent_ms": round(sent * 1000, 1),
        "elapsed_ms": round(elapsed * 1000, 1),
    }


def client_main(plan_text: str) -> None:
    plan = json.loads(plan_text)
    run = client_throughput if plan["mode"] == "throughput" else client_stampede
    print(json.dumps(asyncio.run(run(plan))))


# --- the report ---------------------------------------------------------------


async def main() -> None:
    logging.basicConfig(level=logging.ERROR)
    started = time.monotonic()
    load_at_start = load_average()
    gets = hot_gets()
    sets = hot_sets()
    served = await throughput()
    rush = await stampedes()
    results = {
        "hot_get_ratio_vs_cachetools": gets["ratio_median_of_rounds"],
        "set_cost_ratio_100k_vs_100": sets["ratio_median_of_rounds"],
        "cached_search_rps_ratio_vs_bare_grpc": served["cached_vs_bare_ratio"],
        "warm_search_rps_ratio_vs_hot": served["warm_vs_hot_ratio"],
        "stampede_upstream_calls": max(
            int(run["places_calls"])  # type: ignore[call-overload]
            for run in rush.values()
        ),
        "targets": {
            "hot_get_ratio_vs_cachetools": ">= 0.9",
            "set_cost_ratio_100k_vs_100": "<= 1.5",
            "cached_search_rps_ratio_vs_bare_grpc": ">= 0.6",
            "warm_search_rps_ratio_vs_hot": ">= 0.5",
            "stampede_upstream_calls": "1",
        },
        "method": {
            "hot_gets": (
                f"MemoryCache and cachetools.TTLCache, {HOT_ENTRIES:,} entries each, "
                f"every key present, keys shuffled; {GET_ROUNDS} rounds, each a block "
                f"of {GETS_PER_BLOCK:,} get() calls per cache, order alternating; "
                "ratio of hits per CPU second (MemoryCache over TTLCache), median "
                "of rounds"
            ),
            "hot_sets": (
                f"MemoryCache filled to {LARGE:,} and to {SMALL}; {SET_ROUNDS} rounds "
                f"of {SETS_PER_BLOCK:,} sets of new keys each (every set evicts), "
                "order alternating; ratio of CPU time per set, median of rounds"
            ),
            "load": (
                "client in another process (this file with --client), grpc.aio, one "
                f"channel per target, {CONCURRENCY} workers calling back to back; "
                f"{ROUNDS} rounds of {ROUND_SECONDS:g} s per target, rotating order, "
                f"after {WARM_UP_SECONDS:g} s of warm-up each; ratios are medians "
                "over rounds of the rounds' RPC/s; echo_after_headers is the echo "
                "sending its initial metadata before the answer, as every gateway "
                "RPC does (context only)"
            ),
            "servers": (
                "one process: a bare grpc.aio echo server (generic handler, raw "
                "bytes), a GatewayServer over the production container (hot), and "
                "another with Settings(hot_cache_keep_for=0) so answers come from "
                "the SQLite warm tier; all on 127.0.0.1, upstreams the in-process "
                "sandbox"
            ),
            "search": f"SearchRestaurants(query={QUERY!r}), every call identical",
            "stampede": (
                f"{STAMPEDE} identical cold SearchRestaurants started at once from "
                "the client process over one channel, against a fresh gateway and "
                "sandbox, twice: Places answering at once, and Places taking "
                f"{STAMPEDE_PLACES_DELAY:g} s (sandbox fault slow); the figure is the "
                "larger count of Places requests the sandbox received"
            ),
        },
        "hot_gets": gets,
        "hot_sets": sets,
        "throughput": served,
        "stampede": rush,
        "machine": machine(),
        "load_average_1_5_15": {"at_start": load_at_start, "at_end": load_average()},
        "elapsed_s": round(time.monotonic() - started, 1),
    }
    write_results("cache", results)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--client":
        client_main(sys.argv[2])
    else:
        asyncio.run(main())
