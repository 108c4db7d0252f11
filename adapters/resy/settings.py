"""What the Resy adapters need to know: where Resy is and which key to send."""

from dataclasses import dataclass, field

# A current desktop browser's; Resy answers 500 to a client without one.
BROWSER_USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)


@dataclass(frozen=True, slots=True)
class ResySettings:
    """Secrets are left out of repr so that logging a settings object is safe.

    There is deliberately no default base URL: the composition root chooses
    between the real host and the sandbox.
    """

    base_url: str
    api_key: str = field(repr=False)
    auth_token: str | None = field(default=None, repr=False)
    timeout: float = 10.0
    user_agent: str = BROWSER_USER_AGENT
