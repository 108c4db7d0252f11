"""MeteredTransport: one ledger row per upstream attempt, and no secrets in it."""

import asyncio
import dataclasses
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from adapters.metering import CostOf, MeteredTransport, OperationOf, no_cost
from adapters.storage.engine import default_sqlite_url, make_engine
from adapters.storage.ledger import SqlCostLedger
from adapters.storage.migrate import upgrade
from domain import context
from domain.models import ApiCall
from domain.ports import CostLedger
from tests.fakes import FakeClock, FakeLedger

SECRET = "sk-live-0000-SECRET-do-not-store"
BASE = "https://upstream.invalid"
Handler = Callable[[httpx.Request], object]


def operation_of(request: httpx.Request) -> str:
    return request.url.path.strip("/").replace("/", ".") or "root"


def cost_of(request: httpx.Request, response: httpx.Response | None) -> tuple[str, int]:
    return ("places.search", 32_000) if response is not None else ("", 0)


def metered(
    handler: Handler,
    ledger: CostLedger,
    clock: FakeClock,
    *,
    operation_of: OperationOf = operation_of,
    cost_of: CostOf = no_cost,
) -> httpx.AsyncClient:
    transport = MeteredTransport(
        provider="google_places",
        ledger=ledger,
        clock=clock,
        operation_of=operation_of,
        cost_of=cost_of,
        inner=httpx.MockTransport(handler),
    )

    return httpx.AsyncClient(transport=transport, base_url=BASE)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def ledger() -> FakeLedger:
    return FakeLedger()


@pytest.fixture(autouse=True)
def request_id() -> Iterator[str]:
    token = context.request_id.set("req-42")
    yield "req-42"
    context.request_id.reset(token)


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, "ok"),
        (204, "ok"),
        (302, "ok"),
        (404, "http_404"),
        (429, "http_429"),
        (503, "http_503"),
    ],
)
async def test_each_answer_is_one_row_with_its_outcome_and_status(
    status: int, outcome: str, ledger: FakeLedger, clock: FakeClock
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        clock.advance(0.125)
        return httpx.Response(status)

    started_at = clock.now()
    async with metered(handler, ledger, clock, cost_of=cost_of) as client:
        response = await client.get("/v1/places/search")

    assert response.status_code == status
    assert ledger.rows == [
        ApiCall(
            at=started_at,
            provider="google_places",
            operation="v1.places.search",
            outcome=outcome,
            latency_ms=125.0,
            cost_micros=32_000,
            http_status=status,
            request_id="req-42",
            sku="places.search",
        )
    ]


async def test_every_attempt_is_its_own_row(
    ledger: FakeLedger, clock: FakeClock
) -> None:
    answers = iter([503, 503, 200])

    async with metered(lambda _: httpx.Response(next(answers)), ledger, clock) as c:
        for _ in range(3):
            await c.get("/find")

    assert [row.outcome for row in ledger.rows] == ["http_503", "http_503", "ok"]
    assert {(row.sku, row.cost_micros, row.cached) for row in ledger.rows} == {
        ("", 0, False)
    }


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (httpx.ReadTimeout("read timed out"), "timeout"),
        (httpx.ConnectTimeout("connect timed out"), "timeout"),
        (httpx.ConnectError("connection refused"), "connect_error"),
        (httpx.RemoteProtocolError("peer closed"), "error"),
        (RuntimeError("bug in a transport"), "error"),
    ],
)
async def test_transport_errors_are_recorded_and_raised_unchanged(
    error: Exception, outcome: str, ledger: FakeLedger, clock: FakeClock
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        clock.advance(2.0)
        raise error

    async with metered(handler, ledger, clock) as client:
        with pytest.raises(type(error)) as raised:
            await client.get("/find")

    assert raised.value is error
    [row] = ledger.rows
    assert (row.outcome, row.http_status, row.error_kind) == (
        outcome,
        None,
        type(error).__name__,
    )
    assert (row.latency_ms, row.request_id) == (2000.0, "req-42")


async def test_a_cancelled_caller_is_recorded_and_still_cancelled(
    ledger: FakeLedger, clock: FakeClock
) -> None:
    entered = asyncio.Event()

    async def handler(request: httpx.Request) -> httpx.Response:
        entered.set()
        clock.advance(0.3)
        await asyncio.Event().wait()  # an upstream that never answers
        raise AssertionError("unreachable")

    async with metered(handler, ledger, clock) as client:
        call = asyncio.create_task(client.get("/find"))
        await entered.wait()
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call

    [row] = ledger.rows
    assert (row.outcome, row.http_status) == ("cancelled", None)
    assert row.latency_ms == pytest.approx(300.0)


async def test_a_broken_ledger_or_callable_never_fails_the_request(
    clock: FakeClock,
) -> None:
    class BrokenLedger:
        def record(self, call: ApiCall) -> None:
            raise RuntimeError("ledger down")

        async def flush(self) -> None:
            return None

    def broken(*_: object) -> tuple[str, int]:
        raise KeyError("no price")

    ok = httpx.Response(200)
    async with metered(lambda _: ok, BrokenLedger(), clock, cost_of=broken) as c:
        assert (await c.get("/find")).status_code == 200

    ledger = FakeLedger()
    async with metered(lambda _: ok, ledger, clock, operation_of=broken) as c:
        assert (await c.get("/find")).status_code == 200
    assert ledger.rows[0].operation == "unknown"


def _secret_request(client: httpx.AsyncClient) -> object:
    return client.get(
        "/v1/places/search",
        params={"key": SECRET, "q": "pizza"},
        headers={"Authorization": f"Bearer {SECRET}", "X-Goog-Api-Key": SECRET},
    )


async def test_no_query_string_or_header_value_reaches_a_row(
    ledger: FakeLedger, clock: FakeClock
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert SECRET in str(request.url)  # the secret really was sent
        if request.url.params.get("q") == "boom":
            raise httpx.ReadTimeout(f"timed out asking {request.url}")
        return httpx.Response(200, headers={"Set-Cookie": f"s={SECRET}"})

    async with metered(handler, ledger, clock, cost_of=cost_of) as client:
        await _secret_request(client)
        with pytest.raises(httpx.ReadTimeout):
            await client.get("/v1/places/search", params={"key": SECRET, "q": "boom"})

    assert len(ledger.rows) == 2
    for row in ledger.rows:
        for value in dataclasses.astuple(row):
            assert SECRET not in str(value)
            assert "pizza" not in str(value)


async def test_nothing_secret_reaches_the_database_either(
    tmp_path: Path, clock: FakeClock
) -> None:
    url = default_sqlite_url(tmp_path)
    engine = make_engine(url)
    upgrade(engine)
    ledger = SqlCostLedger(engine, clock)
    ok = httpx.Response(200)

    async with metered(lambda _: ok, ledger, clock, cost_of=cost_of) as client:
        await _secret_request(client)
    await ledger.close()
    engine.dispose()

    db = sqlite3.connect(make_url(url).database or "")
    dump = "\n".join(db.iterdump())
    db.close()
    assert "places.search" in dump
    assert SECRET not in dump
