"""The side port's aiohttp application: the dashboard page, JSON and /metrics."""

import logging
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.typedefs import Handler
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from adapters.cache.metrics import CacheMetrics
from adapters.resilience.registry import BreakerRegistry
from application.costs import ApiCosts
from domain.errors import FieldViolation, InvalidRequestError
from domain.ports import Clock
from entrypoints.http.breakers import BreakerHistory
from entrypoints.http.metrics import LedgerMetrics
from entrypoints.http.views import breakers_json, cache_json, costs_json

logger = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
# Everything the page uses comes from this port: no CDN, no inline code.
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
_FILES = {
    "/": ("index.html", "text/html"),
    "/static/dashboard.js": ("dashboard.js", "text/javascript"),
    "/static/dashboard.css": ("dashboard.css", "text/css"),
}


@dataclass(frozen=True, slots=True)
class Dashboard:
    """What the side port reads; nothing here writes."""

    costs: ApiCosts
    cache: CacheMetrics
    breakers: BreakerRegistry
    history: BreakerHistory
    metrics: LedgerMetrics
    clock: Clock


_LOCAL_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def _host_is_ours(request: web.Request) -> bool:
    """Only a Host naming this machine: a rebound DNS name is refused."""
    try:
        host = urlsplit("//" + (request.host or "")).hostname
    except ValueError:
        return False
    sockname = (
        request.transport.get_extra_info("sockname") if request.transport else None
    )
    bound = str(sockname[0]) if sockname else ""
    return host in _LOCAL_NAMES or (bool(bound) and host == bound)


@web.middleware
async def _headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not _host_is_ours(request):
        return web.json_response(
            {"message": "this dashboard answers only to its own address"}, status=421
        )
    response = await handler(request)
    response.headers["Content-Security-Policy"] = PAGE_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"

    return response


def _file(name: str, content_type: str) -> Handler:
    body = (STATIC / name).read_bytes()

    async def serve(_request: web.Request) -> web.Response:
        return web.Response(body=body, content_type=content_type, charset="utf-8")

    return serve


async def _no_icon(_request: web.Request) -> web.Response:
    return web.Response(status=204)


def _days(request: web.Request) -> int:
    raw = request.query.get("days", "30")
    try:
        return int(raw)
    except ValueError:
        problem = f"must be a whole number of days, got {raw[:20]!r}"
        raise InvalidRequestError([FieldViolation("days", problem)]) from None


def _bad_request(error: InvalidRequestError) -> web.Response:
    violations = [
        {"field": v.field, "description": v.description} for v in error.violations
    ]
    body = {"error": "INVALID_ARGUMENT", "message": str(error)}

    return web.json_response({**body, "field_violations": violations}, status=400)


def build_app(dashboard: Dashboard) -> web.Application:
    """The application; `dashboard` supplies every figure it shows."""

    async def costs(request: web.Request) -> web.Response:
        by_day = request.query.get("by_day", "1") not in ("0", "false", "no")
        try:
            summary = await dashboard.costs(_days(request), by_day=by_day)
        except InvalidRequestError as error:
            return _bad_request(error)

        return web.json_response(costs_json(summary))

    async def cache(_request: web.Request) -> web.Response:
        return web.json_response(cache_json(dashboard.cache))

    async def breakers(_request: web.Request) -> web.Response:
        now = dashboard.clock.now()

        return web.json_response(
            breakers_json(dashboard.breakers, dashboard.history, now)
        )

    async def metrics(_request: web.Request) -> web.Response:
        body = generate_latest(dashboard.metrics.registry)
        response = web.Response(body=body)
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST

        return response

    app = web.Application(middlewares=[_headers])
    for path, (name, content_type) in _FILES.items():
        app.router.add_get(path, _file(name, content_type))
    app.router.add_get("/api/costs", costs)
    app.router.add_get("/api/cache", cache)
    app.router.add_get("/api/breakers", breakers)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/favicon.ico", _no_icon)

    return app


def split_address(address: str) -> tuple[str, int]:
    """ "127.0.0.1:8080" or "[::1]:8080" as a host and a port."""
    host, colon, port = address.rpartition(":")
    if not colon or not port.isdigit():
        raise ValueError(f"expected host:port, got {address!r}")

    return host.strip("[]"), int(port)


class SidePort:
    """The side port's runner: started and stopped with the gateway."""

    def __init__(self, app: web.Application, address: str) -> None:
        self._app = app
        self._host, self._port = split_address(address)
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def start(self) -> None:
        runner = web.AppRunner(self._app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._port, reuse_address=True)
        try:
            await site.start()
        except OSError:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        logger.info("http.serving", extra={"host": self._host, "port": self.port})

    async def close(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
            logger.info("http.stopped", extra={"port": self.port})
