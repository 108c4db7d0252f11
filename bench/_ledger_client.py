"""A load client in its own process: CheckAvailability, alternating two servers."""

# Usage: python _ledger_client.py ON_ADDRESS OFF_ADDRESS SLICE PAIRS CONCURRENCY BODY
# Drives ON then OFF (OFF first in odd pairs) for SLICE seconds each, PAIRS
# times, with a pause after each slice. Prints one JSON line as each slice
# starts ({"side": ...}) and ends ({"side": ..., "calls": ..., "rps": ...}),
# so the server's process can read its own CPU time at the boundaries.

import asyncio
import json
import sys
import time

import grpc
from google.protobuf import json_format

from reservations.v1 import availability_pb2, availability_pb2_grpc

PAUSE = 0.7  # longer than the ledger's flush interval


def _say(line: dict) -> None:
    print(json.dumps(line), flush=True)


async def _slice(stub, request, seconds: float, concurrency: int) -> dict:
    calls = 0
    started = time.monotonic()
    deadline = started + seconds

    async def worker() -> None:
        nonlocal calls
        while time.monotonic() < deadline:
            await stub.CheckAvailability(request)
            calls += 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))

    return {"calls": calls, "rps": calls / (time.monotonic() - started)}


async def drive(
    addresses: dict[str, str], seconds: float, pairs: int, concurrency: int, body: str
) -> None:
    request = json_format.Parse(body, availability_pb2.CheckAvailabilityRequest())
    channels = {name: grpc.aio.insecure_channel(a) for name, a in addresses.items()}
    stubs = {
        name: availability_pb2_grpc.AvailabilityServiceStub(channel)
        for name, channel in channels.items()
    }
    try:
        for stub in stubs.values():
            await _slice(stub, request, seconds, concurrency)  # warm, not counted
        for pair in range(pairs):
            for name in ("on", "off") if pair % 2 == 0 else ("off", "on"):
                _say({"side": name})
                _say(
                    {
                        "side": name,
                        **await _slice(stubs[name], request, seconds, concurrency),
                    }
                )
                await asyncio.sleep(PAUSE)
        _say({"done": True})
    finally:
        for channel in channels.values():
            await channel.close()


if __name__ == "__main__":
    on, off, seconds, pairs, concurrency, body = sys.argv[1:7]
    asyncio.run(
        drive(
            {"on": on, "off": off}, float(seconds), int(pairs), int(concurrency), body
        )
    )
