"""Resy's booking imitation: the account, book tokens, bookings, cancellations.

Every route here needs `X-Resy-Auth-Token` (any JWT-shaped value names a user;
`X-Resy-Universal-Auth`, when sent, must match): GET /2/user, GET and POST
/3/details (a book token valid 5 minutes), POST /3/book (form-encoded
book_token and struct_payment_method), GET /3/user/reservations (upcoming
only), POST /3/cancel (form-encoded resy_token; an unknown one is 419). A
booked slot leaves /4/find for its venue, day and party size until cancelled.
GET /_sandbox/resy/reservations lists every booking, outside the faults.

Faults:
    nocard              no card on the account: /2/user lists none, /3/book 402
    slotgone[:404|410]  /3/book answers that the slot is gone (default 404)
    412                 /3/book answers 412 Precondition Failed
    book-timeout[:P]    /3/book commits the booking, then never answers, with
                        probability P in hundredths (default 1), drawn from a
                        generator seeded by the upstream's seed:N
"""

import hashlib
import itertools
import json
import random
import re
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from aiohttp import web

from entrypoints.sandbox.app import UpstreamCall, UpstreamRoutes, json_response
from entrypoints.sandbox.faults import UpstreamFaults

# Shaped like the JWT Resy hands out; the sandbox accepts any such value.
SANDBOX_AUTH_TOKEN = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJzYW5kYm94In0.c2FuZGJveA"
BOOK_TOKEN_LIFETIME = timedelta(minutes=5)
BOOKING_FAULTS: Mapping[str, tuple[str, ...]] = {
    "nocard": (),
    "slotgone": ("404", "410"),
    "412": (),
    "book-timeout": tuple(f"{n / 100:g}" for n in range(100, -1, -1)),
}
_AUTH_TOKEN = re.compile(r"[\w-]{2,}\.[\w-]{2,}\.[\w-]{2,}\Z", re.ASCII)
_CONFIG = re.compile(
    r"rgs://resy/(\d+)/\d+/\d+/(\d{4}-\d{2}-\d{2})/\2/(\d{2}:\d{2}:\d{2})/(\d+)/(.+)\Z"
)
_FORM = "application/x-www-form-urlencoded"
_PAGE, _MAX_PAGE = 20, 100

UserHandler = Callable[[web.Request, UpstreamCall, str], Awaitable[web.Response]]


@dataclass(frozen=True, slots=True)
class Table:
    """What one booking holds: a venue's table at a wall time for a party."""

    venue_id: int
    day: date
    time_slot: str  # "19:30:00"
    seating: str
    party_size: int


@dataclass(frozen=True, slots=True)
class _BookToken:
    table: Table
    user: str
    expires_at: datetime


@dataclass(slots=True)
class SandboxReservation:
    reservation_id: int
    resy_token: str
    user: str
    table: Table
    booked_at: datetime
    cancelled: bool = False

    def row(self) -> dict[str, object]:
        """The reservation as GET /3/user/reservations lists it."""
        t = self.table
        fee = {"amount": 0, "applies": False, "date_cut_off": None}

        return {
            "resy_token": self.resy_token,
            "reservation_id": self.reservation_id,
            "venue": {"id": t.venue_id},
            "day": t.day.isoformat(),
            "time_slot": t.time_slot,
            "num_seats": t.party_size,
            "config": {"type": t.seating},
            "cancellation": {"allowed": True, "fee": fee},
        }


class _BadParams(ValueError):
    pass


