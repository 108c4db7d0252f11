"""OpenTable's restaurant page, read in a browser, behind the availability port."""

from collections.abc import Sequence
from datetime import datetime, time, tzinfo
from urllib.parse import quote, urlencode

from adapters.opentable import pages
from adapters.opentable.browser import BrowserPool
from adapters.opentable.runs import BrowserRun
from adapters.opentable.settings import OpenTableSettings
from adapters.opentable.steps import PROVIDER, Steps
from adapters.opentable.tokens import SlotToken
from domain.errors import FieldViolation, InvalidRequestError
from domain.models import AvailabilityQuery, Platform, RestaurantRef, Slot
from domain.ports import Clock, CostLedger
from domain.validation import zone_or_none

# OpenTable's own default; its page shows the times around the one asked for.
DEFAULT_TIME = time(19, 0)
_SEATING = "Standard"


def restaurant_url(base_url: str, slug: str, at: datetime, party_size: int) -> str:
    """The restaurant page with its pickers set: /r/<slug>?covers=N&dateTime=..."""
    query = urlencode({"covers": party_size, "dateTime": f"{at:%Y-%m-%dT%H:%M}"})

    return f"{base_url.rstrip('/')}/r/{quote(slug, safe='')}?{query}"


class OpenTableAvailability:
    """Slots from OpenTable's restaurant page for one day, time and party size.

    The page shows times within about two and a half hours of the time asked
    for (the query's preferred time, else 19:00), not the whole day.
    """

    provider = PROVIDER

    def __init__(
        self,
        pool: BrowserPool,
        settings: OpenTableSettings,
        clock: Clock,
        ledger: CostLedger,
    ) -> None:
        self._pool = pool
        self._settings = settings
        self._clock = clock
        self._ledger = ledger

    def serves(self, restaurant: RestaurantRef) -> bool:
        return bool(restaurant.opentable_slug)

    async def find_slots(self, query: AvailabilityQuery) -> Sequence[Slot]:
        zone = _zone(query.restaurant)
        slug = query.restaurant.opentable_slug
        at = datetime.combine(query.day, query.preferred_time or DEFAULT_TIME)
        url = restaurant_url(self._settings.base_url, slug, at, query.party_size)
        steps = Steps(self._settings, self._clock, write=False)
        with BrowserRun(self._ledger, self._clock, "availability") as run:
            async with self._pool.page(steps.slot_wait()) as page:
                # A read: once it is asked for, it may have been received.
                steps.sent = True
                flow = pages.Flow(page, steps, run, self._clock)
                await flow.open(url, "the restaurant page")
                times = await pages.read_times(page, steps)
        slots = [
            Slot(
                start=wall.replace(tzinfo=zone),
                end=None,
                seating=_SEATING,
                platform=Platform.OPENTABLE,
                token=str(SlotToken(slug, wall, query.party_size)),
            )
            for wall in sorted(set(times))
        ]

        return _ordered(slots, query)


def _zone(restaurant: RestaurantRef) -> tzinfo:
    zone = zone_or_none(restaurant.time_zone)
    if zone is None:
        problem = f"must be an IANA time zone, got {restaurant.time_zone!r}"
        raise InvalidRequestError([FieldViolation("restaurant.time_zone", problem)])

    return zone


def _ordered(slots: list[Slot], query: AvailabilityQuery) -> list[Slot]:
    if query.preferred_time is None:
        return slots
    wanted = datetime.combine(query.day, query.preferred_time)

    # Wall-clock distance, so a DST change that night does not skew the order.
    return sorted(slots, key=lambda s: abs(s.start.replace(tzinfo=None) - wanted))
