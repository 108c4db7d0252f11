"""A scripted session against a gateway process, then GetApiCosts via grpcurl.

The figures the gateway prints must be the api_calls rows of its SQLite
file, counted here directly with sqlite3 and rounded here by hand.
"""

import json
import re
import sqlite3
import subprocess
import urllib.request

import pytest

from tests.e2e.conftest import (
    BIN,
    BISTRO,
    free_port,
    next_week,
    start_gateway,
    stop_gateway,
)

CHECK = "reservations.v1.AvailabilityService/CheckAvailability"
SEARCH = "reservations.v1.RestaurantService/SearchRestaurants"
WEATHER = "reservations.v1.WeatherService/GetWeather"
COSTS = "reservations.v1.UsageService/GetApiCosts"
LINE = {
    "google_places": re.compile(
        r"Google Places: \$(\d+\.\d\d) \((\d+) calls?, (\d+)% cache hit rate\)"
    ),
    "weather": re.compile(r"OpenWeatherMap: \$(\d+\.\d\d) \(free tier, (\d+) calls?\)"),
    "resy": re.compile(r"Resy: \$(\d+\.\d\d) \(unofficial API\)"),
    "opentable": re.compile(r"OpenTable: \$(\d+\.\d\d) \(browser automation\)"),
}


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    folder = tmp_path_factory.mktemp("costs")
    http = f"127.0.0.1:{free_port()}"
    gateway = start_gateway(folder, RESGW_HTTP_ADDRESS=http)
    try:
        for party in (2, 2, 2, 4):
            gateway.call(
                CHECK,
                {"restaurant": BISTRO, "date": next_week(), "party_size": party},
            )
        for _ in range(3):
            gateway.call(SEARCH, {"query": "sandbox bistro"})
        gateway.call(WEATHER, {"location": {"latitude": 40.7, "longitude": -74.0}})
        answer = gateway.call(COSTS, {"days": 30})
        yield gateway, folder, f"http://{http}", answer
    finally:
        stop_gateway(gateway)


def _counted(folder) -> dict[str, tuple[int, int, int]]:
    """(upstream calls, cache hits, micro-dollars) per provider, from the file."""
    with sqlite3.connect(folder / "gateway.db") as db:
        rows = db.execute(
            "select provider, sum(not cached), sum(cached), sum(cost_micros) "
            "from api_calls group by provider"
        ).fetchall()
    return {provider: (calls, hits, cost) for provider, calls, hits, cost in rows}


def _dollars(micros: int) -> str:
    cents = (micros + 5_000) // 10_000  # half up, by hand
    return f"{cents // 100}.{cents % 100:02d}"


def test_the_text_has_the_specs_format_and_the_files_figures(session):
    _, folder, _, answer = session
    counted = _counted(folder)
    lines = answer["text"].splitlines()

    assert lines[0] == "API costs (last 30 days):"
    places = LINE["google_places"].fullmatch(lines[1])
    weather = LINE["weather"].fullmatch(lines[2])
    assert LINE["resy"].fullmatch(lines[3]) and LINE["opentable"].fullmatch(lines[4])
    calls, hits, cost = counted["google_places"]
    assert places.groups() == (
        _dollars(cost),
        str(calls),
        str((200 * hits + calls + hits) // (2 * (calls + hits))),
    )
    assert (hits, calls) == (2, 1)  # one search paid for, two from the cache
    assert weather.group(2) == str(counted["weather"][0])
    total = sum(cost for _, _, cost in counted.values())
    assert lines[5] == f"Total: ${_dollars(total)}"
    assert int(answer["total_micros"]) == total


def test_the_structured_rows_match_the_file(session):
    _, folder, _, answer = session
    counted = _counted(folder)

    for row in answer["providers"]:
        calls, hits, cost = counted.get(row["provider"], (0, 0, 0))
        assert int(row.get("calls", 0)) == calls, row
        assert int(row.get("cache_hits", 0)) == hits, row
        assert int(row.get("cost_micros", 0)) == cost, row
        assert row["cost_usd"] == _dollars(cost)
    resy_calls, resy_hits, _ = counted["resy"]
    assert resy_hits >= 2 and resy_calls >= 2


def test_the_costs_command_prints_the_same_text(session):
    gateway, folder, _, answer = session
    env = {"RESGW_DATA_DIR": str(folder), "PATH": str(BIN)}

    printed = subprocess.run(
        [str(BIN / "reservation-gateway"), "costs", "--days", "30"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )

    assert printed.returncode == 0, printed.stderr
    assert printed.stdout == answer["text"] + "\n"


def test_the_dashboard_and_metrics_serve_the_same_figures(session):
    _, _, http, answer = session

    with urllib.request.urlopen(http + "/api/costs?days=30&by_day=0") as page:
        served = json.loads(page.read())
    with urllib.request.urlopen(http + "/metrics") as page:
        metrics = page.read().decode()

    assert served["text"] == answer["text"]
    assert 'resgw_upstream_calls_total{outcome="ok",provider="resy"}' in metrics


def test_bad_days_exit_with_invalid_argument(session):
    gateway = session[0]

    done = gateway.grpcurl(COSTS, data={"days": 0})

    assert done.returncode == 64 + 3, done.stdout + done.stderr
    assert '"field":"days"' in done.stdout + done.stderr
