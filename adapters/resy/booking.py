"""Resy's /3/details and /3/book behind the booking port; reading back; cancel.

Resy books on the account whose user token is configured, in that account
holder's name: the guest's name, phone and email are not sent to Resy.
"""

import asyncio
import enum
import json
import logging

import httpx

from adapters.http_errors import raise_for_status, translate_transport_error
from adapters.resy.booking_shapes import (
    book_token,
    booked_rows,
    confirmation,
    decode,
    default_payment_id,
    slot_venue_id,
)
from adapters.resy.settings import ResySettings
from adapters.resy.wire import PROVIDER, resy_headers, time_left
from domain.errors import (
    APIError,
    AuthError,
    PermanentAPIError,
    SchemaChangeError,
    SlotGoneError,
    UpstreamTimeoutError,
)
from domain.models import BookingConfirmation, Guest, Reservation, RestaurantRef, Slot
from domain.ports import Clock

logger = logging.getLogger(__name__)

SLOT_GONE_STATUSES = frozenset({404, 410, 412})
_PAGE = 100
_MAX_PAGES = 5
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_NEVER_MADE = (httpx.UnsupportedProtocol, httpx.LocalProtocolError)


class _Stage(enum.Enum):
    READ = "read"  # changes nothing upstream
    PREPARE = "prepare"  # a step before the booking is sent: nothing is booked yet
    WRITE = "write"  # the booking or the cancellation itself


