"""The `reservation-gateway` command: serve, or run the sandbox alone."""

import argparse
import asyncio
import sys

from entrypoints.config import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="reservation-gateway")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "serve", help="serve gRPC (against the sandbox without credentials)"
    )
    sandbox = commands.add_parser("sandbox", help="serve the upstream imitations alone")
    sandbox.add_argument("--address", help="host:port, default RESGW_SANDBOX_ADDRESS")
    sandbox.add_argument("--faults", help="fault spec, default RESGW_SANDBOX_FAULTS")
    args = parser.parse_args(argv)

    try:
        settings = Settings.from_env()
    except ValueError as error:
        print(f"reservation-gateway: {error}", file=sys.stderr)
        return 2

    if args.command == "serve":
        from entrypoints.runtime import serve

        return asyncio.run(serve(settings))

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
