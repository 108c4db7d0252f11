"""`reservation-gateway calendar-ics ID --out FILE`: a reservation's .ics on disk."""

import argparse
import sys
from pathlib import Path
from typing import TextIO

from sqlalchemy import inspect

from domain.errors import NotFoundError, PreconditionError
from entrypoints.config import Settings
from entrypoints.container import Container


def add_calendar_command(
    commands: "argparse._SubParsersAction[argparse.ArgumentParser]",
) -> None:
    ics = commands.add_parser(
        "calendar-ics", help="write a reservation's .ics file (RFC 5545)"
    )
    ics.add_argument("reservation_id", help="as MakeReservation gave it")
    ics.add_argument("--out", required=True, help="file to write; '-' for stdout")


def run_calendar_ics(
    settings: Settings, args: argparse.Namespace, out: TextIO, err: TextIO
) -> int:
    """Read the reservation from the gateway's database and write its .ics."""
    container = Container(settings=settings)
    engine = container.engine()
    try:
        if not inspect(engine).has_table("calendar_sync"):
            err.write(
                "reservation-gateway: the database has no reservations yet; "
                "start the gateway once to create it\n"
            )
            return 1
        entry = container.calendar.reservation_calendar().entry(
            args.reservation_id.strip()
        )
    except (NotFoundError, PreconditionError) as error:
        err.write(f"reservation-gateway: {error}\n")
        return 1
    finally:
        engine.dispose()
    if args.out == "-":
        sys.stdout.buffer.write(entry.ics)
        return 0
    Path(args.out).write_bytes(entry.ics)
    out.write(f"wrote {args.out} ({len(entry.ics)} bytes, {entry.filename})\n")

    return 0
