"""Google's error envelope (code, status, message, details) as domain errors."""

import re
from dataclasses import dataclass, replace
from datetime import datetime

import httpx

from adapters.http_errors import parse_retry_after, raise_for_status
from domain.errors import AuthError, PermanentAPIError, TransientAPIError

_ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo"
_RETRY_INFO = "type.googleapis.com/google.rpc.RetryInfo"
_DURATION = re.compile(r"(\d{1,9}(?:\.\d{1,9})?)s\Z")
# Shaped like a Google API key; redacted from any text Google sends back.
_KEY_SHAPE = re.compile(r"AIza[0-9A-Za-z_-]{20,}")
_MESSAGE_LIMIT = 160

# Reasons that mean the key or its project is refused, whatever the status says:
# Google answers a bad key with 400 INVALID_ARGUMENT, reason API_KEY_INVALID.
_AUTH_HINTS = {
    "API_KEY_INVALID": "the API key is not valid",
    "API_KEY_EXPIRED": "the API key has expired",
    "API_KEY_SERVICE_BLOCKED": "the key's restrictions block Places API (New)",
    "API_KEY_IOS_APP_BLOCKED": "the key is restricted to an iOS app",
    "API_KEY_ANDROID_APP_BLOCKED": "the key is restricted to an Android app",
    "API_KEY_HTTP_REFERRER_BLOCKED": "the key is restricted to other referrers",
    "API_KEY_IP_ADDRESS_BLOCKED": "the key is restricted to other IP addresses",
    "SERVICE_DISABLED": "Places API (New) is not enabled in the key's project",
    "BILLING_DISABLED": "billing is not enabled in the key's project",
    "CONSUMER_INVALID": "the key's project is not valid",
}
_AUTH_STATUSES = {"UNAUTHENTICATED", "PERMISSION_DENIED"}
_TRANSIENT_STATUSES = {"RESOURCE_EXHAUSTED", "UNAVAILABLE", "INTERNAL"}
_TRANSIENT_STATUSES |= {"DEADLINE_EXCEEDED", "ABORTED"}


@dataclass(frozen=True, slots=True)
class GoogleError:
    """The parts of an envelope worth classifying on; `message` is Google's text."""

    code: int
    status: str
    message: str
    reason: str = ""
    quota_limit: str = ""
    retry_delay: float | None = None


def read_envelope(response: httpx.Response) -> GoogleError | None:
    """The envelope of an error answer, or None when the body is not one."""
    try:
        body = response.json()
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None
    code, status = error.get("code"), error.get("status")
    message = error.get("message")
    found = GoogleError(
        code=code if isinstance(code, int) else response.status_code,
        status=status if isinstance(status, str) else "",
        message=message if isinstance(message, str) else "",
    )
    details = error.get("details")
    for detail in details if isinstance(details, list) else []:
        found = _with_detail(found, detail)

    return found


def _with_detail(found: GoogleError, detail: object) -> GoogleError:
    if not isinstance(detail, dict):
        return found
    kind = detail.get("@type")
    kind, reason, delay = detail.get("@type"), detail.get("reason"), None
    if kind == _ERROR_INFO and isinstance(reason, str):
        metadata = detail.get("metadata")
        quota = metadata.get("quota_limit") if isinstance(metadata, dict) else None
        quota = quota if isinstance(quota, str) else ""
        return replace(found, reason=reason, quota_limit=quota)
    if kind == _RETRY_INFO and isinstance(detail.get("retryDelay"), str):
        delay = _DURATION.match(detail["retryDelay"])

    return found if delay is None else replace(found, retry_delay=float(delay[1]))


def raise_for_google_status(
    response: httpx.Response, provider: str, now: datetime, secret: str
) -> None:
    """Raise the domain error an answer stands for; return on 1xx-3xx."""
    if response.status_code < 400:
        return
    found = read_envelope(response)
    if found is None:
        raise_for_status(response, provider, now)
        return
    what = _describe(response, found, secret)
    status = response.status_code
    if _refuses_credentials(found, status):
        hint = _AUTH_HINTS.get(found.reason, "the credentials were refused")
        raise AuthError(f"{what}; {hint}", status, provider=provider)
    if status == 429 or status >= 500 or found.status in _TRANSIENT_STATUSES:
        header = parse_retry_after(response.headers.get("Retry-After"), now)
        wait = header if header is not None else found.retry_delay
        if wait is not None:
            what += f"; it asks to retry after {wait:g} s"
        raise TransientAPIError(what, status, provider=provider, retry_after=wait)

    raise PermanentAPIError(what, status, provider=provider)


def _refuses_credentials(found: GoogleError, status: int) -> bool:
    by_reason = found.reason in _AUTH_HINTS or found.status in _AUTH_STATUSES

    return by_reason or status in (401, 403)


def _describe(response: httpx.Response, found: GoogleError, secret: str) -> str:
    request = response.request
    text = f"Google Places answered {response.status_code} {found.status or 'error'}"
    if found.reason:
        text += f" ({found.reason})"
    if found.quota_limit:
        text += f" on quota {found.quota_limit}"
    text += f" to {request.method} {request.url.path}"
    said = _redacted(found.message, secret)

    return f"{text}: {said!r}" if said else text


def _redacted(message: str, secret: str) -> str:
    """Google's own words, short, with anything key-like cut out."""
    text = " ".join(message.split())
    if secret:
        text = text.replace(secret, "[redacted]")

    return _KEY_SHAPE.sub("[redacted]", text)[:_MESSAGE_LIMIT]
