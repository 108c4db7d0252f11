"""What the OpenTable browser adapters need to know: where, which browser, how long."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class OpenTableSettings:
    """Timeouts are seconds; the caller's deadline can cut each one short.

    There is deliberately no default base URL: the composition root chooses
    between the real site and the sandbox. `executable_path` empty means:
    Playwright's own Chromium when it is installed, else the system's
    (see `adapters.opentable.browser.choose_executable`).
    """

    base_url: str
    executable_path: str = ""
    headless: bool = True
    max_concurrency: int = 2
    step_timeout: float = 10.0
    navigation_timeout: float = 20.0
    launch_timeout: float = 30.0