class ResyBookings:
    """One sandbox's book tokens and bookings; made when Resy's routes install."""

    def __init__(self) -> None:
        self._tokens: dict[str, _BookToken] = {}
        self._made: list[SandboxReservation] = []
        self._ids = itertools.count(900_000_001)
        self._draws_for: UpstreamFaults | None = None
        self._draws = random.Random(0)

    def install(self, routes: UpstreamRoutes) -> None:
        for method, path, handler in (
            ("GET", "/2/user", self._account),
            ("GET", "/3/details", self._details),
            ("POST", "/3/details", self._details),
            ("POST", "/3/book", self._book),
            ("GET", "/3/user/reservations", self._reservations),
            ("POST", "/3/cancel", self._cancel),
        ):
            routes.add(method, path, _as_user(handler))
        # UpstreamRoutes has no public way to add a route outside the fault
        # machinery, and a control route must be neither gated nor counted.
        routes._app.router.add_get("/_sandbox/resy/reservations", self._listing)

    def is_taken(
        self, venue_id: int, start: datetime, seating: str, party_size: int
    ) -> bool:
        """Whether a /4/find opening is booked (and not cancelled)."""
        table = Table(venue_id, start.date(), f"{start:%H:%M:%S}", seating, party_size)

        return any(r.table == table and not r.cancelled for r in self._made)

    async def _account(
        self, request: web.Request, call: UpstreamCall, user: str
    ) -> web.Response:
        cards = _cards(user, call)
        name = {"first_name": "Sandbox", "last_name": "Guest"}

        return json_response(
            {"id": int(user[8:14], 16), **name, "payment_methods": cards}
        )

    async def _details(
        self, request: web.Request, call: UpstreamCall, user: str
    ) -> web.Response:
        try:
            table = _table(await _params(request), call)
        except _BadParams as exc:
            return _bad(str(exc))
        value = f"sbx|{uuid.uuid4().hex}|{table.venue_id}|{table.day.isoformat()}"
        expires_at = call.now() + BOOK_TOKEN_LIFETIME
        self._tokens[value] = _BookToken(table, user, expires_at)
        token = {"value": value, "date_expires": f"{expires_at:%Y-%m-%d %H:%M:%S}"}

        return json_response(
            {
                "book_token": token,
                "user": {"payment_methods": _cards(user, call)},
                "config": {"type": table.seating},
                "cancellation": {},
                "payment": {},
            }
        )

    async def _book(
        self, request: web.Request, call: UpstreamCall, user: str
    ) -> web.Response:
        form = await _form(request)
        token = self._tokens.get(str(form.get("book_token", "")))
        if token is None or token.user != user:
            return _bad("Invalid book token")
        if call.now() >= token.expires_at:
            return _bad("Book token has expired")
        refused = _payment_refusal(form.get("struct_payment_method"), user, call)
        if refused is not None:
            return refused
        if call.faults.has("412"):
            return _bad("Precondition Failed", 412)
        gone = call.faults.extras.get("slotgone")
        if gone or not self._bookable(token.table, call):
            return _bad("Slot is no longer available", int(gone or 404))
        del self._tokens[str(form["book_token"])]
        made = SandboxReservation(
            next(self._ids),
            f"rr://sandbox/{uuid.uuid4().hex}",
            user,
            token.table,
            call.now(),
        )
        self._made.append(made)
        if self._times_out(call.faults):
            # Booked, then silence: the client cannot know that it worked.
            await call.state.released.wait()
            return _hang_up(request)
        answer = {"resy_token": made.resy_token, "reservation_id": made.reservation_id}

        return json_response({**answer, "venue_opt_in": False})

    def _bookable(self, table: Table, call: UpstreamCall) -> bool:
        venue = call.state.catalogue.resy_venue(table.venue_id)
        taken = any(r.table == table and not r.cancelled for r in self._made)
        if venue is None or taken:
            return False
        openings = call.state.catalogue.openings(
            venue, table.day, table.party_size, call.now()
        )

        return any(
            f"{o.start:%H:%M:%S}" == table.time_slot and o.seating == table.seating
            for o in openings
        )

    def _times_out(self, faults: UpstreamFaults) -> bool:
        if not faults.has("book-timeout"):
            return False
        if self._draws_for is not faults:
            # A new spec is a new fault object: its seeded draws start afresh.
            self._draws_for, self._draws = faults, random.Random(faults.seed)

        return self._draws.random() < float(faults.extras["book-timeout"])

    async def _reservations(
        self, request: web.Request, call: UpstreamCall, user: str
    ) -> web.Response:
        try:
            limit = min(_count(request.query, "limit", _PAGE), _MAX_PAGE)
            offset = _count(request.query, "offset", 0)
        except _BadParams as exc:
            return _bad(str(exc))
        upcoming = self._upcoming(user, call)
        page = upcoming[offset : offset + limit]
        catalogue = call.state.catalogue
        venues = {
            str(v.resy_venue_id): {"name": v.name}
            for r in page
            if (v := catalogue.resy_venue(r.table.venue_id)) is not None
        }
        metadata = {"total": len(upcoming), "limit": limit, "offset": offset}
        rows = [r.row() for r in page]

        return json_response(
            {"reservations": rows, "venues": venues, "metadata": metadata}
        )

    def _upcoming(self, user: str, call: UpstreamCall) -> list[SandboxReservation]:
        """The user's bookings from the venue's today on, soonest first."""
        catalogue = call.state.catalogue

        def ahead(r: SandboxReservation) -> bool:
            venue = catalogue.resy_venue(r.table.venue_id)
            today = catalogue.local_today(venue, call.now()) if venue else None

            return today is not None and r.table.day >= today

        mine = [r for r in self._made if r.user == user and not r.cancelled]

        return sorted(
            filter(ahead, mine), key=lambda r: (r.table.day, r.table.time_slot)
        )

    async def _cancel(
        self, request: web.Request, call: UpstreamCall, user: str
    ) -> web.Response:
        token = str((await _form(request)).get("resy_token", ""))
        made = next((r for r in self._made if r.resy_token == token), None)
        if made is None or made.user != user:
            return _unauthorized()
        # A second cancel answers as the first: a retried cancel must not fail.
        made.cancelled = True

        return json_response({"payment": {"transaction": {"refund": 1}}})

    async def _listing(self, request: web.Request) -> web.Response:
        listed = [{**r.row(), "cancelled": r.cancelled} for r in self._made]

        return json_response(listed)


