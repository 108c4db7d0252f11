"""The browser pool: one lazy Chromium, bounded fresh contexts, loopback, clean exit."""

import asyncio
import os
from datetime import date
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Error as PlaywrightError

from adapters.opentable.availability import OpenTableAvailability
from adapters.opentable.browser import BrowserPool
from adapters.opentable.launch import choose_executable
from adapters.opentable.network import RequestGuard
from adapters.opentable.settings import OpenTableSettings
from domain.errors import PermanentAPIError, TransientAPIError, UpstreamTimeoutError
from domain.models import AvailabilityQuery, RestaurantRef
from entrypoints.sandbox.server import RunningSandbox, start_sandbox
from tests.fakes import FakeClock, FakeLedger

pytestmark = pytest.mark.asyncio(loop_scope="module")

TAVERN = RestaurantRef(
    "Sandbox Tavern", "America/New_York", opentable_slug="sandbox-1001-new-york"
)
QUERY = AvailabilityQuery(TAVERN, date(2027, 1, 12), 2)
PAGE = "/r/sandbox-1001-new-york?covers=2&dateTime=2027-01-12T19:00"


@pytest.fixture(scope="module")
def clock() -> FakeClock:
    return FakeClock()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def sandbox(clock: FakeClock):
    running = await start_sandbox(clock=clock)
    yield running
    await running.close()


@pytest_asyncio.fixture(loop_scope="module")
async def pools(sandbox: RunningSandbox):
    made: list[BrowserPool] = []

    def make(**changes: object) -> BrowserPool:
        settings = OpenTableSettings(base_url=sandbox.base_url, **changes)
        made.append(BrowserPool(settings))
        return made[-1]

    yield make
    for pool in made:
        await pool.close()


