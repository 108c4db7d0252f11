"""Builds the HTTP side port from the container; the runtime starts and stops it."""

import logging

from entrypoints.container import Container
from entrypoints.http.app import Dashboard, SidePort, build_app
from entrypoints.http.breakers import BreakerHistory
from entrypoints.http.metrics import StateCollector

logger = logging.getLogger(__name__)

DISABLED = frozenset({"off", "none", "disabled"})


async def start_side_port(container: Container, address: str) -> SidePort | None:
    """Serve the dashboard and /metrics on `address`; None when it is "off"."""
    if address.strip().lower() in DISABLED:
        logger.info("http.disabled", extra={"address": address})
        return None
    clock = container.clock()
    breakers = container.breakers()
    history = BreakerHistory(clock)
    history.watch(breakers)
    metrics = container.ledger_metrics()
    metrics.watch(
        StateCollector(
            container.cache_metrics(),
            breakers,
            container.budgets(),
            container.ledger(),
        )
    )
    dashboard = Dashboard(
        costs=container.api_costs(),
        cache=container.cache_metrics(),
        breakers=breakers,
        history=history,
        metrics=metrics,
        clock=clock,
    )
    port = SidePort(build_app(dashboard), address)
    await port.start()

    return port
