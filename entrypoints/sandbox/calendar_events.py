"""Google Calendar v3 events kept in memory, errors in the legacy envelope."""

import json
import re
import secrets
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web

from entrypoints.sandbox.app import UpstreamCall, json_response

_EVENT_ID = re.compile(r"[a-v0-9]{5,1024}\Z")
_METHODS = frozenset({"email", "popup"})
_MAX_MINUTES = 40320
_READ_ONLY = frozenset({"kind", "etag", "id", "iCalUID", "created", "updated"})
USER = "sandbox-user@example.invalid"


def legacy_error(
    status: int, reason: str, message: str, domain: str = "global", **where: str
) -> web.Response:
    """An error as Calendar v3 answers it; `where` adds location and its type."""
    item = {"domain": domain, "reason": reason, "message": message}
    if where:
        item |= {"locationType": where["kind"], "location": where["name"]}
    body = {"error": {"errors": [item], "code": status, "message": message}}

    return json_response(body, status)


class _Invalid(Exception):
    def __init__(self, response: web.Response) -> None:
        self.response = response


def _bad(reason: str, message: str, name: str = "") -> _Invalid:
    where = {"kind": "parameter", "name": name} if name else {}

    return _Invalid(legacy_error(400, reason, message, **where))


class CalendarEvents:
    """One sandbox's events, keyed by calendar id and event id.

    A deleted event stays, cancelled: inserting its id again is 409 and
    acting on it is 410, as on the real service.
    """

    def __init__(self) -> None:
        self._events: dict[tuple[str, str], dict[str, Any]] = {}

    def listing(self) -> list[dict[str, Any]]:
        return [
            {"calendarId": calendar, **event}
            for (calendar, _), event in sorted(self._events.items())
        ]

    async def insert(self, request: web.Request, call: UpstreamCall) -> web.Response:
        calendar = request.match_info["calendar_id"]
        try:
            body = await _body(request)
            event_id = str(body.get("id") or secrets.token_hex(13))
            if not _EVENT_ID.match(event_id):
                raise _bad("invalid", "Invalid resource id value.", "id")
            _check(body)
        except _Invalid as invalid:
            return invalid.response
        if (calendar, event_id) in self._events:
            message = "The requested identifier already exists."
            return legacy_error(409, "duplicate", message)
        event = self._created(event_id, body, call.now())
        self._events[(calendar, event_id)] = event

        return json_response(event)

    async def get(self, request: web.Request, call: UpstreamCall) -> web.Response:
        found = self._live(request)
        if isinstance(found, web.Response):
            return found

        return json_response(found)

    async def patch(self, request: web.Request, call: UpstreamCall) -> web.Response:
        found = self._live(request)
        if isinstance(found, web.Response):
            return found
        try:
            body = await _body(request)
            merged = found | {k: v for k, v in body.items() if k not in _READ_ONLY}
            _check(merged)
        except _Invalid as invalid:
            return invalid.response
        found.clear()
        found.update(merged)
        found["sequence"] = int(found["sequence"]) + 1
        _touch(found, call.now())

        return json_response(found)

    async def delete(self, request: web.Request, call: UpstreamCall) -> web.Response:
        found = self._live(request)
        if isinstance(found, web.Response):
            return found
        found["status"] = "cancelled"
        _touch(found, call.now())

        return web.Response(status=204)

    def _live(self, request: web.Request) -> dict[str, Any] | web.Response:
        key = (request.match_info["calendar_id"], request.match_info["event_id"])
        event = self._events.get(key)
        if event is None:
            return legacy_error(404, "notFound", "Not Found")
        if event["status"] == "cancelled":
            return legacy_error(410, "deleted", "Resource has been deleted")

        return event

    def _created(self, event_id: str, body: dict[str, Any], now: datetime) -> dict:
        event = {k: v for k, v in body.items() if k not in _READ_ONLY}
        event |= {
            "kind": "calendar#event",
            "id": event_id,
            "status": body.get("status", "confirmed"),
            "htmlLink": f"https://www.google.com/calendar/event?eid={event_id}",
            "created": _stamp(now),
            "creator": {"email": USER, "self": True},
            "organizer": {"email": USER, "self": True},
            "iCalUID": f"{event_id}@google.com",
            "sequence": 0,
            "reminders": body.get("reminders", {"useDefault": True}),
            "eventType": "default",
        }
        _touch(event, now)

        return event


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.text())
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise _bad("parseError", "Parse Error")

    return body


def _check(event: dict[str, Any]) -> None:
    """Start before end, both times given; reminders as Google allows them."""
    start = _moment(event.get("start"), "start")
    end = _moment(event.get("end"), "end")
    if end <= start:
        raise _bad("timeRangeEmpty", "The specified time range is empty.", "end")
    reminders = event.get("reminders", {"useDefault": True})
    overrides = reminders.get("overrides", []) if isinstance(reminders, dict) else None
    if not isinstance(overrides, list) or len(overrides) > 5:
        raise _bad("invalid", "Invalid reminders.", "reminders")
    if overrides and reminders.get("useDefault"):
        message = (
            "Cannot specify both default reminders and overrides at the same time."
        )
        raise _bad("cannotUseDefaultRemindersAndSpecifyOverride", message)
    for override in overrides:
        method = override.get("method") if isinstance(override, dict) else None
        minutes = override.get("minutes") if isinstance(override, dict) else None
        whole = isinstance(minutes, int) and not isinstance(minutes, bool)
        if method not in _METHODS or not whole or not 0 <= minutes <= _MAX_MINUTES:
            raise _bad("invalid", "Invalid reminder override.", "reminders.overrides")


def _moment(value: object, name: str) -> datetime:
    """An aware instant: an RFC 3339 dateTime, or a wall time with its timeZone."""
    given = value if isinstance(value, dict) else {}
    text, zone = given.get("dateTime"), given.get("timeZone")
    if not isinstance(text, str):
        raise _bad("required", f"Missing {name} time.", name)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _bad("invalid", f"Invalid {name} time.", name) from None
    if moment.tzinfo is not None:
        return moment
    try:
        return moment.replace(tzinfo=ZoneInfo(str(zone)))
    except (ZoneInfoNotFoundError, ValueError):
        raise _bad("missingTimeZone", "Missing time zone definition.", name) from None


def _touch(event: dict[str, Any], now: datetime) -> None:
    event["updated"] = _stamp(now)
    event["etag"] = f'"{int(now.timestamp() * 1000)}{event["sequence"]:04d}"'


def _stamp(now: datetime) -> str:
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
