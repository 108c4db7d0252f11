"""Google Calendar imitation: the OAuth token endpoint and the v3 events API.

Two upstreams share one state. "google_oauth" serves POST /token (grant_type
refresh_token; client id and secret in the form or a Basic header); it hands
out bearer tokens valid 3599 s. "calendar" serves
/calendar/v3/calendars/{id}/events[/{eventId}] and wants one of those tokens.
GET /_sandbox/calendar/events lists every event, deleted ones too, outside
the faults.

Own faults:
    google_oauth=badgrant     every refresh is 400 invalid_grant
    calendar=expired          the tokens issued so far stop working (401)
    calendar=ratelimit[:N]    the next N calls are 403 rateLimitExceeded
    calendar=insert-lost[:N]  the next N inserts are stored, then the
                              connection drops without an answer
The generic 429 and 5xx faults answer in the legacy error envelope.
"""

import base64
import binascii
import secrets
from datetime import datetime, timedelta

from aiohttp import web

from entrypoints.sandbox.app import (
    Upstream,
    UpstreamCall,
    UpstreamRoutes,
    json_response,
)
from entrypoints.sandbox.calendar_events import CalendarEvents, legacy_error
from entrypoints.sandbox.faults import Failure, UpstreamFaults

SANDBOX_CLIENT_ID = "sandbox-calendar.apps.googleusercontent.com"
SANDBOX_CLIENT_SECRET = "sandbox-calendar-client-secret"
SANDBOX_REFRESH_TOKEN = "1//sandbox-calendar-refresh-token"
TOKEN_PATH = "/token"
EVENTS = "/calendar/v3/calendars/{calendar_id}/events"
SCOPE = "https://www.googleapis.com/auth/calendar.events"
TOKEN_LIFETIME = timedelta(seconds=3599)
_COUNTS = tuple(str(n) for n in range(1, 100))
_FAILURES = {
    429: ("usageLimits", "rateLimitExceeded", "Rate Limit Exceeded"),
    500: ("global", "backendError", "Backend Error"),
    503: ("global", "backendError", "Backend Error"),
}


class SandboxCalendar:
    """The tokens issued and the events kept by one sandbox."""

    def __init__(self) -> None:
        self.events = CalendarEvents()
        self._tokens: dict[str, datetime] = {}

    def oauth(self) -> Upstream:
        return Upstream(
            name="google_oauth",
            install=lambda routes: routes.add("POST", TOKEN_PATH, self._token),
            extra_faults={"badgrant": ()},
        )

    def calendar(self) -> Upstream:
        return Upstream(
            name="calendar",
            install=self._install,
            failure=_failure,
            gate=self._gate,
            extra_faults={"expired": (), "ratelimit": _COUNTS, "insert-lost": _COUNTS},
        )

    def _install(self, routes: UpstreamRoutes) -> None:
        events = self.events
        routes.add("POST", EVENTS, self._insert)
        for method, handler in (
            ("GET", events.get),
            ("PATCH", events.patch),
            ("DELETE", events.delete),
        ):
            routes.add(method, EVENTS + "/{event_id}", handler)
        # A control route: neither gated nor counted (as Resy's listing).
        routes._app.router.add_get("/_sandbox/calendar/events", self._listing)

    async def _listing(self, request: web.Request) -> web.Response:
        return json_response({"events": self.events.listing()})

    async def _token(self, request: web.Request, call: UpstreamCall) -> web.Response:
        form = await request.post()
        client_id, secret = _client(
            request, form.get("client_id"), form.get("client_secret")
        )
        if form.get("grant_type") != "refresh_token":
            return _oauth_error(400, "unsupported_grant_type", "Invalid grant_type.")
        if (client_id, secret) != (SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET):
            return _oauth_error(401, "invalid_client", "Unauthorized")
        if call.faults.has("badgrant") or form.get("refresh_token") != (
            SANDBOX_REFRESH_TOKEN
        ):
            return _oauth_error(
                400, "invalid_grant", "Token has been expired or revoked."
            )
        token = "ya29.sandbox-" + secrets.token_urlsafe(24)
        self._tokens[token] = call.now() + TOKEN_LIFETIME
        answer = {
            "access_token": token,
            "expires_in": int(TOKEN_LIFETIME.total_seconds()),
            "scope": SCOPE,
            "token_type": "Bearer",
        }

        return json_response(answer)

    def _gate(self, request: web.Request, call: UpstreamCall) -> web.Response | None:
        if call.faults.has("expired"):
            self._tokens.clear()
            del call.faults.extras["expired"]
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme != "Bearer" or not token:
            return _unauthorized("required", "Login Required")
        expires_at = self._tokens.get(token)
        if expires_at is None or call.now() >= expires_at:
            return _unauthorized("authError", "Invalid Credentials")
        if _take(call.faults, "ratelimit"):
            return legacy_error(
                403, "rateLimitExceeded", "Rate Limit Exceeded", "usageLimits"
            )

        return None

    async def _insert(self, request: web.Request, call: UpstreamCall) -> web.Response:
        answer = await self.events.insert(request, call)
        if answer.status == 200 and _take(call.faults, "insert-lost"):
            # Stored, then silence: the client cannot know that it worked.
            if request.transport is not None:
                request.transport.abort()
        return answer


def calendar_upstreams() -> tuple[Upstream, Upstream]:
    """The token endpoint and the events API, sharing one sandbox's state."""
    shared = SandboxCalendar()

    return shared.oauth(), shared.calendar()


def _client(
    request: web.Request, form_id: object, form_secret: object
) -> tuple[str, str]:
    """The client's id and secret, from a Basic header or else from the form."""
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme == "Basic":
        try:
            decoded = base64.b64decode(encoded, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return "", ""
        client_id, _, secret = decoded.partition(":")
        return client_id, secret

    return str(form_id or ""), str(form_secret or "")


def _take(faults: UpstreamFaults, name: str) -> bool:
    """Use up one of a counted fault's calls; whether this call gets it."""
    if name not in faults.extras:
        return False
    left = int(faults.extras[name] or "1") - 1
    if left > 0:
        faults.extras[name] = str(left)
    else:
        del faults.extras[name]

    return True


def _unauthorized(reason: str, message: str) -> web.Response:
    where = {"kind": "header", "name": "Authorization"}

    return legacy_error(401, reason, message, **where)


def _oauth_error(status: int, error: str, description: str) -> web.Response:
    return json_response({"error": error, "error_description": description}, status)


def _failure(failure: Failure) -> web.Response:
    domain, reason, message = _FAILURES.get(
        failure.status, ("global", "backendError", "Backend Error")
    )
    response = legacy_error(failure.status, reason, message, domain)
    if failure.retry_after is not None:
        response.headers["Retry-After"] = failure.retry_after

    return response
