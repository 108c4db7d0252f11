"""OpenTable's imitation: HTML pages for a browser, with bot walls and drifted markup.

The restaurant page /r/<slug>?covers=N&dateTime=YYYY-MM-DDTHH:MM arrives
without its times; its script asks /dapi/availability for them after a short
delay. A slot leads to /booking/details (the guest form, with a single-use
CSRF token), which posts to /booking/make-reservation and redirects to
/booking/view, where a cancel form posts to /booking/cancel. Every booking
made is listed, as JSON, at /_sandbox/opentable/bookings.

Times shown are within 150 minutes of the one asked for (19:00 when none is),
as on OpenTable; a booked time disappears once its tables are all taken.

OpenTable's own faults:
    botwall          Akamai's "Access Denied" page with 403 on every page
    botwall200       the same page with 200
    captcha          a page holding a CAPTCHA challenge in an iframe
    slowrender[:S]   the times appear S seconds after load; S is one of
                     5 (the default), 0.5, 1, 2, 3, 10, 30, 60
    markup[:variant] drifted markup: "slots" (slot buttons under other
                     selectors and classes) or "container" (the times box too)
    bookhang         make-reservation commits the booking, then never answers
    bookerror        make-reservation commits the booking, then answers 500
"""

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, time, timedelta
from secrets import token_urlsafe

from aiohttp import web

from entrypoints.sandbox.app import (
    Upstream,
    UpstreamCall,
    UpstreamRoutes,
    json_response,
)
from entrypoints.sandbox.faults import Failure
from entrypoints.sandbox.pages import opentable as pages
from entrypoints.sandbox.venues import Venue

_RENDER_DELAY_SECONDS = "0.15"
_WINDOW = timedelta(minutes=150)
_DEFAULT_TIME = time(19, 0)
_DATE_TIME_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M")
_GUEST_FIELDS = {
    "firstName": "First name",
    "lastName": "Last name",
    "phoneNumber": "Phone number",
    "email": "Email",
}


@dataclass(slots=True)
class _Booking:
    confirmation_number: str
    slug: str
    date_time: str
    party_size: int
    guest: dict[str, str]
    status: str = "confirmed"


class _Site:
    """One sandbox's OpenTable: its bookings and the form tokens it handed out."""

    def __init__(self) -> None:
        self.bookings: dict[str, _Booking] = {}
        self._forms: dict[str, str] = {}
        self._next_number = 100001

    def _issue(self, purpose: str) -> str:
        token = token_urlsafe(16)
        self._forms[token] = purpose

        return token

    def _redeem(self, token: object, purpose: str) -> None:
        """Each form token works once, and only for the form it was made for."""
        if not token or self._forms.pop(str(token), None) != purpose:
            raise pages.session_expired()

    def _open_times(
        self, call: UpstreamCall, venue: Venue, at: datetime, covers: int
    ) -> list[datetime]:
        openings = call.state.catalogue.openings(venue, at.date(), covers, call.now())
        tables: dict[datetime, int] = {}
        for opening in openings:
            tables[opening.start] = tables.get(opening.start, 0) + opening.quantity
        taken = [
            b.date_time
            for b in self.bookings.values()
            if b.slug == venue.opentable_slug and b.status == "confirmed"
        ]

        return [
            start
            for start, count in sorted(tables.items())
            if abs(start - at) <= _WINDOW and taken.count(_stamp(start)) < count
        ]

    async def restaurant(
        self, request: web.Request, call: UpstreamCall
    ) -> web.Response:
        slug = request.match_info["slug"]
        venue, at, covers = _asked(call, request.query, slug, "covers")
        extras = call.faults.extras
        seconds = float(extras.get("slowrender", _RENDER_DELAY_SECONDS))
        markup = extras.get("markup")

        return pages.restaurant(
            venue, at, covers, delay_ms=int(seconds * 1000), markup=markup
        )

    async def availability(
        self, request: web.Request, call: UpstreamCall
    ) -> web.Response:
        slug = request.query.get("slug", "")
        try:
            venue, at, covers = _asked(call, request.query, slug, "covers")
        except pages.Refused as refused:
            status, _, _, text = refused.page
            return json_response({"message": text}, status=status)
        times = self._open_times(call, venue, at, covers)
        slots = [{"dateTime": _stamp(t), "available": True} for t in times]
        found = {
            "id": venue.opentable_slug,
            "noTimesReasons": [] if slots else ["NoTimesExist"],
            "timeslots": slots,
        }

        return json_response({"dateTime": _stamp(at), "availability": found})

    async def details(self, request: web.Request, call: UpstreamCall) -> web.Response:
        slug = request.query.get("slug", "")
        venue, at, covers = _asked(call, request.query, slug, "partySize")
        if at not in self._open_times(call, venue, at, covers):
            raise pages.slot_gone()
        csrf = self._issue(f"book|{slug}|{_stamp(at)}|{covers}")

        return pages.details(venue, at, covers, csrf)

    async def make_reservation(
        self, request: web.Request, call: UpstreamCall
    ) -> web.Response:
        form = await request.post()
        slug = str(form.get("slug", ""))
        venue, at, covers = _asked(call, form, slug, "partySize")
        self._redeem(form.get("csrfToken"), f"book|{slug}|{_stamp(at)}|{covers}")
        missing = [label for name, label in _GUEST_FIELDS.items() if not form.get(name)]
        if missing:
            text = "Please fill in: " + ", ".join(missing) + "."
            raise pages.Refused(400, "form-error", "Check your details", text)
        if at not in self._open_times(call, venue, at, covers):
            raise pages.slot_gone()
        number = str(self._next_number)
        self._next_number += 1
        self.bookings[number] = _Booking(
            confirmation_number=number,
            slug=slug,
            date_time=_stamp(at),
            party_size=covers,
            guest={name: str(form[name]) for name in _GUEST_FIELDS},
        )
        # Booked, yet the guest never hears so: the ambiguous failures.
        if call.faults.has("bookhang"):
            await call.state.released.wait()
        if call.faults.has("bookerror"):
            return pages.failure(Failure(500))

        return pages.see_reservation(number)

    async def view(self, request: web.Request, call: UpstreamCall) -> web.Response:
        booking = self._booking(request.query.get("confirmationNumber"))
        venue = call.state.catalogue.opentable_venue(booking.slug)
        if venue is None:
            raise pages.unknown("restaurant")
        number = booking.confirmation_number
        cancelled = booking.status == "cancelled"

        return pages.reservation(
            venue,
            number,
            datetime.fromisoformat(booking.date_time),
            booking.party_size,
            f"{booking.guest['firstName']} {booking.guest['lastName']}",
            cancelled=cancelled,
            csrf="" if cancelled else self._issue(f"cancel|{number}"),
        )

    async def cancel(self, request: web.Request, call: UpstreamCall) -> web.Response:
        form = await request.post()
        booking = self._booking(form.get("confirmationNumber"))
        number = booking.confirmation_number
        self._redeem(form.get("csrfToken"), f"cancel|{number}")
        booking.status = "cancelled"

        return pages.see_reservation(number)

    def _booking(self, number: object) -> _Booking:
        booking = self.bookings.get(str(number))
        if booking is None:
            raise pages.unknown("reservation")

        return booking

    async def list_bookings(
        self, request: web.Request, call: UpstreamCall
    ) -> web.Response:
        return json_response({"bookings": [asdict(b) for b in self.bookings.values()]})


