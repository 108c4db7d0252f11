"""Booking and cancelling on OpenTable by driving its own pages and forms."""

from dataclasses import dataclass
from datetime import datetime

from playwright.async_api import Locator, Page

from adapters.opentable import pages
from adapters.opentable.availability import restaurant_url
from adapters.opentable.browser import BrowserPool
from adapters.opentable.runs import BrowserRun
from adapters.opentable.settings import OpenTableSettings
from adapters.opentable.steps import PROVIDER, Steps, translated
from adapters.opentable.tokens import SlotToken, parse_token
from domain.errors import FieldViolation, InvalidRequestError
from domain.ports import Clock, CostLedger

_BOOKING_FORM = 'form[data-test="booking-form"]'
_SUBMIT = 'button[type="submit"]'
_CONFIRMATION = '[data-test="confirmation-number"]'
_CANCEL_FORM = 'form[data-test="cancel-form"]'
_CANCELLED = '[data-test="cancelled"]'
_SLOT_GONE = 410


@dataclass(frozen=True, slots=True)
class OpenTableGuest:
    first_name: str
    last_name: str
    phone: str
    email: str

    def fields(self) -> dict[str, str]:
        """The booking form's input names and what goes in each."""
        return {
            "firstName": self.first_name,
            "lastName": self.last_name,
            "phoneNumber": self.phone,
            "email": self.email,
        }


@dataclass(frozen=True, slots=True)
class OpenTableConfirmation:
    """A booked table; `local_start` is the restaurant's wall time, without a zone."""

    confirmation_id: str
    slug: str
    local_start: datetime
    party_size: int


class OpenTableBooking:
    """Books a slot from `OpenTableAvailability` through the page's own forms."""

    provider = PROVIDER

    def __init__(
        self,
        pool: BrowserPool,
        settings: OpenTableSettings,
        clock: Clock,
        ledger: CostLedger,
    ) -> None:
        self._pool = pool
        self._settings = settings
        self._clock = clock
        self._ledger = ledger

    async def book(
        self, token: str, party_size: int, guest: OpenTableGuest
    ) -> OpenTableConfirmation:
        """Book the slot; a failure after the form was sent has `maybe_received`."""
        slot = parse_token(token)
        _check(slot, party_size, guest)
        url = restaurant_url(self._settings.base_url, slot.slug, slot.at, slot.covers)
        steps = Steps(self._settings, self._clock, write=True)
        with BrowserRun(self._ledger, self._clock, "book") as run:
            async with self._pool.page(steps.slot_wait()) as page:
                flow = pages.Flow(page, steps, run, self._clock)
                await flow.open(url, "the restaurant page")
                if slot.at not in await pages.read_times(page, steps):
                    said = f"{slot.wall_time} is no longer offered"
                    raise pages.refused(_SLOT_GONE, "the restaurant page", said)
                button = page.locator(
                    f'{pages.SLOT_BUTTON}[data-datetime="{slot.wall_time}"]'
                )
                await flow.follow(
                    button, "the slot's button", "restaurant page", "the booking form"
                )
                form = await _filled(page, guest, steps)
                await flow.follow(
                    form.locator(_SUBMIT),
                    "a submit button",
                    "booking form",
                    "the confirmation page",
                    sends=True,
                )
                number = await _confirmation_number(page, steps)

        return OpenTableConfirmation(number, slot.slug, slot.at, party_size)

    async def cancel(self, confirmation_id: str) -> None:
        """Cancel through the reservation's page; one already cancelled is left be."""
        if not confirmation_id.isdigit():
            problem = "must be OpenTable's numeric confirmation number"
            raise InvalidRequestError([FieldViolation("confirmation_id", problem)])
        base = self._settings.base_url.rstrip("/")
        url = f"{base}/booking/view?confirmationNumber={confirmation_id}"
        steps = Steps(self._settings, self._clock, write=True)
        with BrowserRun(self._ledger, self._clock, "cancel") as run:
            async with self._pool.page(steps.slot_wait()) as page:
                flow = pages.Flow(page, steps, run, self._clock)
                await flow.open(url, "the reservation page")
                if await _present(page, _CANCELLED, steps):
                    return
                form = page.locator(_CANCEL_FORM)
                await flow.follow(
                    form.locator(_SUBMIT),
                    f"the cancel form ({_CANCEL_FORM})",
                    "reservation page",
                    "the cancelled reservation",
                    sends=True,
                )
                if not await _present(page, _CANCELLED, steps):
                    raise pages.markup_changed(
                        "reservation page",
                        f"the cancelled marker ({_CANCELLED})",
                        "; the reservation may have been cancelled",
                    )


def _check(slot: SlotToken, party_size: int, guest: OpenTableGuest) -> None:
    """Refuse, before any page is opened, what OpenTable's form would refuse."""
    violations = []
    if party_size != slot.covers:
        problem = f"must be the slot's party size {slot.covers}, got {party_size}"
        violations.append(FieldViolation("party_size", problem))
    for name, value in (
        ("guest.first_name", guest.first_name),
        ("guest.last_name", guest.last_name),
        ("guest.phone", guest.phone),
        ("guest.email", guest.email),
    ):
        if not value.strip():
            violations.append(FieldViolation(name, "is required by OpenTable"))
    if guest.email.strip() and "@" not in guest.email:
        violations.append(FieldViolation("guest.email", "must be an email address"))
    if violations:
        raise InvalidRequestError(violations)


async def _filled(page: Page, guest: OpenTableGuest, steps: Steps) -> Locator:
    form = page.locator(_BOOKING_FORM)
    if not await _present(page, _BOOKING_FORM, steps):
        raise pages.markup_changed("booking page", f"the form ({_BOOKING_FORM})")
    for name, value in guest.fields().items():
        field = form.locator(f'input[name="{name}"]')
        with translated(steps, "take the guest's details"):
            if await field.count() == 0:
                raise pages.markup_changed("booking form", f'the input "{name}"')
            await field.fill(value, timeout=steps.step_ms())

    return form


async def _confirmation_number(page: Page, steps: Steps) -> str:
    with translated(steps, "show the confirmation number"):
        shown = page.locator(_CONFIRMATION)
        text = await shown.first.text_content() if await shown.count() else ""
    number = (text or "").strip()
    if not number:
        raise pages.markup_changed(
            "confirmation page",
            f"the confirmation number ({_CONFIRMATION})",
            "; the reservation may have been made",
        )

    return number


async def _present(page: Page, selector: str, steps: Steps) -> bool:
    with translated(steps, "show the page"):
        return await page.locator(selector).count() > 0
