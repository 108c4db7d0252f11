"""Google Calendar v3 events over httpx, signed with a refreshed OAuth2 token."""

import asyncio
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

import httpx
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.httpx_client import AsyncOAuth2Client

from adapters.calendar.settings import GoogleCalendarSettings
from adapters.http_errors import (
    parse_retry_after,
    raise_for_status,
    translate_transport_error,
)
from domain.calendar import CalendarEvent
from domain.errors import AuthError, SchemaChangeError, TransientAPIError
from domain.ports import Clock

logger = logging.getLogger(__name__)

PROVIDER = "calendar"
_RATE_LIMITS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
_GONE = frozenset({404, 410})
_QUIET = {"sendUpdates": "none"}
_OAUTH_CODE = re.compile(r"[a-z_]{1,40}\Z")
_OPERATIONS = {"POST": "insert", "PATCH": "patch", "DELETE": "delete", "GET": "get"}


def calendar_operation(request: httpx.Request) -> str:
    """The ledger's operation name: "token" or "events.insert" and the like."""
    if "/events" not in request.url.path:
        return "token"

    return "events." + _OPERATIONS.get(request.method, request.method.lower())


def event_resource(event: CalendarEvent) -> dict[str, Any]:
    """The Event resource of events.insert; patch sends the same without `id`."""
    zone = event.time_zone

    return {
        "id": event.event_id,
        "status": "confirmed",
        "summary": event.summary,
        "location": event.location,
        "description": event.description,
        "start": {"dateTime": event.start.isoformat(), "timeZone": zone},
        "end": {"dateTime": event.end.isoformat(), "timeZone": zone},
        "reminders": {
            "useDefault": False,
            "overrides": [{"method": "popup", "minutes": event.reminder_minutes}],
        },
        "extendedProperties": {"private": {"reservationId": event.reservation_id}},
    }


class GoogleCalendarSync:
    """CalendarSync on Google Calendar v3; each attempt goes through `transport`.

    Authlib's AsyncOAuth2Client refreshes the access token when it expires; a
    401 before then (a revoked token) refreshes once and resends. An insert
    that meets 409 patches the event already there; a delete that meets 404
    or 410 finds it gone. Messages never hold a token, secret or header.
    """

    provider = PROVIDER

    def __init__(
        self,
        settings: GoogleCalendarSettings,
        clock: Clock,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._refreshing = asyncio.Lock()
        calendar = quote(settings.calendar_id, safe="")
        base = settings.base_url.rstrip("/")
        self._events = f"{base}/calendar/v3/calendars/{calendar}/events"
        self._client = AsyncOAuth2Client(
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            token_endpoint_auth_method="client_secret_post",
            token_endpoint=settings.token_url,
            # No access token yet: the first call refreshes one.
            token={
                "access_token": "",
                "token_type": "Bearer",
                "refresh_token": settings.refresh_token,
                "expires_at": 0,
            },
            timeout=settings.timeout,
            follow_redirects=False,
            transport=transport,
        )
        self._client.register_compliance_hook(
            "refresh_token_response", self._token_answer
        )

    async def put(self, event: CalendarEvent, *, existing: bool = False) -> None:
        url = f"{self._events}/{event.event_id}"
        changes = {k: v for k, v in event_resource(event).items() if k != "id"}
        if existing:
            patched = await self._send("PATCH", url, json=changes)
            if patched.status_code != 404:
                return self._accept(patched, event.event_id)
        inserted = await self._send("POST", self._events, json=event_resource(event))
        if inserted.status_code == 409:
            logger.info("calendar.event_exists", extra={"event_id": event.event_id})
            inserted = await self._send("PATCH", url, json=changes)
        self._accept(inserted, event.event_id)

    async def remove(self, event_id: str) -> None:
        removed = await self._send("DELETE", f"{self._events}/{event_id}")
        if removed.status_code in _GONE:
            logger.info(
                "calendar.event_already_gone",
                extra={"event_id": event_id, "status": removed.status_code},
            )
            return
        self._raise_for(removed)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """One request; a 401 refreshes the access token once and sends it again."""
        response = await self._request(method, url, **kwargs)
        if response.status_code != 401:
            return response
        logger.info("calendar.token_refused", extra={"operation": method})
        sent = response.request.headers.get("Authorization", "")
        await self._refresh(sent.removeprefix("Bearer "))

        return await self._request(method, url, **kwargs)

    async def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        with _translated():
            return await self._client.request(method, url, params=_QUIET, **kwargs)

    async def _refresh(self, used: str) -> None:
        async with self._refreshing:
            if self._access_token() != used:
                return  # another call refreshed it meanwhile
            with _translated():
                await self._client.refresh_token(
                    self._settings.token_url, refresh_token=self._settings.refresh_token
                )
        logger.info("calendar.token_refreshed", extra={"provider": PROVIDER})

    def _access_token(self) -> str:
        token = self._client.token or {}

        return str(token.get("access_token", ""))

    def _token_answer(self, response: httpx.Response) -> httpx.Response:
        """Busy or broken token endpoints are transient, before Authlib parses."""
        if response.status_code == 429 or response.status_code >= 500:
            raise_for_status(response, PROVIDER, self._clock.now())

        return response

    def _accept(self, response: httpx.Response, event_id: str) -> None:
        self._raise_for(response)
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or body.get("id") != event_id:
            raise SchemaChangeError(
                f"Google Calendar answered {response.status_code} to "
                f"{response.request.method} without the event {event_id}",
                provider=PROVIDER,
            )

    def _raise_for(self, response: httpx.Response) -> None:
        reason = _reason(response)
        if response.status_code == 403 and reason in _RATE_LIMITS:
            request = response.request
            raise TransientAPIError(
                f"{PROVIDER} answered 403 {reason} to {request.method} "
                f"{request.url.path}",
                403,
                provider=PROVIDER,
                retry_after=parse_retry_after(
                    response.headers.get("Retry-After"), self._clock.now()
                ),
            )
        raise_for_status(response, PROVIDER, self._clock.now())


def _reason(response: httpx.Response) -> str:
    """The first `errors[].reason` of Google's legacy error envelope, if any."""
    if response.status_code < 400:
        return ""
    try:
        error = response.json().get("error", {})
        first = error.get("errors", [])[0]
    except (ValueError, AttributeError, IndexError, TypeError):
        return ""
    reason = first.get("reason", "") if isinstance(first, dict) else ""

    return reason if isinstance(reason, str) else ""


@contextmanager
def _translated() -> Iterator[None]:
    """httpx's and Authlib's failures as domain errors (token refreshes included)."""
    try:
        yield
    except httpx.TransportError as exc:
        raise translate_transport_error(exc, PROVIDER) from exc
    except AuthlibBaseError as exc:
        # Chained to nothing: the OAuth error may repeat what the request held.
        raise _refused(exc) from None
    except ValueError as exc:
        raise SchemaChangeError(
            "the calendar token endpoint answered with no JSON token",
            provider=PROVIDER,
        ) from exc


def _refused(exc: AuthlibBaseError) -> AuthError:
    code = str(getattr(exc, "error", "") or "")
    shown = code if _OAUTH_CODE.match(code) else "unknown_error"

    return AuthError(
        f"the calendar token endpoint refused the refresh token ({shown})",
        provider=PROVIDER,
    )
