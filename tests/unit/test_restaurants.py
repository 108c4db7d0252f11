"""Restaurant search and lookup: cache-aside, Resy matching, cache-hit rows."""

import pytest

from application.restaurants import RestaurantLookup, SearchQuery
from domain.errors import TransientAPIError
from domain.models import Coordinates, Restaurant, ResyVenue, Source
from tests.fakes import FakeDirectory, FakeMatcher

BISTRO = Restaurant(
    place_id="sandbox-place-1001",
    name="Sandbox Bistro",
    address="1 Example St, New York",
    location=Coordinates(40.7, -74.0),
    time_zone="America/New_York",
)
VENUE = ResyVenue("1001", "sandbox-1001", "new-york-ny", "America/New_York")


@pytest.fixture
def directory():
    return FakeDirectory([BISTRO])


@pytest.fixture
def matcher():
    return FakeMatcher({"Sandbox Bistro": VENUE})


@pytest.fixture
def lookup(container, clock, directory, matcher) -> RestaurantLookup:
    return RestaurantLookup(
        directory, matcher, container.cache(), clock, container.ledger()
    )


async def test_search_live_then_hot_then_warm(lookup, directory, clock):
    query = SearchQuery("sandbox bistro")

    live = await lookup.search(query)
    hot = await lookup.search(SearchQuery("  Sandbox   BISTRO "))
    clock.advance(301)
    warm = await lookup.search(query)

    assert [a.source for a in (live, hot, warm)] == [
        Source.LIVE,
        Source.HOT_CACHE,
        Source.WARM_CACHE,
    ]
    assert directory.searches == ["sandbox bistro"]


async def test_found_restaurants_carry_what_check_availability_needs(lookup):
    answer = await lookup.search(SearchQuery("bistro"))

    ref = answer.restaurants[0].ref()
    assert (ref.resy_venue_id, ref.resy_url_slug, ref.resy_city, ref.time_zone) == (
        "1001",
        "sandbox-1001",
        "new-york-ny",
        "America/New_York",
    )


async def test_a_failed_match_is_said_and_kept_only_briefly(
    lookup, matcher, directory, clock
):
    matcher.fail = TransientAPIError("503", 503, provider="resy")

    answer = await lookup.search(SearchQuery("bistro"))
    matcher.fail = None
    clock.advance(61)
    again = await lookup.search(SearchQuery("bistro"))

    assert answer.restaurants[0].resy is None
    assert "Resy could not be asked" in answer.message
    assert again.source is Source.LIVE
    assert again.restaurants[0].resy == VENUE
    assert len(directory.searches) == 2


async def test_search_results_also_answer_get_restaurant(lookup, directory):
    await lookup.search(SearchQuery("bistro"))

    answer = await lookup.get("sandbox-place-1001")

    assert answer.source is Source.HOT_CACHE
    assert directory.lookups == []
    assert answer.restaurants[0].resy == VENUE


async def test_cache_hits_write_cached_ledger_rows(lookup, container):
    await lookup.search(SearchQuery("bistro"))
    await lookup.search(SearchQuery("bistro"))

    rows = container.ledger().rows
    assert [(r.provider, r.operation, r.cached) for r in rows] == [
        ("google_places", "search", True)
    ]


async def test_nearby_coordinates_share_an_entry_far_ones_do_not(lookup, directory):
    here = SearchQuery("bistro", Coordinates(40.71234, -74.00111))
    close = SearchQuery("bistro", Coordinates(40.71201, -74.00149))
    far = SearchQuery("bistro", Coordinates(41.0, -74.0))

    for query in (here, close, far):
        await lookup.search(query)

    assert len(directory.searches) == 2


async def test_a_directory_failure_is_raised_and_not_cached(lookup, directory):
    directory.fail = TransientAPIError("503", 503, provider="google_places")
    with pytest.raises(TransientAPIError):
        await lookup.search(SearchQuery("bistro"))

    directory.fail = None
    answer = await lookup.search(SearchQuery("bistro"))

    assert answer.source is Source.LIVE


async def test_past_freshness_a_failing_directory_gets_the_stale_answer(
    lookup, directory, clock, container
):
    await lookup.search(SearchQuery("bistro"))
    clock.advance(2 * 86_400)
    directory.fail = TransientAPIError("503", 503, provider="google_places")

    answer = await lookup.search(SearchQuery("bistro"))

    assert answer.source is Source.STALE
    assert answer.restaurants[0].place_id == "sandbox-place-1001"
    assert "Google Places is temporarily unavailable" in answer.message
    assert "from 2 days ago" in answer.message
    assert container.ledger().rows[-1].outcome.startswith("stale_")


async def test_a_spent_budget_serves_what_the_cache_has(lookup, directory, clock):
    from domain.errors import BudgetExceededError

    await lookup.search(SearchQuery("bistro"))
    clock.advance(2 * 86_400)
    directory.fail = BudgetExceededError("spent", provider="google_places")

    answer = await lookup.search(SearchQuery("bistro"))
    with pytest.raises(BudgetExceededError):
        await lookup.search(SearchQuery("ramen"))

    assert answer.source is Source.STALE
