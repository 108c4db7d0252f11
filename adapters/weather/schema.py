"""OpenWeatherMap 2.5 answers (current, 5-day/3-hour forecast) checked for shape."""

import logging
from datetime import UTC, datetime
from typing import TypeVar

from domain.errors import SchemaChangeError
from domain.models import WeatherReport

logger = logging.getLogger(__name__)

_PROVIDER = "weather"
_KPH_PER_MPS = 3.6
T = TypeVar("T")


class Drift(Exception):
    """Where an answer left the known shape; its text never quotes a value."""

    def __init__(self, where: str, expected: str, found: str) -> None:
        super().__init__(where, expected, found)
        self.where, self.expected, self.found = where, expected, found

    def error(self, endpoint: str) -> SchemaChangeError:
        """The domain error, logged once per raise with the endpoint."""
        logger.warning(
            "weather.schema_changed",
            extra={
                "provider": _PROVIDER,
                "endpoint": endpoint,
                "where": self.where,
                "expected": self.expected,
                "found": self.found,
            },
        )
        message = (
            f"OpenWeatherMap's {endpoint} answer changed shape: expected "
            f"{self.where} to be {self.expected}, found {self.found}"
        )

        return SchemaChangeError(message, provider=_PROVIDER)


def kind(value: object) -> str:
    """What a JSON value is, with its keys for an object; never its text."""
    if isinstance(value, dict):
        return f"an object with keys {sorted(str(k) for k in value)[:12]}"
    if isinstance(value, bool) or value is None:
        return "a boolean" if isinstance(value, bool) else "null"
    names = {list: "a list", str: "a string", int: "a number", float: "a number"}

    return names.get(type(value), type(value).__name__)


def cod(body: dict[str, object]) -> int | None:
    """The body's own status: a number on some answers, a string on others."""
    value = body.get("cod")
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)

    raise Drift("cod", "a status as a number or a string of digits", kind(value))


def read_current(body: dict[str, object]) -> WeatherReport:
    return _report(body, "the answer", is_forecast=False)


def read_forecast(body: dict[str, object]) -> list[WeatherReport]:
    entries = _get(body, "list", list, "the answer")
    return [
        _report(_object(entry, f"list[{i}]"), f"list[{i}]", is_forecast=True)
        for i, entry in enumerate(entries)
    ]


def _object(value: object, where: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise Drift(where, "an object", kind(value))

    return value


def _get(parent: dict[str, object], key: str, of: type[T], where: str) -> T:
    value = parent.get(key)
    if not isinstance(value, of) or isinstance(value, bool):
        found = f"no {key!r} in {kind(parent)}" if key not in parent else kind(value)
        raise Drift(f"{where}.{key}", f"a {of.__name__}", found)

    return value


def _number(parent: dict[str, object], key: str, where: str) -> float | None:
    value = parent.get(key)
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise Drift(f"{where}.{key}", "a number", kind(value))

    return float(value)


def _report(
    entry: dict[str, object], where: str, *, is_forecast: bool
) -> WeatherReport:
    main = _get(entry, "main", dict, where)
    temperature = _number(main, "temp", f"{where}.main")
    if temperature is None:
        raise Drift(f"{where}.main.temp", "a number", kind(main.get("temp")))
    humidity = _number(main, "humidity", f"{where}.main")
    wind = entry.get("wind")
    speed = _number(wind, "speed", f"{where}.wind") if isinstance(wind, dict) else None
    pop = _number(entry, "pop", where) if is_forecast else None

    return WeatherReport(
        at=datetime.fromtimestamp(_get(entry, "dt", int, where), UTC),
        summary=_summary(_get(entry, "weather", list, where), where),
        temperature_c=temperature,
        feels_like_c=_number(main, "feels_like", f"{where}.main"),
        humidity_percent=None if humidity is None else round(humidity),
        wind_kph=None if speed is None else round(speed * _KPH_PER_MPS, 1),
        precipitation_probability=pop,
        is_forecast=is_forecast,
    )


def _summary(conditions: list[object], where: str) -> str:
    if not conditions:
        return ""
    first = _object(conditions[0], f"{where}.weather[0]")
    text = first.get("description") or first.get("main")
    if not isinstance(text, str):
        raise Drift(f"{where}.weather[0].description", "a string", kind(text))

    return text
