"""The OpenTable imitation's HTML: templates beside this module, filled in safely.

Every value put into a page is HTML-escaped here; templates are read when a
page is first rendered, never at import.
"""

import functools
import html
import secrets
from datetime import datetime
from importlib import resources
from string import Template

from aiohttp import web

from entrypoints.sandbox.app import Handler, UpstreamCall
from entrypoints.sandbox.faults import Failure
from entrypoints.sandbox.venues import Venue

_FAILURE_TITLES = {429: "Too many requests", 500: "Something went wrong"}
_TIMES = [f"{hour:02d}:{minute:02d}" for hour in range(11, 24) for minute in (0, 30)]


@functools.cache
def _template(name: str) -> Template:
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")

    return Template(text)


@functools.cache
def _script() -> str:
    return (
        resources.files(__package__)
        .joinpath("opentable_restaurant.js")
        .read_text(encoding="utf-8")
    )


def _page(template: str, status: int = 200, **values: object) -> web.Response:
    safe = {key: html.escape(str(value)) for key, value in values.items()}

    return _html(_template(template).substitute(safe), status)


def _html(text: str, status: int) -> web.Response:
    return web.Response(status=status, text=text, content_type="text/html")


def when_text(at: datetime) -> str:
    """A wall time as OpenTable writes it: "Tue, Jan 12 at 7:00 PM"."""
    hour = (at.hour + 11) % 12 + 1
    suffix = "AM" if at.hour < 12 else "PM"

    return f"{at:%a, %b} {at.day} at {hour}:{at:%M} {suffix}"


def restaurant(
    venue: Venue,
    at: datetime,
    covers: int,
    *,
    delay_ms: int,
    markup: str | None,
) -> web.Response:
    """The restaurant page; `markup` names a drifted layout ("slots", "container")."""
    wanted = f"{at:%H:%M}"
    times = _TIMES if wanted in _TIMES else sorted([*_TIMES, wanted])
    parties = range(1, venue.max_party + 1)
    values = {
        "name": venue.name,
        "city": venue.city,
        "address": venue.address,
        "slug": venue.opentable_slug,
        "day": at.date().isoformat(),
        "layout": "current" if markup is None else "2027",
        "delay_ms": delay_ms,
    }
    safe = {key: html.escape(str(value)) for key, value in values.items()}
    safe["time_options"] = "".join(_option(t, t, t == wanted) for t in times)
    safe["party_options"] = "".join(
        _option(str(n), str(n), n == covers) for n in parties
    )
    safe["slots_box"] = _slots_box(markup == "container")
    # The script is ours and static; it must not be escaped.
    safe["script"] = _script()

    return _html(_template("opentable_restaurant.html").substitute(safe), 200)


def _option(value: str, label: str, selected: bool) -> str:
    chosen = " selected" if selected else ""

    return f'<option value="{html.escape(value)}"{chosen}>{html.escape(label)}</option>'


def _slots_box(drifted: bool) -> str:
    if drifted:
        return '<div id="times" class="rt-times" data-state="loading"></div>'

    return (
        '<section id="times" data-test="availability-slots" aria-busy="true" '
        'aria-live="polite"><p>Loading times&hellip;</p></section>'
    )


def details(venue: Venue, at: datetime, covers: int, csrf: str) -> web.Response:
    return _page(
        "opentable_details.html",
        name=venue.name,
        when=when_text(at),
        covers=covers,
        csrf=csrf,
        slug=venue.opentable_slug,
        date_time=f"{at:%Y-%m-%dT%H:%M}",
    )


def reservation(
    venue: Venue,
    number: str,
    at: datetime,
    covers: int,
    guest: str,
    *,
    cancelled: bool,
    csrf: str,
) -> web.Response:
    """A confirmed reservation with its cancel form, or a cancelled one."""
    values = {
        "heading": "Reservation cancelled" if cancelled else "Reservation confirmed",
        "status": "cancelled" if cancelled else "confirmed",
        "number": number,
        "name": venue.name,
        "when": when_text(at),
        "covers": covers,
        "guest": guest,
    }
    safe = {key: html.escape(str(value)) for key, value in values.items()}
    safe["status_block"] = _cancelled() if cancelled else _cancel_form(number, csrf)

    return _html(_template("opentable_reservation.html").substitute(safe), 200)


def _cancelled() -> str:
    return '<p data-test="cancelled">This reservation was cancelled.</p>'


def _cancel_form(number: str, csrf: str) -> str:
    return (
        '<form data-test="cancel-form" method="post" action="/booking/cancel">'
        f'<input type="hidden" name="csrfToken" value="{html.escape(csrf)}">'
        f'<input type="hidden" name="confirmationNumber" value="{html.escape(number)}">'
        '<button type="submit" data-test="cancel-reservation">Cancel reservation'
        "</button></form>"
    )


def message(status: int, marker: str, title: str, text: str) -> web.Response:
    """A plain OpenTable page saying what went wrong; `marker` is its data-test."""
    return _page(
        "opentable_message.html", status, marker=marker, title=title, text=text
    )


def captcha() -> web.Response:
    return _page("opentable_captcha.html")


def bot_wall(request: web.Request, status: int, now: datetime) -> web.Response:
    """Akamai's block page: "Access Denied" and a reference number."""
    reference = f"18.{secrets.token_hex(4)}.{int(now.timestamp())}"
    reference += f".{secrets.token_hex(4)}"
    response = _page(
        "opentable_botwall.html",
        status,
        url=f"http://{request.host}{request.path}",
        reference=reference,
    )
    response.headers["Server"] = "AkamaiGHost"

    return response


def see_reservation(number: str) -> web.Response:
    """The redirect after a booking form is posted: to the reservation's page."""
    location = f"/booking/view?confirmationNumber={number}"

    return web.Response(status=303, headers={"Location": location})


def failure(failed: Failure) -> web.Response:
    """A generic fault (outage, 429, ...) as OpenTable's error page."""
    title = _FAILURE_TITLES.get(failed.status, "Service unavailable")
    response = message(failed.status, "error", title, "Please try again later.")
    if failed.retry_after is not None:
        response.headers["Retry-After"] = failed.retry_after

    return response


class Refused(Exception):
    """A request the page refuses: its status, data-test marker, title and text."""

    def __init__(self, status: int, marker: str, title: str, text: str) -> None:
        super().__init__(text)
        self.page = (status, marker, title, text)


def bad_request(text: str) -> Refused:
    return Refused(400, "bad-request", "Bad request", text)


def unknown(what: str) -> Refused:
    return Refused(
        404, "not-found", "Page not found", f"We could not find that {what}."
    )


def slot_gone() -> Refused:
    text = "Someone else just booked this time. Please choose another."

    return Refused(410, "slot-unavailable", "This time is no longer available", text)


def session_expired() -> Refused:
    text = "Your session expired. Please start your reservation again."

    return Refused(400, "session-expired", "Session expired", text)


def refusable(handler: Handler) -> Handler:
    """The handler, with a `Refused` it raises answered as its page."""

    async def serve(request: web.Request, call: UpstreamCall) -> web.StreamResponse:
        try:
            return await handler(request, call)
        except Refused as refused:
            return message(*refused.page)

    return serve
