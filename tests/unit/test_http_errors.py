"""Status classification, Retry-After parsing and transport errors as domain errors."""

from datetime import UTC, datetime

import httpx
import pytest

from adapters.http_errors import (
    parse_retry_after,
    raise_for_status,
    translate_transport_error,
)
from domain.errors import (
    AuthError,
    PermanentAPIError,
    TransientAPIError,
    UpstreamTimeoutError,
)

NOW = datetime(2027, 1, 10, 17, 0, 0, tzinfo=UTC)
SECRET = "s3cr3t-key-value"


def _response(
    status: int, headers: dict[str, str] | None = None, json: object = None
) -> httpx.Response:
    request = httpx.Request(
        "GET",
        f"https://upstream.invalid/4/find?api_key={SECRET}",
        headers={"Authorization": f'ResyAPI api_key="{SECRET}"'},
    )
    return httpx.Response(status, headers=headers, json=json, request=request)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        ("0", 0.0),
        (" 7 ", 7.0),
        ("Sun, 10 Jan 2027 17:02:00 GMT", 120.0),
        ("Sunday, 10-Jan-27 17:00:30 GMT", 30.0),
        ("Sun Jan 10 17:01:00 2027", 60.0),
        ("Sun Jan  3 17:00:00 2027", 0.0),
        ("Fri, 31 Dec 1999 23:59:59 GMT", 0.0),
    ],
)
def test_retry_after_reads_seconds_and_every_http_date_form(
    value: str, expected: float
) -> None:
    assert parse_retry_after(value, NOW) == expected


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "soon",
        "-5",
        "1.5",
        "12abc",
        "Sun, 32 Jan 2027 17:02:00 GMT",
        "Sun, 10 Jan 2027 17:02:00 PST",
        "2027-01-10T17:02:00Z",
        "٣",
    ],
)
def test_retry_after_garbage_gives_none(value: str | None) -> None:
    assert parse_retry_after(value, NOW) is None


def test_retry_after_two_digit_year_far_ahead_is_read_as_last_century() -> None:
    # RFC 850 "99" seen in 2027 is 1999, not 2099: a date in the past.
    assert parse_retry_after("Friday, 31-Dec-99 23:59:59 GMT", NOW) == 0.0


def test_retry_after_naive_now_is_taken_as_utc() -> None:
    naive = NOW.replace(tzinfo=None)

    assert parse_retry_after("Sun, 10 Jan 2027 17:00:10 GMT", naive) == 10.0


@pytest.mark.parametrize("status", [200, 204, 301, 304])
def test_success_and_redirect_statuses_do_not_raise(status: int) -> None:
    raise_for_status(_response(status), "resy", NOW)


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_rate_limits_and_server_errors_are_transient(status: int) -> None:
    with pytest.raises(TransientAPIError) as caught:
        raise_for_status(_response(status), "resy", NOW)

    assert type(caught.value) is TransientAPIError
    assert caught.value.status_code == status
    assert caught.value.provider == "resy"
    assert caught.value.retry_after is None


def test_transient_error_carries_retry_after_in_either_form() -> None:
    seconds = _response(429, {"Retry-After": "30"})
    dated = _response(503, {"Retry-After": "Sun, 10 Jan 2027 17:00:45 GMT"})

    with pytest.raises(TransientAPIError) as first:
        raise_for_status(seconds, "resy", NOW)
    with pytest.raises(TransientAPIError) as second:
        raise_for_status(dated, "resy", NOW)

    assert first.value.retry_after == 30.0
    assert "retry after 30 s" in first.value.message
    assert second.value.retry_after == 45.0


def test_unreadable_retry_after_is_dropped_not_fatal() -> None:
    with pytest.raises(TransientAPIError) as caught:
        raise_for_status(_response(429, {"Retry-After": "later"}), "resy", NOW)

    assert caught.value.retry_after is None


@pytest.mark.parametrize("status", [401, 403, 419])
def test_refused_credentials_are_auth_errors(status: int) -> None:
    with pytest.raises(AuthError) as caught:
        raise_for_status(_response(status), "resy", NOW)

    assert caught.value.status_code == status
    assert caught.value.provider == "resy"


@pytest.mark.parametrize("status", [400, 402, 404, 409, 410, 412, 422])
def test_other_client_errors_are_permanent(status: int) -> None:
    with pytest.raises(PermanentAPIError) as caught:
        raise_for_status(_response(status), "resy", NOW)

    assert type(caught.value) is PermanentAPIError
    assert caught.value.status_code == status


def test_message_says_what_happened_and_keeps_the_upstream_message() -> None:
    response = _response(400, json={"message": "Unknown field."})

    with pytest.raises(PermanentAPIError) as caught:
        raise_for_status(response, "resy", NOW)

    assert caught.value.message == (
        "resy answered 400 Bad Request to GET /4/find: 'Unknown field.'"
    )


def test_google_style_envelope_message_is_kept() -> None:
    body = {"error": {"code": 403, "message": "Key refused", "status": "DENIED"}}

    with pytest.raises(AuthError) as caught:
        raise_for_status(_response(403, json=body), "places", NOW)

    assert "'Key refused'" in caught.value.message


@pytest.mark.parametrize("status", [400, 419, 429, 503])
def test_messages_never_show_keys_headers_or_query(status: int) -> None:
    with pytest.raises(Exception) as caught:
        raise_for_status(_response(status, {"Retry-After": "1"}), "resy", NOW)

    assert SECRET not in str(caught.value)
    assert "api_key" not in str(caught.value)


def _request() -> httpx.Request:
    return httpx.Request("GET", "https://upstream.invalid/4/find")


@pytest.mark.parametrize("kind", [httpx.ConnectTimeout, httpx.PoolTimeout])
def test_timeouts_before_sending_were_not_received(kind: type) -> None:
    error = translate_transport_error(kind("t", request=_request()), "resy")

    assert isinstance(error, UpstreamTimeoutError)
    assert error.maybe_received is False
    assert error.provider == "resy"


@pytest.mark.parametrize("kind", [httpx.ReadTimeout, httpx.WriteTimeout])
def test_timeouts_after_sending_may_have_been_received(kind: type) -> None:
    error = translate_transport_error(kind("t", request=_request()), "resy")

    assert isinstance(error, UpstreamTimeoutError)
    assert error.maybe_received is True


def test_refused_connection_is_transient_and_was_never_sent() -> None:
    error = translate_transport_error(httpx.ConnectError("refused"), "resy")

    assert type(error) is TransientAPIError
    assert "not sent" in error.message


@pytest.mark.parametrize(
    "exc",
    [httpx.RemoteProtocolError("gone"), httpx.ReadError("reset by peer")],
)
def test_dropped_connection_is_transient_and_may_have_been_received(
    exc: httpx.TransportError,
) -> None:
    error = translate_transport_error(exc, "resy")

    assert type(error) is TransientAPIError
    assert "may have been received" in error.message


def test_a_request_that_cannot_be_made_is_permanent() -> None:
    error = translate_transport_error(httpx.UnsupportedProtocol("ftp"), "resy")

    assert type(error) is PermanentAPIError
