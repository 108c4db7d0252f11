"""The check-availability use case: cache, live, stale, and links when all fails."""

from domain.errors import CircuitOpenError, TransientAPIError
from domain.models import Source
from tests.unit.conftest import slot_at


async def test_live_answer_is_cached_then_served_hot(container, resy, clock, query):
    resy.default = [slot_at(19), slot_at(18, 30)]
    check = container.check_availability()

    first = await check(query)
    clock.advance(120)
    second = await check(query)

    assert first.source is Source.LIVE
    assert [s.start.hour for s in first.slots] == [18, 19]
    assert second.source is Source.HOT_CACHE
    assert second.age_seconds == 120
    assert len(resy.calls) == 1
    hits = [row for row in container.ledger().rows if row.cached]
    assert [(r.provider, r.operation, r.outcome) for r in hits] == [
        ("resy", "availability", "cache_hot")
    ]


async def test_past_freshness_the_platform_is_asked_again(
    container, resy, clock, query
):
    resy.default = [slot_at(19)]
    check = container.check_availability()

    await check(query)
    clock.advance(301)
    warm = await check(query)
    clock.advance(300)
    again = await check(query)

    assert warm.source is Source.WARM_CACHE
    assert warm.age_seconds == 301
    assert again.source is Source.LIVE
    assert len(resy.calls) == 2


async def test_failure_after_a_success_serves_stale_with_its_real_age(
    container, resy, clock, query
):
    resy.script = [[slot_at(19)], TransientAPIError("503", 503, provider="resy")]
    check = container.check_availability()

    await check(query)
    clock.advance(20 * 60)
    stale = await check(query)
    stats = container.cache_metrics().snapshot()

    assert stale.source is Source.STALE
    assert [s.start.hour for s in stale.slots] == [19]
    assert stale.age_seconds == 1200
    assert "from 20 minutes ago" in stale.message
    assert "couldn't reach Resy" in stale.message
    assert stale.failures[0].reason == "UPSTREAM_UNAVAILABLE"
    assert container.ledger().rows[-1].outcome.startswith("stale_")
    assert container.ledger().rows[-1].cached
    assert stats["totals"]["stale_served"] == 1


async def test_stale_past_its_maximum_age_is_not_served(container, resy, clock, query):
    resy.script = [[slot_at(19)], TransientAPIError("503", 503, provider="resy")]
    check = container.check_availability()

    await check(query)
    clock.advance(2 * 3600 + 1)
    answer = await check(query)

    assert answer.source is Source.NONE
    assert answer.slots == ()


async def test_failure_with_nothing_cached_gives_links_not_no_tables(
    container, resy, query
):
    resy.default = CircuitOpenError("open", provider="resy", retry_after=95)

    answer = await container.check_availability()(query)

    assert answer.source is Source.NONE
    assert answer.slots == ()
    assert "couldn't check availability" in answer.message
    assert "no tables" not in answer.message
    assert [link.label for link in answer.deep_links] == [
        "Resy",
        "OpenTable",
        "Website",
    ]
    failure = answer.failures[0]
    assert (failure.provider, failure.reason, failure.retry_after) == (
        "resy",
        "CIRCUIT_OPEN",
        95,
    )
    assert "2 minutes" in failure.message
    assert "https://resy.com/cities/new-york-ny/venues/sandbox-1001" in failure.message


async def test_a_genuine_empty_answer_says_no_tables(container, resy, query):
    resy.default = []

    answer = await container.check_availability()(query)

    assert answer.source is Source.LIVE
    assert "has no tables for 2" in answer.message


async def test_party_sizes_never_share_an_entry(container, resy, query):
    resy.default = [slot_at(19)]
    check = container.check_availability()

    await check(query)
    other = await check(type(query)(query.restaurant, query.day, 4))

    assert other.source is Source.LIVE
    assert [q.party_size for q in resy.calls] == [2, 4]


async def test_preferred_time_orders_slots_by_closeness(container, resy, query):
    resy.default = [slot_at(17), slot_at(19), slot_at(21), slot_at(20)]
    from datetime import time

    wanted = type(query)(query.restaurant, query.day, 2, time(20, 15))
    answer = await container.check_availability()(wanted)

    assert [s.start.hour for s in answer.slots] == [20, 21, 19, 17]


async def test_identical_concurrent_misses_ask_the_platform_once(
    container, resy, query
):
    import asyncio

    resy.default = [slot_at(19)]
    check = container.check_availability()

    answers = await asyncio.gather(*(check(query) for _ in range(100)))

    assert len(resy.calls) == 1
    assert {a.source for a in answers} == {Source.LIVE}
