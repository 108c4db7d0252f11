"""Weather for a place and time, cached briefly; never critical to anything else."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from application.ledger import record_cache_hit
from domain.cache_keys import weather_key
from domain.models import Coordinates, Source, WeatherReport
from domain.ports import Clock, CostLedger, LoadingCache, Weather

SOURCES = {"hot": Source.HOT_CACHE, "warm": Source.WARM_CACHE, "live": Source.LIVE}


@dataclass(frozen=True, slots=True)
class WeatherAnswer:
    report: WeatherReport
    source: Source
    as_of: datetime


class GetWeather:
    def __init__(
        self,
        weather: Weather,
        cache: LoadingCache,
        clock: Clock,
        ledger: CostLedger,
        fresh_for: float = 600.0,
    ) -> None:
        self._weather = weather
        self._cache = cache
        self._clock = clock
        self._ledger = ledger
        self._fresh_for = fresh_for

    async def __call__(self, at: Coordinates, when: datetime | None) -> WeatherAnswer:
        moment = when or self._clock.now()
        hour = moment.replace(minute=0, second=0, microsecond=0)
        if moment - hour >= timedelta(minutes=30):
            hour += timedelta(hours=1)
        key = weather_key(at, hour.strftime("%Y-%m-%dT%H"))

        async def load() -> WeatherReport:
            return await self._weather.conditions(at, moment)

        entry = await self._cache.get_or_load(
            key, load, keep_for=self._fresh_for, fresh_for=self._fresh_for
        )
        if entry.tier != "live":
            record_cache_hit(self._ledger, self._clock, key, entry.tier)
        if not isinstance(entry.value, WeatherReport):
            raise TypeError(f"a weather entry holds {type(entry.value).__name__}")

        return WeatherAnswer(
            entry.value, SOURCES.get(entry.tier, Source.LIVE), entry.stored_at
        )
