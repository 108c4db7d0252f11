"""Start and stop the sandbox: one aiohttp server on loopback for every upstream."""

import asyncio
import ipaddress
import logging
import signal
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType

from aiohttp import web

from adapters.clock import SystemClock
from domain.ports import Clock
from entrypoints.sandbox.app import SandboxState, Upstream, build_app
from entrypoints.sandbox.calendar import calendar_upstreams
from entrypoints.sandbox.catalogue import Catalogue, default_catalogue
from entrypoints.sandbox.faults import FaultBoard
from entrypoints.sandbox.opentable import opentable_upstream
from entrypoints.sandbox.places import places_upstream
from entrypoints.sandbox.resy import resy_upstream
from entrypoints.sandbox.stats import SandboxStats
from entrypoints.sandbox.weather import weather_upstream

logger = logging.getLogger(__name__)

# Long enough for an answer in flight to finish, short enough for fast tests.
_SHUTDOWN_SECONDS = 0.5


def installed_upstreams() -> tuple[Upstream, ...]:
    """Every upstream the sandbox imitates; a new one is added here."""
    return (
        resy_upstream(),
        opentable_upstream(),
        places_upstream(),
        weather_upstream(),
        *calendar_upstreams(),
    )


@dataclass(slots=True)
class RunningSandbox:
    base_url: str
    faults: FaultBoard
    stats: SandboxStats
    catalogue: Catalogue
    _runner: web.AppRunner
    _state: SandboxState

    async def close(self) -> None:
        """Stop serving; calls left hanging by the `hang` fault are dropped."""
        if self._state.released.is_set():
            return
        self._state.released.set()
        await self._runner.cleanup()
        logger.info("sandbox.stopped", extra={"base_url": self.base_url})

    async def __aenter__(self) -> "RunningSandbox":
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


async def start_sandbox(
    host: str = "127.0.0.1",
    port: int = 0,
    faults: str = "",
    *,
    clock: Clock | None = None,
    revoked_keys: Mapping[str, str] | None = None,
) -> RunningSandbox:
    """Serve every upstream on loopback; port 0 picks a free port.

    `faults` is a spec as in entrypoints.sandbox.faults; `clock` decides
    "today" for the booking windows and the dates in Retry-After;
    `revoked_keys` maps an upstream to the API key it refuses.
    """
    _require_loopback(host)
    upstreams = installed_upstreams()
    board = FaultBoard(faults, extras={u.name: u.extra_faults for u in upstreams})
    state = SandboxState(
        faults=board,
        stats=SandboxStats(),
        catalogue=default_catalogue(),
        clock=clock or SystemClock(),
        revoked_keys=dict(revoked_keys or {}),
    )
    runner = web.AppRunner(
        build_app(state, upstreams),
        handler_cancellation=True,
        shutdown_timeout=_SHUTDOWN_SECONDS,
        access_log=None,
    )
    try:
        await runner.setup()
        await web.TCPSite(runner, host, port).start()
    except BaseException:
        await runner.cleanup()
        raise
    base_url = _base_url(*runner.addresses[0][:2])
    logger.info(
        "sandbox.started",
        extra={"base_url": base_url, "upstreams": [u.name for u in upstreams]},
    )

    return RunningSandbox(base_url, board, state.stats, state.catalogue, runner, state)


async def serve_forever(
    host: str = "127.0.0.1", port: int = 0, faults: str = ""
) -> None:
    """Run the sandbox until the task is cancelled or the process gets SIGTERM."""
    sandbox = await start_sandbox(host, port, faults)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    try:
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        handles_sigterm = True
    except (NotImplementedError, RuntimeError):
        # Not the main thread, or a platform without signal handlers.
        handles_sigterm = False
    try:
        await stop.wait()
    finally:
        if handles_sigterm:
            loop.remove_signal_handler(signal.SIGTERM)
        await sandbox.close()


def _require_loopback(host: str) -> None:
    if host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"the sandbox serves on loopback only, not on {host!r}")


def _base_url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host

    return f"http://{shown}:{port}"
