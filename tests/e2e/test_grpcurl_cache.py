"""grpcurl: a search is live, then hot; after a restart it is warm; stats count it."""

from tests.e2e.conftest import start_gateway, stop_gateway

SEARCH = "reservations.v1.RestaurantService/SearchRestaurants"
STATS = "reservations.v1.UsageService/GetCacheStats"
QUERY = {
    "query": "sandbox tavern",
    "location_bias": {"latitude": 40.72, "longitude": -73.99},
}


def test_search_is_live_then_hot_then_warm_after_a_restart(tmp_path):
    first = start_gateway(tmp_path)
    try:
        live = first.call(SEARCH, QUERY)
        hot = first.call(SEARCH, QUERY)
    finally:
        assert stop_gateway(first) == 0

    second = start_gateway(tmp_path)
    try:
        warm = second.call(SEARCH, QUERY)
        stats = second.call(STATS, {})
        places_calls = second.sandbox_stats().get("google_places", {})
    finally:
        stop_gateway(second)

    assert [a["source"] for a in (live, hot, warm)] == [
        "SOURCE_LIVE",
        "SOURCE_HOT_CACHE",
        "SOURCE_WARM_CACHE",
    ]
    assert warm["restaurants"] == live["restaurants"]
    assert warm["as_of"] == live["as_of"]
    ref = live["restaurants"][0]["ref"]
    assert (ref["resy_venue_id"], ref["time_zone"]) == ("1001", "America/New_York")
    assert places_calls == {}  # the restarted gateway never asked Google
    rows = {(s["tier"], s["kind"]): s for s in stats["stats"]}
    assert rows[("warm", "search")]["hits"] == "1"
    assert rows[("hot", "search")]["misses"] == "1"
