"""Where Google Calendar and its token endpoint are, and the OAuth client to use."""

from dataclasses import dataclass, field

EVENTS_SCOPE = "https://www.googleapis.com/auth/calendar.events"


@dataclass(frozen=True, slots=True)
class GoogleCalendarSettings:
    """Secrets are left out of repr so that logging a settings object is safe.

    There are no default URLs: the composition root chooses between Google
    (only when credentials are configured) and the local sandbox.
    """

    base_url: str
    token_url: str
    client_id: str
    client_secret: str = field(repr=False)
    refresh_token: str = field(repr=False)
    calendar_id: str = "primary"
    timeout: float = 10.0
