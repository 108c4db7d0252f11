"""One Chromium, launched on first use and shared; a fresh context for every call.

Which Chromium and with what switches: `adapters.opentable.launch`. Each
context routes every request through the `RequestGuard`; at most
`max_concurrency` contexts are open at once.
"""

import asyncio
import logging
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from playwright.async_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    async_playwright,
)
from playwright.async_api import Error as PlaywrightError

from adapters.opentable.launch import (
    arguments,
    choose_executable,
    environment,
    leader_mark,
)
from adapters.opentable.network import RequestGuard
from adapters.opentable.processes import BrowserProcesses, find_browser
from adapters.opentable.settings import OpenTableSettings
from adapters.opentable.steps import PROVIDER
from domain.errors import TransientAPIError, UpstreamTimeoutError

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Running:
    playwright: Playwright
    browser: Browser
    workdir: str
    processes: BrowserProcesses | None


class BrowserPool:
    """Bounded, lazily launched contexts; `close()` leaves no Chromium behind."""

    def __init__(self, settings: OpenTableSettings) -> None:
        self._settings = settings
        self._guard = RequestGuard(settings.base_url)
        self._slots = asyncio.Semaphore(settings.max_concurrency)
        self._launch: asyncio.Task[_Running] | None = None
        self._contexts: set[BrowserContext] = set()
        self._closed = False
        self._last: BrowserProcesses | None = None
        self.launches = 0
        self.peak_contexts = 0

    @property
    def open_contexts(self) -> int:
        return len(self._contexts)

    @property
    def blocked_requests(self) -> int:
        return self._guard.blocked

    def browser_processes(self) -> BrowserProcesses | None:
        """The processes of the browser launched last, running or not (Linux only)."""
        return self._last

    @asynccontextmanager
    async def page(self, wait: float | None = None) -> AsyncIterator[Page]:
        """A page in a context of its own; waits at most `wait` s for a free slot."""
        await self._acquire(wait)
        context: BrowserContext | None = None
        try:
            context = await self._open_context()
            yield await self._first_page(context)
        finally:
            if context is not None:
                self._contexts.discard(context)
                await _quietly(context.close())
            self._slots.release()

    async def close(self) -> None:
        """Close every context, the browser and Playwright; then reap the group."""
        self._closed = True
        task, self._launch = self._launch, None
        if task is None:
            return
        try:
            running = await task
        except Exception:
            return
        await self._shut_down(running)
        logger.info("opentable.browser_closed", extra={"workdir": running.workdir})

    async def _acquire(self, wait: float | None) -> None:
        try:
            async with asyncio.timeout(wait):
                await self._slots.acquire()
        except TimeoutError as exc:
            raise UpstreamTimeoutError(
                f"every one of the {self._settings.max_concurrency} browser slots "
                f"stayed busy for {wait:.3g} s; OpenTable was not asked",
                provider=PROVIDER,
                maybe_received=False,
            ) from exc

    async def _open_context(self) -> BrowserContext:
        running = await self._running()
        try:
            context = await running.browser.new_context(service_workers="block")
        except PlaywrightError as exc:
            raise _unavailable("could not open a browser context", exc) from exc
        self._contexts.add(context)
        self.peak_contexts = max(self.peak_contexts, len(self._contexts))

        return context

    async def _first_page(self, context: BrowserContext) -> Page:
        settings = self._settings
        context.set_default_timeout(settings.step_timeout * 1000)
        context.set_default_navigation_timeout(settings.navigation_timeout * 1000)
        try:
            await context.route("**/*", self._guard.on_request)
            await context.route_web_socket("**/*", self._guard.on_websocket)
            return await context.new_page()
        except PlaywrightError as exc:
            raise _unavailable("could not open a page", exc) from exc

    async def _running(self) -> _Running:
        """The browser, launched if need be; one that crashed is replaced once."""
        for _ in range(2):
            task, running = await self._launched()
            if running.browser.is_connected():
                return running
            logger.warning("opentable.browser_lost", extra={"workdir": running.workdir})
            if self._launch is task:
                self._launch = None
                await self._shut_down(running)

        raise TransientAPIError("the browser keeps disconnecting", provider=PROVIDER)

    async def _launched(self) -> tuple[asyncio.Task[_Running], _Running]:
        if self._closed:
            raise TransientAPIError("the browser is shut down", provider=PROVIDER)
        if self._launch is None:
            self._launch = asyncio.get_running_loop().create_task(self._start())
        task = self._launch
        try:
            # Shielded: a caller that gives up must not abort the shared launch.
            return task, await asyncio.shield(task)
        except Exception:
            if self._launch is task:
                self._launch = None  # the next call tries again
            raise

    async def _start(self) -> _Running:
        started = time.monotonic()
        workdir = tempfile.mkdtemp(prefix="resgw-chromium-")
        playwright = await async_playwright().start()
        try:
            program = choose_executable(
                self._settings.executable_path, playwright.chromium.executable_path
            )
            browser = await playwright.chromium.launch(
                executable_path=program,
                headless=self._settings.headless,
                args=arguments(workdir, self._guard),
                env=environment(workdir),
                timeout=self._settings.launch_timeout * 1000,
            )
        except BaseException as exc:
            await _quietly(playwright.stop())
            shutil.rmtree(workdir, ignore_errors=True)
            if isinstance(exc, PlaywrightError):
                raise _unavailable("Chromium did not start", exc) from exc
            raise
        self.launches += 1
        found = find_browser(leader_mark(workdir), workdir)
        self._last = found
        logger.info(
            "opentable.browser_launched",
            extra={
                "executable": program or "playwright's own",
                "version": browser.version,
                "group": found.group if found else None,
                "seconds": round(time.monotonic() - started, 3),
            },
        )

        return _Running(playwright, browser, workdir, found)

    async def _shut_down(self, running: _Running) -> None:
        for context in list(self._contexts):
            await _quietly(context.close())
        await _quietly(running.browser.close())
        await _quietly(running.playwright.stop())
        if running.processes is not None:
            await running.processes.reap()
        shutil.rmtree(running.workdir, ignore_errors=True)


def _unavailable(what: str, exc: PlaywrightError) -> TransientAPIError:
    said = str(exc.message).strip().splitlines()[0][:200] if exc.message else ""

    return TransientAPIError(f"the browser {what}: {said}", provider=PROVIDER)


async def _quietly(closing: Awaitable[object]) -> None:
    """Await a close; a browser that is already gone has nothing left to close."""
    try:
        await closing
    except Exception as exc:
        logger.debug("opentable.close_failed", extra={"error": type(exc).__name__})