def _as_user(handler: UserHandler) -> Callable[..., Awaitable[web.Response]]:
    """The handler, called with the user the auth token names; 419 without one."""

    async def serve(request: web.Request, call: UpstreamCall) -> web.Response:
        token = request.headers.get("X-Resy-Auth-Token", "")
        universal = request.headers.get("X-Resy-Universal-Auth", token)
        if not token and call.faults.has("lenient"):
            token = universal = SANDBOX_AUTH_TOKEN
        if not _AUTH_TOKEN.match(token) or universal != token:
            return _unauthorized()

        return await handler(request, call, hashlib.sha256(token.encode()).hexdigest())

    return serve


def _payment_id(user: str) -> int:
    return 1_000_000 + int(user[:8], 16) % 9_000_000


def _cards(user: str, call: UpstreamCall) -> list[dict[str, object]]:
    if call.faults.has("nocard"):
        return []

    return [{"id": _payment_id(user), "is_default": True, "display": "4242"}]


def _payment_refusal(raw: object, user: str, call: UpstreamCall) -> web.Response | None:
    """Why struct_payment_method cannot pay, or None when it can."""
    if raw is None or not _cards(user, call):
        return _bad("A payment method is required to book", 402)
    try:
        method = json.loads(str(raw))
    except ValueError:
        return _bad("struct_payment_method must be a JSON object")
    found = method.get("id") if isinstance(method, dict) else None
    if not isinstance(found, int) or isinstance(found, bool):
        return _bad("struct_payment_method id must be a number")
    if found != _payment_id(user):
        return _bad("Payment method not found", 402)

    return None


async def _params(request: web.Request) -> Mapping[str, object]:
    if request.method == "GET":
        return request.query
    try:
        body = json.loads(await request.text())
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise _BadParams("the body must be a JSON object")

    return body


async def _form(request: web.Request) -> Mapping[str, object]:
    """The form fields; a JSON (or any other) body has none."""
    return await request.post() if request.content_type == _FORM else {}


def _table(params: Mapping[str, object], call: UpstreamCall) -> Table:
    match = _CONFIG.match(str(params.get("config_id", "")))
    if match is None or call.state.catalogue.resy_venue(int(match[1])) is None:
        raise _BadParams("Invalid configuration ID")
    wanted = (str(params.get("day")), str(params.get("party_size")))
    if wanted != (match[2], match[4]):
        raise _BadParams("day and party_size must be the configuration's")
    try:
        day = date.fromisoformat(match[2])
    except ValueError:
        raise _BadParams("Invalid configuration ID") from None

    return Table(int(match[1]), day, match[3], match[5], int(match[4]))


def _count(query: Mapping[str, str], name: str, default: int) -> int:
    text = query.get(name, str(default))
    if not text.isdigit():
        raise _BadParams(f"{name} must be a whole number")

    return int(text)


def _unauthorized() -> web.Response:
    return json_response({"status": 419, "message": "Unauthorized"}, 419)


def _bad(message: str, status: int = 400) -> web.Response:
    return json_response({"message": message}, status)


def _hang_up(request: web.Request) -> web.Response:
    if request.transport is not None:
        request.transport.abort()

    # Never written: the transport is gone; aiohttp just needs a response.
    return web.Response(status=503)
