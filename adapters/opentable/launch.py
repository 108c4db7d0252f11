"""Which Chromium to launch, and with which switches and environment.

The executable: `settings.executable_path` when set; else Playwright's own
build when `playwright install chromium` has put it in place; else the
system's: /usr/bin/chromium, /usr/bin/chromium-browser, or either name on
PATH. Playwright gives every launch a new, empty profile directory;
XDG_CONFIG_HOME and XDG_CACHE_HOME point into the pool's temporary
directory, so the browser writes nothing into $HOME.
"""

import os
import shutil

from adapters.opentable.network import RequestGuard
from adapters.opentable.steps import PROVIDER
from domain.errors import PermanentAPIError

_SYSTEM_BROWSERS = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
# Without the networking switches Chromium phones home at every start.
_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def choose_executable(configured: str, bundled: str) -> str | None:
    """The Chromium to launch; None means Playwright's own build."""
    if configured:
        if not os.access(configured, os.X_OK):
            raise PermanentAPIError(
                f"the configured Chromium {configured!r} is not an executable file",
                provider=PROVIDER,
            )
        return configured
    if bundled and os.path.exists(bundled):
        return None
    found = [
        *_SYSTEM_BROWSERS,
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ]
    for candidate in found:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    tried = ", ".join([bundled, *_SYSTEM_BROWSERS, "chromium on PATH"])

    raise PermanentAPIError(
        f"no Chromium to drive OpenTable with; looked for {tried}", provider=PROVIDER
    )


def leader_mark(workdir: str) -> str:
    """The switch that tells the browser's main process from every other process."""
    return f"--disk-cache-dir={os.path.join(workdir, 'cache')}"


def arguments(workdir: str, guard: RequestGuard) -> list[str]:
    return [
        *_FLAGS,
        leader_mark(workdir),
        f"--host-resolver-rules={guard.resolver_rules()}",
    ]


def environment(workdir: str) -> dict[str, str | float | bool]:
    """The browser's environment: ours, with its XDG directories moved aside."""
    return {
        **os.environ,
        "XDG_CONFIG_HOME": os.path.join(workdir, "config"),
        "XDG_CACHE_HOME": os.path.join(workdir, "xdg-cache"),
    }
