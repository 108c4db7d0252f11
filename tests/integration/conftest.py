"""Fixtures the adapter tests share: a fake clock, the sandbox, an HTTP client."""

import httpx
import pytest

from entrypoints.sandbox.server import start_sandbox
from tests.fakes import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def sandbox(clock: FakeClock):
    running = await start_sandbox(clock=clock)
    yield running
    await running.close()


@pytest.fixture
async def http():
    # trust_env=False: no proxy from the environment may carry loopback traffic away.
    async with httpx.AsyncClient(trust_env=False) as client:
        yield client
