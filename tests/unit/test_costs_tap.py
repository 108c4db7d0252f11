"""The ledger tap: every row reaches the ledger and each observer, come what may."""

import logging
from datetime import UTC, datetime

from adapters.ledger_tap import NullLedger, TappedLedger
from domain.models import ApiCall
from tests.fakes import FakeLedger

ROW = ApiCall(
    at=datetime(2027, 1, 10, tzinfo=UTC),
    provider="resy",
    operation="find",
    outcome="ok",
    latency_ms=3.0,
)


def test_rows_reach_the_ledger_then_every_observer():
    inner, seen = FakeLedger(), []
    tapped = TappedLedger(inner, [seen.append, seen.append])

    tapped.record(ROW)

    assert inner.rows == [ROW]
    assert seen == [ROW, ROW]


def test_a_failing_observer_is_logged_and_never_fails_the_caller(caplog):
    def broken(_row: ApiCall) -> None:
        raise KeyError("bug")

    inner, seen = FakeLedger(), []
    tapped = TappedLedger(inner, [broken, seen.append])

    tapped.record(ROW)

    assert inner.rows == [ROW] and seen == [ROW]
    failed = [r for r in caplog.records if r.getMessage() == "ledger.observer_failed"]
    assert failed and failed[0].levelno == logging.ERROR
    assert failed[0].error == "KeyError"


async def test_start_close_and_counters_are_the_inner_ledgers():
    inner = FakeLedger()
    inner.dropped = 7
    tapped = TappedLedger(inner)

    await tapped.start()
    await tapped.flush()
    await tapped.close()

    assert tapped.dropped == 7
    assert tapped.rows is inner.rows


async def test_the_null_ledger_keeps_nothing():
    ledger = NullLedger()
    ledger.record(ROW)
    await ledger.flush()
