"""The sandbox's web application: pluggable upstreams, their faults, control routes.

An upstream is a module that builds an `Upstream`: its name, the routes it
installs, how it renders a failure, the gates it applies to every call (keys,
headers) and the faults of its own. Every route an upstream installs goes
through `_serve`, which counts the call and applies the generic faults first.
"""

import asyncio
import json
import socket
import struct
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from aiohttp import web

from domain.ports import Clock
from entrypoints.sandbox.catalogue import Catalogue
from entrypoints.sandbox.faults import ExtraFaults, Failure, FaultBoard, UpstreamFaults
from entrypoints.sandbox.stats import SandboxStats


@dataclass(slots=True)
class SandboxState:
    """Everything one running sandbox owns; made when it starts."""

    faults: FaultBoard
    stats: SandboxStats
    catalogue: Catalogue
    clock: Clock
    revoked_keys: Mapping[str, str]
    released: asyncio.Event = field(default_factory=asyncio.Event)


STATE = web.AppKey("sandbox_state", SandboxState)


@dataclass(frozen=True, slots=True)
class UpstreamCall:
    """What an upstream's handler gets besides the request."""

    state: SandboxState
    faults: UpstreamFaults

    def now(self) -> datetime:
        return self.state.clock.now()


Handler = Callable[[web.Request, UpstreamCall], Awaitable[web.StreamResponse]]
Gate = Callable[[web.Request, UpstreamCall], web.StreamResponse | None]


def plain_failure(failure: Failure) -> web.Response:
    """A failure as a bare status line and reason, the way a CDN answers."""
    headers = (
        {} if failure.retry_after is None else {"Retry-After": failure.retry_after}
    )
    reason = _REASONS.get(failure.status, "Error")

    return web.Response(status=failure.status, text=reason, headers=headers)


def no_gate(request: web.Request, call: UpstreamCall) -> None:
    return None


_REASONS = {
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


@dataclass(frozen=True, slots=True)
class Upstream:
    name: str
    install: Callable[["UpstreamRoutes"], None]
    failure: Callable[[Failure], web.StreamResponse] = plain_failure
    gate: Gate = no_gate
    extra_faults: ExtraFaults = field(default_factory=dict)


class UpstreamRoutes:
    """Adds an upstream's routes to the app, each wrapped by the fault machinery."""

    def __init__(self, app: web.Application, upstream: Upstream) -> None:
        self._app = app
        self._upstream = upstream

    def add(self, method: str, path: str, handler: Handler) -> None:
        upstream = self._upstream

        async def serve(request: web.Request) -> web.StreamResponse:
            return await _serve(request, upstream, handler)

        self._app.router.add_route(method, path, serve)


async def _serve(
    request: web.Request, upstream: Upstream, handler: Handler
) -> web.StreamResponse:
    state = request.app[STATE]
    state.stats.record(upstream.name, request.path)
    faults = state.faults.for_upstream(upstream.name)
    if faults.slow:
        await asyncio.sleep(faults.slow)
    if faults.hang:
        await state.released.wait()
        return _drop(request)
    if faults.reset:
        return _drop(request)
    failure = faults.next_failure(state.clock.now())
    if failure is not None:
        return upstream.failure(failure)
    call = UpstreamCall(state, faults)
    refused = upstream.gate(request, call)
    if refused is not None:
        return refused

    return await handler(request, call)


def _drop(request: web.Request) -> web.Response:
    """Close the connection with a reset and no answer at all."""
    transport = request.transport
    if transport is not None:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            # Linger 0 makes the close a TCP RST, as a crashed proxy would.
            sock.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
        transport.abort()

    # Never written: the transport is gone; aiohttp just needs a response.
    return web.Response(status=503)


def json_response(body: object, status: int = 200) -> web.Response:
    return web.Response(
        status=status, text=json.dumps(body), content_type="application/json"
    )


async def _get_faults(request: web.Request) -> web.Response:
    return json_response(request.app[STATE].faults.as_dict())


async def _put_faults(request: web.Request) -> web.Response:
    state = request.app[STATE]
    try:
        changed = state.faults.apply(await request.text())
    except ValueError as exc:
        return json_response({"message": str(exc)}, status=400)

    return json_response({"changed": changed, "faults": state.faults.as_dict()})


async def _get_stats(request: web.Request) -> web.Response:
    return json_response(request.app[STATE].stats.as_dict())


async def _reset(request: web.Request) -> web.Response:
    state = request.app[STATE]
    state.faults.clear()
    state.stats.clear()

    return json_response({"faults": {}, "stats": state.stats.as_dict()})


def build_app(state: SandboxState, upstreams: tuple[Upstream, ...]) -> web.Application:
    app = web.Application()
    app[STATE] = state
    app.router.add_get("/_sandbox/faults", _get_faults)
    app.router.add_put("/_sandbox/faults", _put_faults)
    app.router.add_get("/_sandbox/stats", _get_stats)
    app.router.add_post("/_sandbox/reset", _reset)
    for upstream in upstreams:
        upstream.install(UpstreamRoutes(app, upstream))

    return app
