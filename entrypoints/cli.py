"""The `reservation-gateway` command: serve, run the sandbox alone, or print costs."""

import argparse
import asyncio
import sys

from entrypoints.calendar_cli import add_calendar_command, run_calendar_ics
from entrypoints.config import Settings
from entrypoints.costs_cli import add_costs_command, run_costs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="reservation-gateway")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "serve", help="serve gRPC (against the sandbox without credentials)"
    )
    sandbox = commands.add_parser("sandbox", help="serve the upstream imitations alone")
    sandbox.add_argument("--address", help="host:port, default RESGW_SANDBOX_ADDRESS")
    sandbox.add_argument("--faults", help="fault spec, default RESGW_SANDBOX_FAULTS")
    add_costs_command(commands)
    add_calendar_command(commands)
    args = parser.parse_args(argv)

    try:
        settings = Settings.from_env()
    except ValueError as error:
        print(f"reservation-gateway: {error}", file=sys.stderr)
        return 2

    if args.command == "serve":
        from entrypoints.runtime import serve

        return asyncio.run(serve(settings))
    if args.command == "costs":
        return run_costs(settings, args, sys.stdout, sys.stderr)
    if args.command == "calendar-ics":
        return run_calendar_ics(settings, args, sys.stdout, sys.stderr)

    from entrypoints.logs import configure
    from entrypoints.sandbox.server import serve_forever

    configure(settings.log_level, settings.log_format)
    host, _, port = (args.address or settings.sandbox_address).rpartition(":")
    faults = args.faults if args.faults is not None else settings.sandbox_faults
    try:
        asyncio.run(serve_forever(host, int(port), faults))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
