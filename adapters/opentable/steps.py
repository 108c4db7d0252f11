"""A timeout for every step of a browser run; Playwright's failures as domain errors."""

import re
from collections.abc import Iterator
from contextlib import contextmanager

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeoutError

from adapters.opentable.settings import OpenTableSettings
from domain import context
from domain.errors import TransientAPIError, UpstreamTimeoutError
from domain.ports import Clock

PROVIDER = "opentable"
_URL = re.compile(r" at \S+://\S+")


class Steps:
    """Timeouts for one run: each step's own, cut short by the caller's deadline.

    `sent` turns true once the request that matters may have reached
    OpenTable. For a `write` (a booking, a cancellation) every failure after
    that is ambiguous: it surfaces as `UpstreamTimeoutError(maybe_received=True)`,
    the domain's one error that says "do not re-send this blind".
    """

    def __init__(
        self, settings: OpenTableSettings, clock: Clock, *, write: bool
    ) -> None:
        self._settings = settings
        self._clock = clock
        self.write = write
        self.sent = False

    def step_ms(self) -> float:
        return self._ms(self._settings.step_timeout)

    def navigation_ms(self) -> float:
        return self._ms(self._settings.navigation_timeout)

    def slot_wait(self) -> float | None:
        """How long a call may wait for a free browser slot: until its deadline."""
        left = self._left()
        if left is not None and left <= 0:
            self._ms(0.0)

        return left

    def _left(self) -> float | None:
        deadline = context.deadline.get()

        return None if deadline is None else deadline - self._clock.monotonic()

    def _ms(self, seconds: float) -> float:
        left = self._left()
        if left is not None and left <= 0:
            raise UpstreamTimeoutError(
                "no time was left before the caller's deadline",
                provider=PROVIDER,
                maybe_received=self.sent,
            )

        return 1000.0 * (seconds if left is None else min(seconds, left))


@contextmanager
def translated(steps: Steps, doing: str) -> Iterator[None]:
    """Playwright's failures while `doing` something, as domain errors."""
    try:
        yield
    except PlaywrightTimeoutError as exc:
        raise UpstreamTimeoutError(
            f"OpenTable's page did not {doing} before the timeout" + _ambiguity(steps),
            provider=PROVIDER,
            maybe_received=steps.sent,
        ) from exc
    except PlaywrightError as exc:
        what = f"the browser failed to {doing}: {_first_line(exc)}" + _ambiguity(steps)
        if steps.write and steps.sent:
            raise UpstreamTimeoutError(
                what, provider=PROVIDER, maybe_received=True
            ) from exc
        raise TransientAPIError(what, provider=PROVIDER) from exc


def _first_line(exc: PlaywrightError) -> str:
    """Playwright's reason, without the URL (its query can carry tokens)."""
    lines = (exc.message or "").strip().splitlines()

    return _URL.sub("", lines[0])[:160] if lines else type(exc).__name__


def _ambiguity(steps: Steps) -> str:
    return "; the request may have been received" if steps.sent else ""