def _processes_of(group: int, workdir: str) -> list[int]:
    """Scan /proc for the browser's group and for anything naming its directory."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rpartition(")")[2].split()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        running = stat[0] not in ("Z", "X")
        if running and (int(stat[2]) == group or workdir.encode() in command):
            found.append(int(entry.name))

    return found


async def test_one_browser_serves_every_call_in_a_fresh_context(pools, sandbox):
    pool = pools()
    for round_ in range(3):
        async with pool.page() as page:
            await page.goto(sandbox.base_url + PAGE)
            seen = await page.evaluate("() => document.cookie")
            await page.evaluate(f"() => {{ document.cookie = 'round={round_}' }}")
            assert seen == ""

    assert pool.launches == 1
    assert pool.open_contexts == 0


async def test_no_browser_starts_before_the_first_call(pools) -> None:
    pool = pools()

    assert pool.launches == 0
    assert pool.browser_processes() is None


async def test_at_most_max_concurrency_contexts_are_open_at_once(pools) -> None:
    pool = pools(max_concurrency=2)
    inside: list[int] = []
    both_in = asyncio.Event()
    release = asyncio.Event()

    async def hold(n: int) -> None:
        async with pool.page():
            inside.append(n)
            if len(inside) == 2:
                both_in.set()
            await release.wait()

    holders = [asyncio.create_task(hold(n)) for n in range(3)]
    await both_in.wait()
    for _ in range(20):
        await asyncio.sleep(0)  # let the third caller run as far as it can
    third_waited = len(inside) == 2
    release.set()
    await asyncio.gather(*holders)

    assert third_waited
    assert sorted(inside) == [0, 1, 2]
    assert pool.peak_contexts == 2


async def test_concurrent_lookups_never_exceed_the_bound(pools, sandbox, clock):
    pool = pools(max_concurrency=2)
    settings = OpenTableSettings(base_url=sandbox.base_url)
    ledger = FakeLedger()
    adapter = OpenTableAvailability(pool, settings, clock, ledger)

    answers = await asyncio.gather(*(adapter.find_slots(QUERY) for _ in range(5)))

    assert all(answers)
    assert 1 <= pool.peak_contexts <= 2
    assert pool.launches == 1
    assert len(ledger.rows) == 5


async def test_a_call_that_cannot_get_a_slot_in_time_asks_nothing(pools) -> None:
    pool = pools(max_concurrency=1)
    async with pool.page():
        with pytest.raises(UpstreamTimeoutError) as caught:
            async with pool.page(wait=0):
                pass

    assert caught.value.maybe_received is False


async def test_close_leaves_no_chromium_process_behind(pools, sandbox) -> None:
    pool = pools()
    async with pool.page() as page:
        await page.goto(sandbox.base_url + PAGE)
    browser = pool.browser_processes()
    assert browser is not None
    running = _processes_of(browser.group, browser.workdir)
    assert browser.group in running and len(running) >= 2

    await pool.close()

    assert _processes_of(browser.group, browser.workdir) == []
    assert browser.live() == []
    assert not await asyncio.to_thread(os.path.exists, browser.workdir)


async def test_a_closed_pool_refuses_calls_and_closes_twice_quietly(pools) -> None:
    pool = pools()
    await pool.close()
    await pool.close()

    with pytest.raises(TransientAPIError, match="shut down"):
        async with pool.page():
            pass
    assert pool.launches == 0


async def test_the_browser_runs_with_quiet_switches_and_its_own_xdg_dirs(pools):
    pool = pools()
    async with pool.page():
        browser = pool.browser_processes()
    assert browser is not None
    leader = Path("/proc") / str(browser.group)
    arguments = leader.joinpath("cmdline").read_bytes().decode().split("\0")
    environ = leader.joinpath("environ").read_bytes().decode().split("\0")

    for switch in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ):
        assert switch in arguments
    assert any(a.startswith("--host-resolver-rules=MAP * ~NOTFOUND") for a in arguments)
    assert any(a.startswith("--user-data-dir=") for a in arguments)
    assert f"XDG_CONFIG_HOME={browser.workdir}/config" in environ
    assert f"XDG_CACHE_HOME={browser.workdir}/xdg-cache" in environ


async def test_requests_the_guard_refuses_never_leave_the_browser(pools, sandbox):
    pool = pools()
    # Same loopback host, other scheme: refused, and harmless were it not.
    elsewhere = sandbox.base_url.replace("http://", "https://") + PAGE
    fetch = "url => fetch(url, {mode: 'no-cors'}).then(() => 'sent', () => 'failed')"
    async with pool.page() as page:
        await page.goto(sandbox.base_url + PAGE)
        fetched = await page.evaluate(fetch, elsewhere)
        with pytest.raises(PlaywrightError, match="ERR_BLOCKED_BY_CLIENT"):
            await page.goto(elsewhere)

    assert fetched == "failed"
    assert pool.blocked_requests == 2


@pytest.mark.parametrize(
    ("base", "url", "allowed"),
    [
        ("http://127.0.0.1:50080", "http://127.0.0.1:50080/r/x", True),
        ("http://127.0.0.1:50080", "http://localhost:9/x", True),
        ("http://127.0.0.1:50080", "http://[::1]:9/x", True),
        ("http://127.0.0.1:50080", "ws://127.0.0.1:50080/socket", True),
        ("http://127.0.0.1:50080", "data:text/plain,hi", True),
        ("http://127.0.0.1:50080", "https://127.0.0.1:50080/r/x", False),
        ("http://127.0.0.1:50080", "https://www.opentable.com/r/x", False),
        ("http://127.0.0.1:50080", "http://169.254.169.254/latest", False),
        ("http://127.0.0.1:50080", "http://10.0.0.8/", False),
        ("http://127.0.0.1:50080", "http://127.0.0.1.example.com/", False),
        ("https://www.opentable.com", "https://www.opentable.com/r/x", True),
        ("https://www.opentable.com", "http://127.0.0.1:6379/", False),
        ("https://www.opentable.com", "https://cdn.otstatic.com/a.js", False),
    ],
)
async def test_the_guard_allows_the_base_host_and_loopback_beside_loopback(
    base: str, url: str, allowed: bool
) -> None:
    assert RequestGuard(base).allows(url) is allowed


async def test_the_resolver_rules_keep_only_our_own_names() -> None:
    assert RequestGuard("http://127.0.0.1:1").resolver_rules() == (
        "MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"
    )
    assert RequestGuard("https://www.opentable.com").resolver_rules() == (
        "MAP * ~NOTFOUND, EXCLUDE www.opentable.com"
    )


async def test_the_executable_is_the_configured_then_bundled_then_system_one(
    tmp_path: Path,
) -> None:
    bundled = tmp_path / "chrome"
    bundled.write_text("")
    mine = tmp_path / "my-chromium"
    mine.write_text("#!/bin/sh\n")
    mine.chmod(0o755)

    assert choose_executable(str(mine), str(bundled)) == str(mine)
    assert choose_executable("", str(bundled)) is None
    assert choose_executable("", str(tmp_path / "absent")) == "/usr/bin/chromium"
    with pytest.raises(PermanentAPIError, match="not an executable"):
        choose_executable(str(bundled), "")


async def test_a_browser_that_cannot_start_is_an_error_and_is_retried(
    pools, tmp_path: Path
) -> None:
    broken = tmp_path / "chromium"
    broken.write_text("#!/bin/sh\nexit 3\n")
    broken.chmod(0o755)
    pool = pools(executable_path=str(broken), launch_timeout=10.0)

    for _ in range(2):
        with pytest.raises(TransientAPIError, match="did not start"):
            async with pool.page():
                pass

    assert pool.launches == 0
