"""The shape of Resy's /4/find answer, checked before any field of it is trusted."""

import json
import logging
import re
from dataclasses import dataclass
from datetime import datetime

import httpx

from domain.errors import SchemaChangeError

logger = logging.getLogger(__name__)

_PROVIDER = "resy"
_WALL_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}\Z")
_INDEX = re.compile(r"\[\d+\]")
_SHOWN_KEYS = 12


@dataclass(frozen=True, slots=True)
class FoundSlot:
    token: str
    start: datetime
    end: datetime | None
    seating: str


@dataclass(frozen=True, slots=True)
class FoundVenue:
    """One venue of an answer; times are naive wall times at the venue."""

    venue_id: str
    time_zone: str
    slots: tuple[FoundSlot, ...]


@dataclass(frozen=True, slots=True)
class ShapeProblem:
    where: str
    expected: str
    found: str

    @property
    def signature(self) -> tuple[str, str]:
        """The same drift at another index is the same shape."""
        return (_INDEX.sub("[]", self.where), self.found)

    def message(self) -> str:
        return (
            f"Resy's /4/find answer changed shape: expected {self.where} to be "
            f"{self.expected}, found {self.found}"
        )


class _Mismatch(Exception):
    def __init__(self, problem: ShapeProblem) -> None:
        super().__init__(problem.message())
        self.problem = problem


def describe(value: object) -> str:
    """What a JSON value is, with its keys when it is an object; never its text."""
    if isinstance(value, dict):
        keys = sorted(str(k) for k in value)
        more = ", ..." if len(keys) > _SHOWN_KEYS else ""
        return f"an object with keys [{', '.join(keys[:_SHOWN_KEYS])}{more}]"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"

    return "null"


def _field(
    parent: dict[str, object],
    key: str,
    where: str,
    expected: str,
    kind: type | tuple[type, ...],
) -> object:
    if key not in parent:
        found = f"no {key!r} in {describe(parent)}"
        raise _Mismatch(ShapeProblem(where, expected, found))
    value = parent[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise _Mismatch(ShapeProblem(where, expected, describe(value)))

    return value


def _object(parent: dict[str, object], key: str, where: str) -> dict[str, object]:
    value = _field(parent, key, where, "an object", dict)
    assert isinstance(value, dict)
    return value


def _list(parent: dict[str, object], key: str, where: str) -> list[object]:
    value = _field(parent, key, where, "a list", list)
    assert isinstance(value, list)
    return value


def _items(values: list[object], where: str) -> list[dict[str, object]]:
    items: list[dict[str, object]] = []
    for index, value in enumerate(values):
        if not isinstance(value, dict):
            problem = ShapeProblem(f"{where}[{index}]", "an object", describe(value))
            raise _Mismatch(problem)
        items.append(value)

    return items


def _wall_time(text: str, where: str) -> datetime:
    if _WALL_TIME.match(text):
        try:
            return datetime.strptime(text.replace("T", " "), "%Y-%m-%d %H:%M:%S")
        except ValueError:
            pass
    # Digits masked: the shape of the value is useful, the value is not.
    masked = re.sub(r"\d", "9", text[:40])
    expected = "a wall time as 'YYYY-MM-DD HH:MM:SS'"
    raise _Mismatch(ShapeProblem(where, expected, f"a string shaped {masked!r}"))


def _venue(block: dict[str, object], where: str) -> tuple[str, str]:
    """The venue's id and, when it names one, its time zone."""
    venue = _object(block, "venue", f"{where}.venue")
    ids = _object(venue, "id", f"{where}.venue.id")
    resy = _field(ids, "resy", f"{where}.venue.id.resy", "a venue id", (int, str))
    if isinstance(resy, str) and not resy.isdigit():
        raise _Mismatch(
            ShapeProblem(f"{where}.venue.id.resy", "a venue id", "a string")
        )
    location = venue.get("location")
    zone = location.get("time_zone") if isinstance(location, dict) else None

    return str(resy), zone if isinstance(zone, str) else ""


def _slot(slot: dict[str, object], where: str) -> FoundSlot:
    config = _object(slot, "config", f"{where}.config")
    token = _field(config, "token", f"{where}.config.token", "a string", str)
    dates = _object(slot, "date", f"{where}.date")
    start = _field(dates, "start", f"{where}.date.start", "a string", str)
    end = dates.get("end")
    seating = config.get("type")
    try:
        end_at = _wall_time(end, "") if isinstance(end, str) else None
    except _Mismatch:
        end_at = None  # an odd end time costs only the end, not the slot

    return FoundSlot(
        token=str(token),
        start=_wall_time(str(start), f"{where}.date.start"),
        end=end_at,
        seating=seating if isinstance(seating, str) else "",
    )


def find_problem(payload: object) -> ShapeProblem | None:
    """What is wrong with the shape of a /4/find answer, or None when it is fine."""
    try:
        _read_find(payload)
    except _Mismatch as mismatch:
        return mismatch.problem

    return None


def _read_find(payload: object) -> list[FoundVenue]:
    if not isinstance(payload, dict):
        raise _Mismatch(ShapeProblem("the answer", "an object", describe(payload)))
    results = _object(payload, "results", "results")
    venues = _items(_list(results, "venues", "results.venues"), "results.venues")
    found = []
    for i, block in enumerate(venues):
        where = f"results.venues[{i}]"
        slots = _items(_list(block, "slots", f"{where}.slots"), f"{where}.slots")
        venue_id, zone = _venue(block, where)
        read = tuple(_slot(s, f"{where}.slots[{j}]") for j, s in enumerate(slots))
        found.append(FoundVenue(venue_id, zone, read))

    return found


class SchemaWatch:
    """Checks answers and logs each distinct drifted shape once."""

    def __init__(self, remember: int = 64) -> None:
        self._remember = remember
        self._seen: set[tuple[str, str]] = set()

    def decode(self, response: httpx.Response) -> object:
        try:
            return json.loads(response.content)
        except ValueError:
            kind = response.headers.get("Content-Type", "no content type")
            found = f"{kind}, {len(response.content)} bytes"
            problem = ShapeProblem("the body", "JSON", found)
            self._report(problem)
            raise SchemaChangeError(problem.message(), provider=_PROVIDER) from None

    def read_find(self, payload: object) -> list[FoundVenue]:
        try:
            return _read_find(payload)
        except _Mismatch as mismatch:
            self._report(mismatch.problem)
            message = mismatch.problem.message()
            raise SchemaChangeError(message, provider=_PROVIDER) from None

    def _report(self, problem: ShapeProblem) -> None:
        if problem.signature in self._seen:
            return
        if len(self._seen) >= self._remember:
            self._seen.clear()
        self._seen.add(problem.signature)
        logger.warning(
            "resy.schema_changed",
            extra={
                "provider": _PROVIDER,
                "where": problem.where,
                "expected": problem.expected,
                "found": problem.found,
            },
        )
