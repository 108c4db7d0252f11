"""GetApiCosts over real gRPC: the report, its text, and bad `days`."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.rpc import code_pb2, error_details_pb2
from grpc_status import rpc_status

from adapters.storage.migrate import upgrade
from domain.models import ApiCall
from entrypoints.config import Settings
from entrypoints.container import Container
from entrypoints.grpc_api.server import GatewayServer
from reservations.v1 import usage_pb2, usage_pb2_grpc


@pytest.fixture
async def served(
    tmp_path,
) -> AsyncIterator[tuple[Container, usage_pb2_grpc.UsageServiceStub]]:
    container = Container(settings=Settings(data_dir=tmp_path / "data"))
    upgrade(container.engine())
    server = GatewayServer(container, "127.0.0.1:0")
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            yield container, usage_pb2_grpc.UsageServiceStub(channel)
    finally:
        await server.stop(0)
        await container.ledger().close()
        container.engine().dispose()


def _call(provider: str, **changes) -> ApiCall:
    fields = {
        "at": datetime.now(UTC) - timedelta(seconds=1),
        "provider": provider,
        "operation": "op",
        "outcome": "ok",
        "latency_ms": 2.0,
    }
    fields.update(changes)
    return ApiCall(**fields)


async def test_rows_recorded_just_before_are_in_the_report(served):
    container, usage = served
    ledger = container.ledger()  # not started: rows wait in the buffer
    for _ in range(4):
        ledger.record(_call("google_places", cost_micros=35_000))
    ledger.record(_call("google_places", cached=True, outcome="cache_hot"))
    ledger.record(_call("resy"))

    answer = await usage.GetApiCosts(usage_pb2.GetApiCostsRequest())

    assert answer.days == 30
    assert answer.text.splitlines() == [
        "API costs (last 30 days):",
        "Google Places: $0.14 (4 calls, 20% cache hit rate)",
        "OpenWeatherMap: $0.00 (free tier, 0 calls)",
        "Resy: $0.00 (unofficial API)",
        "OpenTable: $0.00 (browser automation)",
        "Total: $0.14",
    ]
    places = answer.providers[0]
    assert (places.provider, places.cost_micros, places.cost_usd) == (
        "google_places",
        140_000,
        "0.14",
    )
    assert (places.calls, places.cache_hits) == (4, 1)
    assert places.cache_hit_rate == pytest.approx(0.2)
    assert (answer.total_micros, answer.total_usd) == (140_000, "0.14")
    assert "half up" in answer.rounding


async def test_by_day_rows_come_on_request(served):
    container, usage = served
    row = _call("resy")
    container.ledger().record(row)

    plain = await usage.GetApiCosts(usage_pb2.GetApiCostsRequest(days=2))
    daily = await usage.GetApiCosts(usage_pb2.GetApiCostsRequest(days=2, by_day=True))

    assert list(plain.by_day) == []
    assert [(d.provider, d.calls) for d in daily.by_day] == [("resy", 1)]
    assert daily.by_day[0].day == row.at.date().isoformat()


@pytest.mark.parametrize("days", [0, -5, 3651])
async def test_bad_days_are_invalid_argument_with_a_field_violation(served, days):
    _, usage = served

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await usage.GetApiCosts(usage_pb2.GetApiCostsRequest(days=days))

    status = rpc_status.from_call(caught.value)
    assert status.code == code_pb2.INVALID_ARGUMENT
    bad = error_details_pb2.BadRequest()
    assert any(d.Unpack(bad) for d in status.details)
    assert [v.field for v in bad.field_violations] == ["days"]
