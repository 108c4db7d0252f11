"""`reservation-gateway costs`: the cost report from the database, as text or CSV."""

import argparse
import asyncio
import csv
from typing import TextIO

from sqlalchemy import inspect

from adapters.ledger_tap import NullLedger
from application.costs import DEFAULT_DAYS, CostSummary
from domain.errors import InvalidRequestError
from domain.money import usd_text
from entrypoints.config import Settings
from entrypoints.container import Container


def add_costs_command(
    commands: "argparse._SubParsersAction[argparse.ArgumentParser]",
) -> None:
    costs = commands.add_parser(
        "costs", help="print what the upstreams cost, read from the ledger"
    )
    costs.add_argument(
        "--days", type=int, default=DEFAULT_DAYS, help="UTC days, 1 to 3650"
    )
    costs.add_argument("--by-day", action="store_true", help="one row per UTC day")
    costs.add_argument("--csv", action="store_true", help="CSV rows instead of text")


def run_costs(
    settings: Settings, args: argparse.Namespace, out: TextIO, err: TextIO
) -> int:
    """Print the report of the database at RESGW_DATABASE_URL (or the data dir)."""
    container = Container(settings=settings)
    # This process records nothing; the gateway's own ledger wrote the rows.
    container.ledger.override(NullLedger())
    engine = container.engine()
    try:
        if not inspect(engine).has_table("api_calls"):
            err.write(
                "reservation-gateway: the database has no cost ledger yet; "
                "start the gateway once to create it\n"
            )
            return 1
        summary = asyncio.run(_summary(container, args.days, args.by_day))
    except InvalidRequestError as error:
        err.write(f"reservation-gateway: --days {error.violations[0].description}\n")
        return 2
    finally:
        engine.dispose()
    if args.csv:
        write_csv(summary, out, by_day=args.by_day)
    else:
        out.write(summary.text + "\n")

    return 0


async def _summary(container: Container, days: int, by_day: bool) -> CostSummary:
    await container.budgets().load(container.cost_report())

    return await container.api_costs()(days, by_day=by_day)


def write_csv(summary: CostSummary, out: TextIO, *, by_day: bool) -> None:
    """Rows per provider (and UTC day): calls, cache hits, rounded and exact cost."""
    writer = csv.writer(out, lineterminator="\n")
    if by_day:
        writer.writerow(
            ("provider", "day", "calls", "cache_hits", "cost_usd", "cost_micros")
        )
        for row in summary.by_day:
            day = row.day.isoformat() if row.day else ""
            writer.writerow(
                (
                    row.provider,
                    day,
                    row.calls,
                    row.cache_hits,
                    usd_text(row.cost_micros),
                    row.cost_micros,
                )
            )
        return
    writer.writerow(("provider", "calls", "cache_hits", "cost_usd", "cost_micros"))
    for cost in summary.providers:
        writer.writerow(
            (
                cost.provider,
                cost.calls,
                cost.cache_hits,
                usd_text(cost.cost_micros),
                cost.cost_micros,
            )
        )
