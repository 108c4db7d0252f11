"""What every Resy call carries: the browser-like headers and a time budget."""

from adapters import deadline
from adapters.resy.settings import ResySettings
from domain.errors import AuthError
from domain.ports import Clock

PROVIDER = "resy"
SITE = "https://resy.com"


def resy_headers(settings: ResySettings, *, user: bool = False) -> dict[str, str]:
    """Key and browser headers; `user` adds the user token (AuthError without one)."""
    headers = {
        "Authorization": f'ResyAPI api_key="{settings.api_key}"',
        "User-Agent": settings.user_agent,
        "Origin": SITE,
        "Referer": SITE + "/",
        "X-Origin": SITE,
        "Accept": "application/json, text/plain, */*",
    }
    token = settings.auth_token
    if user and not token:
        raise AuthError(
            "booking on Resy needs a Resy user auth token, and none is configured",
            provider=PROVIDER,
        )
    if token:
        headers["X-Resy-Auth-Token"] = token
        headers["X-Resy-Universal-Auth"] = token

    return headers


def time_left(settings: ResySettings, clock: Clock) -> float:
    """The next request's timeout: the settings', cut short by the caller's deadline."""
    return deadline.time_left(settings.timeout, clock, PROVIDER)
