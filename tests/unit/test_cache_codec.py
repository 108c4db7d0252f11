"""The cache codec: registered kinds round-trip; old versions and garbage are misses."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from adapters.cache.codec import Codec, Undecodable, Unencodable, default_codec
from adapters.cache.keys import describe, kind_of
from domain.models import Platform, Slot, WeatherReport

NY = ZoneInfo("America/New_York")


@dataclass(frozen=True)
class Match:
    place_id: str
    venue_id: str


@dataclass(frozen=True)
class MatchV2:
    place_id: str
    resy_venue_id: str


def _codec_with(cls: type, version: int = 1) -> Codec:
    codec = default_codec()
    codec.register_dataclass(cls, "match", version)
    return codec


@pytest.mark.parametrize(
    "value",
    [
        None,
        {"nested": {"list": [1, 2.5, "x", None, True]}},
        (1, (2, 3), [4, (5,)]),
        datetime(2027, 1, 10, 17, 0, tzinfo=UTC),
        datetime(2027, 1, 10, 12, 0, tzinfo=timezone(timedelta(hours=-5))),
        date(2027, 1, 15),
        time(19, 30),
        Platform.OPENTABLE,
        WeatherReport(datetime(2027, 1, 15, 19, tzinfo=NY), "clear", 3.5),
    ],
)
def test_values_round_trip_with_their_types(value: object) -> None:
    codec = default_codec()

    back = codec.loads(codec.dumps(value))

    assert back == value and type(back) is type(value)


def test_a_utc_time_comes_back_with_the_utc_singleton() -> None:
    codec = default_codec()
    at = datetime(2027, 1, 10, 17, 0, tzinfo=UTC)

    assert codec.loads(codec.dumps(at)).tzinfo is UTC


def test_the_repeated_hour_keeps_its_fold() -> None:
    codec = default_codec()
    second = datetime(2027, 11, 7, 1, 30, tzinfo=NY, fold=1)
    slot = Slot(second, None, "Bar", Platform.RESY, "t")

    back = codec.loads(codec.dumps([slot]))[0]

    assert back.start.fold == 1
    assert back.start.utcoffset() == timedelta(hours=-5)


def test_a_new_kind_registers_and_round_trips() -> None:
    codec = _codec_with(Match)

    assert codec.loads(codec.dumps([Match("p1", "1001")])) == [Match("p1", "1001")]


def test_a_version_bump_turns_old_text_into_a_miss() -> None:
    old = _codec_with(Match, version=1).dumps(Match("p1", "1001"))

    with pytest.raises(Undecodable, match="version"):
        _codec_with(Match, version=2).loads(old)


def test_changed_fields_turn_old_text_into_a_miss_without_a_bump() -> None:
    old = _codec_with(Match).dumps(Match("p1", "1001"))

    with pytest.raises(Undecodable, match="version"):
        _codec_with(MatchV2).loads(old)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not json",
        "[1, 2]",
        '{"format": 0, "value": 1}',
        '{"format": 1, "value": {"$o": ["nobody", "1", []]}}',
        '{"format": 1, "value": {"$o": ["slot"]}}',
        '{"format": 1, "value": {"$zz": 1}}',
        '{"format": 1, "value": {"$dt": ["2027-01-15T19:00:00", "Mars/Base", 0]}}',
        b"\xff\xfe",
    ],
)
def test_garbage_is_undecodable_never_another_error(text: str | bytes) -> None:
    with pytest.raises(Undecodable):
        default_codec().loads(text)


@pytest.mark.parametrize(
    "value", [object(), {1: "int key"}, {"$o": "reserved"}, float("nan"), {1, 2}]
)
def test_what_cannot_be_stored_is_unencodable(value: object) -> None:
    with pytest.raises(Unencodable):
        default_codec().dumps(value)


def test_a_name_or_type_registers_once() -> None:
    codec = default_codec()

    with pytest.raises(ValueError, match="taken"):
        codec.register_dataclass(Slot, "another_slot")


@pytest.mark.parametrize(
    ("key", "kind", "provider"),
    [
        ("availability:resy:1001:2027-01-15:2", "availability", "resy"),
        ("availability:opentable:bistro-nyc:2027-01-15:4", "availability", "opentable"),
        ("search:pizza:40.71:-74.01", "search", "google_places"),
        ("place:ChIJ123", "place", "google_places"),
        ("weather:40.71:-74.01:2027-01-15T19", "weather", "weather"),
        ("plain", "other", ""),
    ],
)
def test_kind_and_provider_come_from_the_key(
    key: str, kind: str, provider: str
) -> None:
    about = describe(key)

    assert (about.kind, about.provider, kind_of(key)) == (kind, provider, kind)
