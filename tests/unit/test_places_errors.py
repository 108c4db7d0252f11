"""Google's error envelope: which errors are auth, transient or permanent."""

from datetime import UTC, datetime

import httpx
import pytest

from adapters.places.errors import raise_for_google_status, read_envelope
from domain.errors import AuthError, PermanentAPIError, TransientAPIError

NOW = datetime(2027, 1, 10, 17, 0, tzinfo=UTC)
KEY = "AIzaSyTestKeyThatMustNeverShow0000000000"
RPC = "type.googleapis.com/google.rpc."


def _answer(
    status: int,
    code: str,
    reason: str = "",
    *,
    message: str = "upstream words",
    retry_delay: str = "",
    headers: dict[str, str] | None = None,
    quota: str = "",
) -> httpx.Response:
    details: list[dict[str, object]] = []
    if reason:
        info = {"@type": RPC + "ErrorInfo", "reason": reason, "domain": "google"}
        details.append(info | ({"metadata": {"quota_limit": quota}} if quota else {}))
    if retry_delay:
        details.append({"@type": RPC + "RetryInfo", "retryDelay": retry_delay})
    error = {"code": status, "message": message, "status": code, "details": details}
    request = httpx.Request(
        "POST",
        f"https://places.invalid/v1/places:searchText?key={KEY}",
        headers={"X-Goog-Api-Key": KEY},
    )

    return httpx.Response(
        status, json={"error": error}, headers=headers, request=request
    )


def _raised(response: httpx.Response) -> Exception:
    with pytest.raises(Exception) as caught:
        raise_for_google_status(response, "google_places", NOW, KEY)

    return caught.value


def test_success_raises_nothing() -> None:
    raise_for_google_status(httpx.Response(200), "google_places", NOW, KEY)


def test_a_missing_mask_is_a_permanent_invalid_argument() -> None:
    error = _raised(_answer(400, "INVALID_ARGUMENT", message="FieldMask is required"))

    assert type(error) is PermanentAPIError
    assert "400 INVALID_ARGUMENT" in error.message
    assert "FieldMask is required" in error.message
    assert "/v1/places:searchText" in error.message


@pytest.mark.parametrize(
    ("status", "code", "reason", "hint"),
    [
        (400, "INVALID_ARGUMENT", "API_KEY_INVALID", "not valid"),
        (403, "PERMISSION_DENIED", "SERVICE_DISABLED", "not enabled"),
        (403, "PERMISSION_DENIED", "API_KEY_SERVICE_BLOCKED", "restrictions"),
        (403, "PERMISSION_DENIED", "BILLING_DISABLED", "billing"),
        (403, "PERMISSION_DENIED", "", "refused"),
        (401, "UNAUTHENTICATED", "", "refused"),
    ],
)
def test_refused_keys_and_projects_are_auth_errors(status, code, reason, hint) -> None:
    error = _raised(_answer(status, code, reason))

    assert isinstance(error, AuthError)
    assert error.status_code == status
    assert hint in error.message
    assert reason in error.message


@pytest.mark.parametrize(
    ("delay", "header", "expected"),
    [("41s", None, 41.0), ("1.5s", None, 1.5), ("", None, None), ("41s", "7", 7.0)],
)
def test_resource_exhausted_is_transient_with_the_delay_google_gives(
    delay, header, expected
) -> None:
    headers = {"Retry-After": header} if header else None
    response = _answer(
        429,
        "RESOURCE_EXHAUSTED",
        "RATE_LIMIT_EXCEEDED",
        retry_delay=delay,
        headers=headers,
        quota="SearchTextRequestPerMinutePerProject",
    )

    error = _raised(response)

    assert type(error) is TransientAPIError
    assert error.retry_after == expected
    assert "SearchTextRequestPerMinutePerProject" in error.message


@pytest.mark.parametrize(
    ("status", "code"), [(500, "INTERNAL"), (503, "UNAVAILABLE"), (504, "")]
)
def test_server_errors_are_transient(status: int, code: str) -> None:
    assert type(_raised(_answer(status, code))) is TransientAPIError


def test_not_found_is_permanent() -> None:
    error = _raised(_answer(404, "NOT_FOUND"))

    assert type(error) is PermanentAPIError
    assert error.status_code == 404


def test_a_body_that_is_not_an_envelope_falls_back_to_the_status() -> None:
    request = httpx.Request("GET", "https://places.invalid/v1/places/x")
    proxy = httpx.Response(502, text="<html>Bad gateway</html>", request=request)
    denied = httpx.Response(403, text="Forbidden", request=request)

    assert type(_raised(proxy)) is TransientAPIError
    assert isinstance(_raised(denied), AuthError)


def test_the_key_never_appears_in_a_message_even_when_google_echoes_it() -> None:
    other = "AIzaSyAnotherKeyShapedValue0000000000000"
    said = f"key {KEY} and {other} were refused"
    error = _raised(_answer(400, "INVALID_ARGUMENT", "API_KEY_INVALID", message=said))

    assert KEY not in error.message and other not in error.message
    assert "[redacted]" in error.message


def test_details_of_unknown_types_and_odd_values_are_ignored() -> None:
    body = {
        "error": {
            "code": 429,
            "status": "RESOURCE_EXHAUSTED",
            "details": [
                "junk",
                {"@type": RPC + "RetryInfo", "retryDelay": "soon"},
                {"@type": RPC + "Help", "links": []},
            ],
        }
    }
    found = read_envelope(httpx.Response(429, json=body))

    assert found is not None
    assert (found.status, found.reason, found.retry_delay) == (
        "RESOURCE_EXHAUSTED",
        "",
        None,
    )
