"""What the cost ledger costs a cached CheckAvailability: ledger on against off."""

# Writes bench/results/ledger.json and prints it; takes about 90 seconds.
#
# Two gateways' worth of objects in this process, each built by the production
# composition root and served by its own grpc.aio server on loopback, share one
# in-process sandbox. "On" keeps the production ledger (a tap feeding budgets
# and Prometheus, in front of the buffered SQLite ledger in a temporary
# folder); "off" has a ledger that drops every row. After one live call each,
# every request is a hot-cache hit, which writes one cached row. A client in
# another process alternates between the two in one-second slices at a fixed
# concurrency, in pairs whose order alternates, so both sides share whatever
# else the machine is doing. The figure is the median over pairs of on/off
# requests per second.

import asyncio
import json
import sqlite3
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from _common import machine, median, write_results

from adapters.ledger_tap import NullLedger
from adapters.storage.migrate import upgrade
from entrypoints.config import Settings
from entrypoints.container import Container
from entrypoints.grpc_api.server import GatewayServer
from entrypoints.sandbox.server import start_sandbox

PAIRS = 40
SECONDS = 1.0
CONCURRENCY = 16
CLIENT = Path(__file__).resolve().parent / "_ledger_client.py"
ROOT = Path(__file__).resolve().parents[1]
LOOPBACK = {"127.0.0.1", "::1", "localhost"}
REQUEST = {
    "restaurant": {
        "name": "Sandbox Bistro",
        "resy_venue_id": "1001",
        "resy_url_slug": "sandbox-1001",
        "resy_city": "new-york-ny",
        "time_zone": "America/New_York",
    },
    "date": (date.today() + timedelta(days=7)).isoformat(),
    "party_size": 2,
}


def loopback_settings(sandbox_url: str, data_dir: Path) -> Settings:
    settings = Settings(data_dir=data_dir, sandbox_address=urlsplit(sandbox_url).netloc)
    for url in (
        settings.effective_resy_base_url,
        settings.effective_places_base_url,
        settings.effective_openweather_base_url,
        settings.effective_opentable_base_url,
    ):
        if urlsplit(url).hostname not in LOOPBACK:
            raise SystemExit(f"refusing to benchmark against {url!r}: loopback only")

    return settings


async def serve(settings: Settings, ledger_on: bool) -> tuple[Container, GatewayServer]:
    container = Container(settings=settings)
    if not ledger_on:
        container.ledger.override(NullLedger())
    upgrade(container.engine())
    if ledger_on:
        await container.ledger().start()
    server = GatewayServer(container, "127.0.0.1:0")
    await server.start()

    return container, server


async def drive(on_port: int, off_port: int) -> list[dict[str, float]]:
    """Per slice: the side, its requests per second, and this process's CPU."""
    client = await asyncio.create_subprocess_exec(
        sys.executable,
        str(CLIENT),
        f"127.0.0.1:{on_port}",
        f"127.0.0.1:{off_port}",
        str(SECONDS),
        str(PAIRS),
        str(CONCURRENCY),
        json.dumps(REQUEST),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    assert client.stdout is not None
    slices: list[dict[str, float]] = []
    opened: tuple[float, dict] | None = None
    async for raw in client.stdout:
        line = json.loads(raw)
        if "calls" not in line:
            # A slice's CPU window runs to the next slice's start, so the
            # ledger's trailing flush is charged to the side that caused it.
            now = time.process_time()
            if opened is not None:
                started, ended = opened
                slices.append(
                    {**ended, "cpu_us": (now - started) / ended["calls"] * 1e6}
                )
            opened = (now, {}) if "side" in line else None
        elif opened is not None:
            opened = (
                opened[0],
                {"side": line["side"], "calls": line["calls"], "rps": line["rps"]},
            )
    if await client.wait() != 0:
        raise SystemExit(f"the load client failed with {client.returncode}")

    return slices


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)

    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def cached_rows(data_dir: Path) -> int:
    with sqlite3.connect(data_dir / "gateway.db") as db:
        (count,) = db.execute("select count(*) from api_calls where cached").fetchone()

    return int(count)


async def main() -> dict[str, object]:
    sandbox = await start_sandbox("127.0.0.1", 0)
    with (
        tempfile.TemporaryDirectory() as on_dir,
        tempfile.TemporaryDirectory() as off_dir,
    ):
        on = await serve(loopback_settings(sandbox.base_url, Path(on_dir)), True)
        off = await serve(loopback_settings(sandbox.base_url, Path(off_dir)), False)
        try:
            slices = await drive(on[1].port, off[1].port)
        finally:
            for container, server in (on, off):
                await server.stop(1)
                if container is on[0]:
                    await container.ledger().close()
                await container.resy_http().aclose()
                container.engine().dispose()
        rows = cached_rows(Path(on_dir))
    await sandbox.close()
    on_slices = [s for s in slices if s["side"] == "on"]
    off_slices = [s for s in slices if s["side"] == "off"]
    pairs = zip(on_slices, off_slices, strict=True)
    ratios = [a["rps"] / b["rps"] for a, b in pairs]
    on_cpu = median([s["cpu_us"] for s in on_slices])
    off_cpu = median([s["cpu_us"] for s in off_slices])

    return {
        "ledger_on_off_rps_ratio": round(median(ratios), 4),
        "target": ">= 0.9",
        "ratio_p10_p90": [
            round(quantile(ratios, 0.1), 4),
            round(quantile(ratios, 0.9), 4),
        ],
        "on_rps_median": round(median([s["rps"] for s in on_slices]), 1),
        "off_rps_median": round(median([s["rps"] for s in off_slices]), 1),
        "server_cpu_us_per_request_on": round(on_cpu, 1),
        "server_cpu_us_per_request_off": round(off_cpu, 1),
        "ledger_cpu_us_per_request": round(on_cpu - off_cpu, 1),
        "ledger_cached_rows": rows,
        "pairs": PAIRS,
        "seconds_per_slice": SECONDS,
        "concurrency": CONCURRENCY,
        "client": "grpc.aio in another process",
        "machine": machine(),
    }


if __name__ == "__main__":
    write_results("ledger", asyncio.run(main()))