class ResyBooking:
    """Books, finds and cancels reservations on one Resy account."""

    provider = PROVIDER

    def __init__(
        self, http: httpx.AsyncClient, settings: ResySettings, clock: Clock
    ) -> None:
        self._http = http
        self._settings = settings
        self._clock = clock
        self._payment_id: int | None = None

    def serves(self, restaurant: RestaurantRef) -> bool:
        return bool(restaurant.resy_venue_id)

    async def book(
        self, slot: Slot, party_size: int, guest: Guest
    ) -> BookingConfirmation:
        venue_id = slot_venue_id(slot)
        payment = json.dumps(
            {"id": await self._payment_method()}, separators=(",", ":")
        )
        form = {
            "book_token": await self._book_token(slot, party_size),
            "struct_payment_method": payment,
            "source_id": "resy.com-venue-details",
        }
        response = await self._call("POST", "/3/book", _Stage.WRITE, data=form)
        self._refuse_booking(response, venue_id)
        booked = confirmation(_object_or_empty(response))
        if booked is None:
            booked = await self._read_back(slot, party_size, guest)
        logger.info(
            "resy.booked",
            extra={
                "venue_id": venue_id,
                "day": slot.start.date().isoformat(),
                "party_size": party_size,
                "confirmation_id": booked.confirmation_id,
            },
        )

        return booked

    async def find_booked(
        self, slot: Slot, party_size: int, guest: Guest
    ) -> BookingConfirmation | None:
        """The account's upcoming reservation matching venue, day, time and size."""
        venue_id = slot_venue_id(slot)
        day, at = slot.start.date().isoformat(), slot.start.strftime("%H:%M:%S")
        wanted = (venue_id, day, at, party_size)
        for page in range(_MAX_PAGES):
            params = {"type": "upcoming", "limit": _PAGE, "offset": page * _PAGE}
            response = await self._checked(
                "GET", "/3/user/reservations", _Stage.READ, params=params
            )
            rows, held = booked_rows(decode(response, "/3/user/reservations"))
            for row in rows:
                if (row.venue_id, row.day, row.time_slot, row.seats) == wanted:
                    logger.info("resy.booking_found", extra={"venue_id": venue_id})
                    return row.confirmation
            if held < _PAGE:
                break
        logger.info("resy.booking_not_found", extra={"venue_id": venue_id})

        return None

    async def cancel(self, reservation: Reservation) -> None:
        if not reservation.platform_token:
            raise PermanentAPIError(
                "this reservation has no Resy token to cancel it with; "
                "cancel it on resy.com",
                provider=PROVIDER,
            )
        form = {"resy_token": reservation.platform_token}
        response = await self._call("POST", "/3/cancel", _Stage.WRITE, data=form)
        if response.status_code == 419:
            raise AuthError(
                "Resy refused the cancellation (419): it does not know the "
                "reservation's token, or it refused the credentials",
                419,
                provider=PROVIDER,
            )
        raise_for_status(response, PROVIDER, self._clock.now())
        logger.info(
            "resy.cancelled", extra={"confirmation_id": reservation.confirmation_id}
        )

    async def _payment_method(self) -> int:
        """The account's default card id, asked once per adapter."""
        if self._payment_id is None:
            response = await self._checked("GET", "/2/user", _Stage.PREPARE)
            found = default_payment_id(decode(response, "/2/user"))
            if found is None:
                raise self._no_card()
            self._payment_id = found

        return self._payment_id

    async def _book_token(self, slot: Slot, party_size: int) -> str:
        body = {
            "config_id": slot.token,
            "day": slot.start.date().isoformat(),
            "party_size": party_size,
        }
        response = await self._checked("POST", "/3/details", _Stage.PREPARE, json=body)

        return book_token(decode(response, "/3/details"))

    def _refuse_booking(self, response: httpx.Response, venue_id: str) -> None:
        status = response.status_code
        if status in SLOT_GONE_STATUSES:
            logger.info(
                "resy.slot_gone", extra={"venue_id": venue_id, "status_code": status}
            )
            raise SlotGoneError(
                f"Resy answered {status} to /3/book: the slot is gone; no retry",
                status,
                provider=PROVIDER,
            )
        if status == 402:
            self._payment_id = None  # the card on file may have changed
            raise self._no_card()
        raise_for_status(response, PROVIDER, self._clock.now())

    def _no_card(self) -> PermanentAPIError:
        logger.warning("resy.no_card", extra={"provider": PROVIDER})

        return PermanentAPIError(
            "Resy needs a payment method to book: add a card to your Resy "
            "account, then try again",
            402,
            provider=PROVIDER,
        )

    async def _read_back(
        self, slot: Slot, party_size: int, guest: Guest
    ) -> BookingConfirmation:
        """Resy accepted the booking but named no reservation: look for it."""
        try:
            found = await self.find_booked(slot, party_size, guest)
        except APIError as exc:
            raise UpstreamTimeoutError(
                "Resy accepted /3/book without naming the reservation, and reading "
                "the reservations back failed; it may have been booked",
                provider=PROVIDER,
                maybe_received=True,
            ) from exc
        if found is None:
            raise SchemaChangeError(
                "Resy accepted /3/book without naming a reservation, and none "
                "for this slot is on the account",
                provider=PROVIDER,
            )

        return found

    async def _checked(
        self, method: str, path: str, stage: _Stage, **kwargs: object
    ) -> httpx.Response:
        response = await self._call(method, path, stage, **kwargs)
        raise_for_status(response, PROVIDER, self._clock.now())

        return response

    async def _call(
        self, method: str, path: str, stage: _Stage, **kwargs: object
    ) -> httpx.Response:
        headers = resy_headers(self._settings, user=True)
        seconds = time_left(self._settings, self._clock)
        url = self._settings.base_url.rstrip("/") + path
        try:
            # httpx bounds each phase; this bounds the whole exchange.
            async with asyncio.timeout(seconds):
                return await self._http.request(
                    method, url, headers=headers, timeout=seconds, **kwargs
                )
        except (httpx.TransportError, TimeoutError) as exc:
            raise _unanswered(exc, path, stage) from exc


def _object_or_empty(response: httpx.Response) -> dict[str, object]:
    """A 2xx answer's JSON object; an unreadable one reads as naming nothing."""
    try:
        return decode(response, "/3/book")
    except SchemaChangeError:
        return {}


def _unanswered(exc: Exception, path: str, stage: _Stage) -> APIError:
    """The error for a call that got no answer, by what it may have done."""
    kind = type(exc).__name__
    if isinstance(exc, httpx.TransportError) and (
        stage is _Stage.READ or isinstance(exc, _NEVER_MADE)
    ):
        return translate_transport_error(exc, PROVIDER)
    if stage is _Stage.READ:
        message = f"Resy did not answer {path} in time ({kind})"
        return UpstreamTimeoutError(message, provider=PROVIDER)
    if stage is _Stage.PREPARE:
        message = f"Resy gave no answer to {path} ({kind}); nothing was booked"
        return UpstreamTimeoutError(message, provider=PROVIDER, maybe_received=False)
    if isinstance(exc, _NOT_SENT):
        message = f"could not reach Resy for {path} ({kind}); it was not sent"
        return UpstreamTimeoutError(message, provider=PROVIDER, maybe_received=False)

    return UpstreamTimeoutError(
        f"Resy gave no answer to {path} after it was sent ({kind}); it may have "
        "been done: read it back before sending it again",
        provider=PROVIDER,
        maybe_received=True,
    )