def _asked(
    call: UpstreamCall, params: Mapping[str, object], slug: str, party_key: str
) -> tuple[Venue, datetime, int]:
    """The venue, wall time and party size a page was asked for, with defaults."""
    venue = call.state.catalogue.opentable_venue(slug)
    if venue is None:
        raise pages.unknown("restaurant")
    raw_covers = str(params.get(party_key, "2"))
    if not raw_covers.isdigit() or not 1 <= int(raw_covers) <= 20:
        raise pages.bad_request(f"{party_key} must be a whole number from 1 to 20")
    covers = int(raw_covers)
    raw = str(params.get("dateTime", ""))
    if not raw:
        today = call.state.catalogue.local_today(venue, call.now())
        return venue, datetime.combine(today, _DEFAULT_TIME), covers
    for layout in _DATE_TIME_FORMATS:
        try:
            return venue, datetime.strptime(raw, layout), covers
        except ValueError:
            continue

    raise pages.bad_request("dateTime must be a local time as YYYY-MM-DDTHH:MM")


def _stamp(at: datetime) -> str:
    return f"{at:%Y-%m-%dT%H:%M}"


def _gate(request: web.Request, call: UpstreamCall) -> web.Response | None:
    if request.path.startswith("/_sandbox/"):
        return None
    faults = call.faults
    if faults.has("botwall") or faults.has("botwall200"):
        status = 403 if faults.has("botwall") else 200
        return pages.bot_wall(request, status, call.now())
    if faults.has("captcha"):
        return pages.captcha()

    return None


def opentable_upstream() -> Upstream:
    """A fresh OpenTable, with no bookings, for one running sandbox."""
    site = _Site()
    routes_of = (
        ("GET", "/r/{slug}", site.restaurant),
        ("GET", "/dapi/availability", site.availability),
        ("GET", "/booking/details", site.details),
        ("POST", "/booking/make-reservation", site.make_reservation),
        ("GET", "/booking/view", site.view),
        ("POST", "/booking/cancel", site.cancel),
        ("GET", "/_sandbox/opentable/bookings", site.list_bookings),
    )

    def install(routes: UpstreamRoutes) -> None:
        for method, path, handler in routes_of:
            routes.add(method, path, pages.refusable(handler))

    return Upstream(
        name="opentable",
        install=install,
        failure=pages.failure,
        gate=_gate,
        extra_faults={
            "botwall": (),
            "botwall200": (),
            "captcha": (),
            "slowrender": ("5", "0.5", "1", "2", "3", "10", "30", "60"),
            "markup": ("slots", "container"),
            "bookhang": (),
            "bookerror": (),
        },
    )
