"""HTTP statuses, Retry-After and transport failures turned into domain errors.

Shared by every httpx-based adapter. Messages name the provider, the status
and the path, never the query string, headers, keys or tokens.
"""

import re
from datetime import UTC, datetime

import httpx

from domain.errors import (
    APIError,
    AuthError,
    PermanentAPIError,
    TransientAPIError,
    UpstreamTimeoutError,
)

_AUTH_STATUSES = {401, 403, 419}
_MONTHS = {
    name: number
    for number, name in enumerate(
        (
            "Jan",
            "Feb",
            "Mar",
            "Apr",
            "May",
            "Jun",
            "Jul",
            "Aug",
            "Sep",
            "Oct",
            "Nov",
            "Dec",
        ),
        start=1,
    )
}
_SHORT_DAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
_LONG_DAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_MONTH = r"(?P<month>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_CLOCK = r"(?P<hour>\d{2}):(?P<minute>\d{2}):(?P<second>\d{2})"
_IMF_FIXDATE = re.compile(
    rf"{_SHORT_DAY}, (?P<day>\d{{2}}) {_MONTH} (?P<year>\d{{4}}) {_CLOCK} GMT\Z"
)
_RFC850 = re.compile(
    rf"{_LONG_DAY}, (?P<day>\d{{2}})-{_MONTH}-(?P<year>\d{{2}}) {_CLOCK} GMT\Z"
)
_ASCTIME = re.compile(
    rf"{_SHORT_DAY} {_MONTH} (?P<day>[ \d]\d) {_CLOCK} (?P<year>\d{{4}})\Z"
)
_MESSAGE_LIMIT = 160


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait, from delay-seconds or an HTTP-date; None when unusable.

    A date in the past means "now" (0). Garbage, negative numbers and
    fractions (not allowed by RFC 9110) give None.
    """
    if value is None:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        return float(int(text))
    when = _parse_http_date(text, _aware(now))
    if when is None:
        return None

    return max(0.0, (when - _aware(now)).total_seconds())


def _aware(now: datetime) -> datetime:
    return now if now.tzinfo is not None else now.replace(tzinfo=UTC)


def _parse_http_date(text: str, now: datetime) -> datetime | None:
    for pattern in (_IMF_FIXDATE, _RFC850, _ASCTIME):
        match = pattern.match(text)
        if match is None:
            continue
        year = int(match["year"])
        if pattern is _RFC850:
            year = _full_year(year, now)
        try:
            return datetime(
                year,
                _MONTHS[match["month"]],
                int(match["day"]),
                int(match["hour"]),
                int(match["minute"]),
                int(match["second"]),
                tzinfo=UTC,
            )
        except ValueError:
            return None

    return None


def _full_year(two_digits: int, now: datetime) -> int:
    # RFC 9110 5.6.7: a two-digit year more than 50 years ahead is in the past.
    year = now.year - now.year % 100 + two_digits
    if year > now.year + 50:
        year -= 100

    return year


def raise_for_status(response: httpx.Response, provider: str, now: datetime) -> None:
    """Raise the domain error a non-success status stands for; return on 1xx-3xx."""
    status = response.status_code
    if status < 400:
        return
    what = _describe(response, provider)
    if status == 429 or status >= 500:
        retry_after = parse_retry_after(response.headers.get("Retry-After"), now)
        if retry_after is not None:
            what += f"; it asks to retry after {retry_after:g} s"
        raise TransientAPIError(
            what, status, provider=provider, retry_after=retry_after
        )
    if status in _AUTH_STATUSES:
        raise AuthError(
            what + "; the credentials were refused", status, provider=provider
        )

    raise PermanentAPIError(what, status, provider=provider)


def _describe(response: httpx.Response, provider: str) -> str:
    request = response.request
    reason = response.reason_phrase or "no reason given"
    text = f"{provider} answered {response.status_code} {reason}"
    text += f" to {request.method} {request.url.path}"
    said = _upstream_message(response)

    return f"{text}: {said!r}" if said else text


def _upstream_message(response: httpx.Response) -> str:
    """The short human message a JSON error body carries, if any."""
    if "json" not in response.headers.get("Content-Type", ""):
        return ""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    message = body.get("message")
    nested = body.get("error")
    if not isinstance(message, str) and isinstance(nested, dict):
        message = nested.get("message")
    if not isinstance(message, str):
        return ""

    return " ".join(message.split())[:_MESSAGE_LIMIT]


def translate_transport_error(exc: httpx.TransportError, provider: str) -> APIError:
    """The domain error for a request that got no HTTP answer at all."""
    kind = type(exc).__name__
    if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
        return UpstreamTimeoutError(
            f"{provider} timed out before the request was sent ({kind})",
            provider=provider,
            maybe_received=False,
        )
    if isinstance(exc, httpx.TimeoutException):
        return UpstreamTimeoutError(
            f"{provider} timed out after the request was sent; "
            f"it may have been received ({kind})",
            provider=provider,
            maybe_received=True,
        )
    if isinstance(exc, httpx.ConnectError):
        return TransientAPIError(
            f"could not connect to {provider}; the request was not sent ({kind})",
            provider=provider,
        )
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.LocalProtocolError):
        return PermanentAPIError(
            f"the request to {provider} could not be made ({kind})", provider=provider
        )
    if isinstance(exc, httpx.ProxyError):
        return TransientAPIError(
            f"the proxy to {provider} failed; the request was not sent ({kind})",
            provider=provider,
        )

    return TransientAPIError(
        f"the connection to {provider} dropped without an answer; "
        f"the request may have been received ({kind})",
        provider=provider,
    )
