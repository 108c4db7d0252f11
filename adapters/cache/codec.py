"""Cached values as versioned JSON text: registered kinds round-trip, others miss."""

import dataclasses
import json
import zlib
from collections.abc import Callable
from datetime import date, datetime, time
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

from domain.models import (
    Coordinates,
    Platform,
    Restaurant,
    RestaurantRef,
    ResyVenue,
    Slot,
    WeatherReport,
)

FORMAT = 1
_PLAIN = (str, int, float, bool, type(None))


class Undecodable(ValueError):
    """Stored text that this codec cannot turn back into a value."""


class Unencodable(TypeError):
    """A value that no registered kind, and not JSON, can represent."""


@dataclasses.dataclass(frozen=True, slots=True)
class Kind:
    """One registered type: `encode` returns encodable parts, `decode` inverts."""

    name: str
    version: str
    type: type
    encode: Callable[[Any], Any]
    decode: Callable[[Any], Any]


class Codec:
    """A registry of kinds; `dumps` and `loads` are the only ways in and out.

    JSON's own values are stored as they are. Everything else becomes a
    one-key object whose key starts with "$": tuples, datetimes (wall time,
    IANA zone and fold, so a slot comes back in its own zone), dates, times,
    and registered kinds with their name and version. A stored kind whose
    version differs from the registered one, or whose name is unknown, is
    `Undecodable`, which the warm tier treats as a miss.
    """

    def __init__(self) -> None:
        self._by_name: dict[str, Kind] = {}
        self._by_type: dict[type, Kind] = {}
        self._revivers: dict[str, Callable[[Any], Any]] = {
            "$o": self._revive_kind,
            "$t": tuple,
            "$dt": _decode_datetime,
            "$d": date.fromisoformat,
            "$tm": time.fromisoformat,
        }

    def register(
        self,
        name: str,
        version: int,
        type_: type,
        encode: Callable[[Any], Any],
        decode: Callable[[Any], Any],
    ) -> None:
        """Add a kind; bump `version` whenever the encoded shape changes."""
        self._add(Kind(name, str(version), type_, encode, decode))

    def register_dataclass(self, cls: type, name: str, version: int = 1) -> None:
        """A dataclass stored as its field values in order; each must be encodable.

        The stored version also fingerprints the field names, so adding,
        renaming or reordering a field makes old rows misses without a bump;
        bump `version` when a field keeps its name but changes its meaning.
        """
        names = tuple(field.name for field in dataclasses.fields(cls))
        fingerprint = zlib.crc32(",".join(names).encode()) & 0xFFFF_FFFF

        def encode(value: Any) -> list[Any]:
            return [getattr(value, field) for field in names]

        self._add(
            Kind(name, f"{version}.{fingerprint:08x}", cls, encode, lambda v: cls(*v))
        )

    def register_enum(self, cls: type[Enum], name: str, version: int = 1) -> None:
        """An enum stored by its member's value."""
        self.register(name, version, cls, lambda member: member.value, cls)

    def _add(self, kind: Kind) -> None:
        if kind.name in self._by_name or kind.type in self._by_type:
            raise ValueError(f"kind {kind.name!r} or type {kind.type!r} is taken")
        self._by_name[kind.name] = kind
        self._by_type[kind.type] = kind

    def dumps(self, value: object) -> str:
        """Text for `value`, or `Unencodable` naming what could not be stored."""
        try:
            return json.dumps(
                {"format": FORMAT, "value": self._encode(value)},
                ensure_ascii=False,
                allow_nan=False,
                separators=(",", ":"),
            )
        except ValueError as error:
            raise Unencodable(f"not storable as JSON: {error}") from error

    def loads(self, text: str | bytes) -> Any:
        """The value `dumps` stored, or `Undecodable` saying why not."""
        try:
            document = json.loads(text, object_hook=self._revive)
        except Undecodable:
            raise
        except Exception as error:  # garbage of any shape is just a miss
            raise Undecodable(f"{type(error).__name__}: {error}") from error
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise Undecodable(f"expected format {FORMAT}, got another document")

        return document.get("value")

    def _encode(self, value: Any) -> Any:
        kind = self._by_type.get(type(value))
        if kind is not None:
            return {"$o": [kind.name, kind.version, self._encode(kind.encode(value))]}
        if type(value) in _PLAIN:
            return value
        if type(value) is list:
            return [self._encode(item) for item in value]
        if type(value) is tuple:
            return {"$t": [self._encode(item) for item in value]}
        if type(value) is dict:
            return {self._key(key): self._encode(item) for key, item in value.items()}
        if type(value) is datetime:
            return {"$dt": _encode_datetime(value)}
        if type(value) is date:
            return {"$d": value.isoformat()}
        if type(value) is time:
            return {"$tm": value.isoformat()}
        raise Unencodable(f"no cache kind is registered for {type(value).__name__}")

    @staticmethod
    def _key(key: Any) -> str:
        if type(key) is not str or key.startswith("$"):
            raise Unencodable(f"dict keys must be str not starting with $: {key!r}")

        return key

    def _revive(self, obj: dict[str, Any]) -> Any:
        # Called bottom-up by the JSON parser: the parts are already revived.
        if len(obj) == 1:
            for tag, parts in obj.items():
                revive = self._revivers.get(tag)
                if revive is not None:
                    return revive(parts)
                if tag.startswith("$"):
                    raise Undecodable(f"unknown tag {tag!r}")

        return obj

    def _revive_kind(self, parts: list[Any]) -> Any:
        name, version, payload = parts
        kind = self._by_name.get(name)
        if kind is None:
            raise Undecodable(f"unknown kind {name!r}")
        if version != kind.version:
            raise Undecodable(
                f"kind {name!r} stored at version {version}, now {kind.version}"
            )

        return kind.decode(payload)


def _encode_datetime(value: datetime) -> list[Any]:
    zone = value.tzinfo
    if isinstance(zone, ZoneInfo) and zone.key:
        wall = value.replace(tzinfo=None, fold=0).isoformat()
        return [wall, zone.key, value.fold]

    return [value.isoformat(), None, value.fold]


def _decode_datetime(parts: list[Any]) -> datetime:
    text, zone, fold = parts
    value = datetime.fromisoformat(text)
    if zone is None:
        return value.replace(fold=fold)
    if value.tzinfo is not None:
        raise Undecodable(f"a zoned time must be stored as wall time, got {text!r}")

    return value.replace(tzinfo=ZoneInfo(zone), fold=fold)


def default_codec() -> Codec:
    """A codec for the domain values the gateway caches today."""
    codec = Codec()
    codec.register_enum(Platform, "platform")
    codec.register_dataclass(Slot, "slot")
    codec.register_dataclass(RestaurantRef, "restaurant_ref")
    codec.register_dataclass(Coordinates, "coordinates")
    codec.register_dataclass(ResyVenue, "resy_venue")
    codec.register_dataclass(Restaurant, "restaurant")
    codec.register_dataclass(WeatherReport, "weather_report")

    return codec
