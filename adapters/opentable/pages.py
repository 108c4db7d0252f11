"""Reading OpenTable's pages: bot walls first, then what the page says.

The selectors below are the page's contract; the sandbox serves the same
markup. A page that has neither the expected thing nor its explicit
"nothing here" marker has changed shape (`SchemaChangeError`).
"""

import logging
from datetime import datetime

from playwright.async_api import Locator, Page, Response

from adapters.http_errors import parse_retry_after
from adapters.opentable.runs import BrowserRun
from adapters.opentable.steps import PROVIDER, Steps, translated
from domain.errors import (
    CAPTCHAError,
    PermanentAPIError,
    SchemaChangeError,
    TransientAPIError,
    UpstreamTimeoutError,
)
from domain.ports import Clock

logger = logging.getLogger(__name__)

SLOTS_BOX = '[data-test="availability-slots"]'
SLOT_BUTTON = 'button[data-test="time-slot"][data-datetime]'
NO_AVAILABILITY = '[data-test="no-availability"]'
LOAD_ERROR = '[data-test="availability-error"]'
_SETTLED = f'{SLOTS_BOX}[aria-busy="false"], {SLOT_BUTTON}, {NO_AVAILABILITY}'
CAPTCHA = (
    'iframe[title*="challenge" i], iframe[src*="captcha" i], #px-captcha, '
    ".g-recaptcha, .h-captcha, [data-sitekey]"
)
_HEADLINE = (
    "() => [document.title, (document.querySelector('main, body')?.innerText ?? '')"
    ".trim().slice(0, 200)]"
)


class Flow:
    """One page driven through a run: every load checked, its status recorded."""

    def __init__(self, page: Page, steps: Steps, run: BrowserRun, clock: Clock) -> None:
        self.page = page
        self._steps = steps
        self._run = run
        self._clock = clock

    async def open(self, url: str, what: str) -> None:
        """Load `url`; raise for a wall, a CAPTCHA or an error page."""
        with translated(self._steps, f"load {what}"):
            response = await self.page.goto(url, timeout=self._steps.navigation_ms())
        await self._landed(response, what)

    async def follow(
        self, target: Locator, label: str, on: str, what: str, *, sends: bool = False
    ) -> None:
        """Click `target` (`label` on the page `on`); check the page it leads to.

        With `sends`, the click submits the run's write: from the click on,
        the steps count it as possibly received.
        """
        with translated(self._steps, f"lead to {what}"):
            if await target.count() == 0:
                raise markup_changed(on, label)
            navigation_ms = self._steps.navigation_ms()
            click_ms = self._steps.step_ms()
            async with self.page.expect_navigation(timeout=navigation_ms) as leads:
                self._steps.sent = self._steps.sent or sends
                await target.first.click(timeout=click_ms, no_wait_after=True)
            response = await leads.value
        await self._landed(response, what)

    async def _landed(self, response: Response | None, what: str) -> None:
        self._run.http_status = response.status if response is not None else None
        status, text = await check_landing(
            self.page, response, self._steps, self._clock, what
        )
        if status >= 400:
            raise refused(status, what, text)


async def check_landing(
    page: Page, response: Response | None, steps: Steps, clock: Clock, what: str
) -> tuple[int, str]:
    """Raise for a bot wall, a CAPTCHA or a failing server; else (status, text)."""
    status = response.status if response is not None else 200
    with translated(steps, f"show {what}"):
        title, text = await page.evaluate(_HEADLINE)
        challenged = await page.locator(CAPTCHA).count() > 0
    heading = " ".join(str(text).split())
    if status == 403 or "access denied" in f"{title} {heading[:40]}".lower():
        logger.warning("opentable.bot_wall", extra={"status": status, "page": what})
        raise CAPTCHAError(
            f"OpenTable's bot wall answered {status} 'Access Denied' instead of {what}",
            status,
            provider=PROVIDER,
        )
    if challenged:
        logger.warning("opentable.captcha", extra={"status": status, "page": what})
        raise CAPTCHAError(
            f"OpenTable showed a CAPTCHA challenge instead of {what}",
            status,
            provider=PROVIDER,
        )
    if status >= 500 and steps.write and steps.sent:
        # A server error after the form went in: it may have been acted on.
        raise UpstreamTimeoutError(
            f"OpenTable answered {status} to {what} after the form was sent; "
            "the request may have been received",
            provider=PROVIDER,
            maybe_received=True,
        )
    if status == 429 or status >= 500:
        headers = await response.all_headers() if response is not None else {}
        wait = parse_retry_after(headers.get("retry-after"), clock.now())
        raise TransientAPIError(
            f"OpenTable answered {status} to {what}: {heading[:120]!r}",
            status,
            provider=PROVIDER,
            retry_after=wait,
        )

    return status, heading


def refused(status: int, what: str, said: str) -> PermanentAPIError:
    return PermanentAPIError(
        f"OpenTable answered {status} to {what}: {said[:120]!r}",
        status,
        provider=PROVIDER,
    )


def markup_changed(page_name: str, missing: str, after: str = "") -> SchemaChangeError:
    """The error, logged, for a page lacking what the adapter reads from it."""
    logger.warning(
        "opentable.markup_changed", extra={"page": page_name, "missing": missing}
    )

    return SchemaChangeError(
        f"OpenTable's {page_name} lacks {missing}; its markup changed{after}",
        provider=PROVIDER,
    )


async def read_times(page: Page, steps: Steps) -> list[datetime]:
    """The wall times of the slot buttons; [] where the page says none are free."""
    with translated(steps, "show its times"):
        if await page.locator(SLOTS_BOX).count() == 0:
            raise markup_changed("restaurant page", f"the slot list ({SLOTS_BOX})")
        await page.locator(_SETTLED).first.wait_for(
            state="attached", timeout=steps.step_ms()
        )
        stamps = await page.locator(SLOT_BUTTON).evaluate_all(
            "nodes => nodes.map(n => n.getAttribute('data-datetime'))"
        )
        if not stamps and await page.locator(NO_AVAILABILITY).count() > 0:
            return []
        if not stamps and await page.locator(LOAD_ERROR).count() > 0:
            raise TransientAPIError(
                "OpenTable's page could not load its times", provider=PROVIDER
            )
    if not stamps:
        raise markup_changed(
            "restaurant page",
            f"both slot buttons ({SLOT_BUTTON}) and the no-availability marker "
            f"({NO_AVAILABILITY})",
        )

    return [_wall_time(stamp) for stamp in stamps]


def _wall_time(stamp: object) -> datetime:
    try:
        return datetime.strptime(str(stamp), "%Y-%m-%dT%H:%M")
    except ValueError:
        raise markup_changed(
            "restaurant page", f"a YYYY-MM-DDTHH:MM time on a slot, got {stamp!r}"
        ) from None
