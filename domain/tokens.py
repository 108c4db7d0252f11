"""What a slot token says about its slot: platform, venue, local day and time, size.

Tokens are opaque to callers but readable to us: Resy's
`rgs://resy/<venue>/<template>/<service>/<day>/<day>/<HH:MM:SS>/<size>/<type>`
and ours for OpenTable, `ot://<slug>/<YYYY-MM-DDTHH:MM>/<covers>`.
"""

import re
from dataclasses import dataclass
from datetime import date, time

from domain.models import Platform

_RESY = re.compile(
    r"rgs://resy/(?P<venue>\d+)/[^/]+/[^/]+/(?P<day>\d{4}-\d{2}-\d{2})/"
    r"\d{4}-\d{2}-\d{2}/(?P<time>\d{2}:\d{2}:\d{2})/(?P<size>\d+)/[^/]+"
)
_OPENTABLE = re.compile(
    r"ot://(?P<venue>[a-z0-9][a-z0-9-]*)/(?P<day>\d{4}-\d{2}-\d{2})T"
    r"(?P<time>\d{2}:\d{2})/(?P<size>\d+)"
)


@dataclass(frozen=True, slots=True)
class SlotFacts:
    platform: Platform
    venue: str
    day: date
    at: time
    party_size: int


def read_token(token: str) -> SlotFacts | None:
    """The facts in a token, or None when it is not a token we know."""
    if len(token) > 300 or not token.isprintable():
        return None
    for platform, pattern in ((Platform.RESY, _RESY), (Platform.OPENTABLE, _OPENTABLE)):
        found = pattern.fullmatch(token)
        if found is None:
            continue
        try:
            return SlotFacts(
                platform,
                found["venue"],
                date.fromisoformat(found["day"]),
                time.fromisoformat(found["time"]),
                int(found["size"]),
            )
        except ValueError:
            return None

    return None
