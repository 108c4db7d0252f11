"""Start and stop everything a serving process owns, in order."""

import logging
from contextlib import AsyncExitStack

from adapters.storage.migrate import upgrade
from entrypoints.config import Settings
from entrypoints.container import Container
from entrypoints.grpc_api.server import GatewayServer, wait_for_stop_signal
from entrypoints.http.app import SidePort
from entrypoints.http.side_port import start_side_port
from entrypoints.logs import configure
from entrypoints.sandbox.server import start_sandbox

logger = logging.getLogger(__name__)


def build_container(settings: Settings) -> Container:
    container = Container(settings=settings)
    return container


class Gateway:
    """The ledger, HTTP clients, sandbox and server of one process."""

    def __init__(self, settings: Settings, container: Container | None = None) -> None:
        self.settings = settings
        self.container = container or build_container(settings)
        self.server: GatewayServer | None = None
        self.http: SidePort | None = None
        self._stack = AsyncExitStack()

    async def start(self) -> None:
        settings = self.settings
        if settings.sandbox_mode:
            host, _, port = settings.sandbox_address.rpartition(":")
            sandbox = await start_sandbox(host, int(port), settings.sandbox_faults)
            self._stack.push_async_callback(sandbox.close)
        upgrade(self.container.engine())
        ledger = self.container.ledger()
        await ledger.start()
        self._stack.push_async_callback(ledger.close)
        for client in (
            self.container.resy_http(),
            self.container.places_http(),
            self.container.weather_http(),
        ):
            self._stack.push_async_callback(client.aclose)
        self._stack.push_async_callback(self.container.browser().close)
        calendar = self.container.calendar.runtime()
        await calendar.start()
        self._stack.push_async_callback(calendar.stop)
        await self.container.budgets().load(self.container.cost_report())
        self.http = await start_side_port(self.container, settings.http_address)
        if self.http is not None:
            self._stack.push_async_callback(self.http.close)
        self.server = GatewayServer(self.container, settings.grpc_address)
        await self.server.start()
        logger.info(
            "gateway.serving",
            extra={"address": settings.grpc_address, "port": self.server.port},
        )

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.stop(self.settings.shutdown_grace)
        await self._stack.aclose()
        self.container.engine().dispose()
        logger.info("gateway.stopped")


async def serve(settings: Settings) -> int:
    configure(settings.log_level, settings.log_format)
    if settings.sandbox_mode:
        logger.warning(
            "gateway.sandbox_mode",
            extra={
                "reason": "no Resy credentials configured (RESGW_RESY_API_KEY)",
                "sandbox": settings.sandbox_base_url,
            },
        )
    else:
        logger.info(
            "gateway.upstreams", extra={"resy": settings.effective_resy_base_url}
        )
    gateway = Gateway(settings)
    try:
        await gateway.start()
        received = await wait_for_stop_signal()
        logger.info("gateway.stopping", extra={"signal": received.name})
    finally:
        await gateway.stop()
    return 0
