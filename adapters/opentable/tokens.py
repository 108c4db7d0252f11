"""The slot token the availability adapter hands out and the booking adapter reads."""

import re
from dataclasses import dataclass
from datetime import datetime

from domain.errors import FieldViolation, InvalidRequestError

_SCHEME = "ot://"
_TOKEN = re.compile(
    r"ot://(?P<slug>[a-z0-9][a-z0-9-]*)/"
    r"(?P<at>\d{4}-\d{2}-\d{2}T\d{2}:\d{2})/(?P<covers>[1-9]\d?)\Z"
)


@dataclass(frozen=True, slots=True)
class SlotToken:
    """A table on OpenTable: the restaurant's slug, its wall time, the party size."""

    slug: str
    at: datetime
    covers: int

    def __str__(self) -> str:
        return f"{_SCHEME}{self.slug}/{self.wall_time}/{self.covers}"

    @property
    def wall_time(self) -> str:
        """The time as OpenTable's pages write it: YYYY-MM-DDTHH:MM, no zone."""
        return f"{self.at:%Y-%m-%dT%H:%M}"


def parse_token(text: str, field: str = "slot_token") -> SlotToken:
    """Read a token made by `SlotToken`; anything else is the caller's mistake."""
    match = _TOKEN.match(text)
    at = _wall_time(match["at"]) if match else None
    if match is None or at is None:
        problem = (
            "must be an OpenTable slot token ot://<slug>/<YYYY-MM-DDTHH:MM>/<party>, "
            f"got {text[:80]!r}"
        )
        raise InvalidRequestError([FieldViolation(field, problem)])

    return SlotToken(match["slug"], at, int(match["covers"]))


def _wall_time(text: str) -> datetime | None:
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M")
    except ValueError:
        return None
