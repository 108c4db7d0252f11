"""The dashboard in real headless Chromium, and /metrics, from a seeded ledger."""

import asyncio
import json
import os
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.async_api import async_playwright
from prometheus_client.parser import text_string_to_metric_families

from adapters.cache.metrics import CacheMetrics
from adapters.resilience.registry import BreakerRegistry
from adapters.storage.cost_report import SqlCostReport
from adapters.storage.engine import default_sqlite_url, make_engine
from adapters.storage.ledger import SqlCostLedger
from adapters.storage.migrate import upgrade
from application.budget import MonthlyBudgets
from application.costs import ApiCosts
from domain.models import ApiCall
from entrypoints.http.app import Dashboard, SidePort, build_app
from entrypoints.http.breakers import BreakerHistory
from entrypoints.http.metrics import LedgerMetrics, StateCollector
from tests.fakes import FakeClock

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
NOW = datetime(2027, 1, 20, 15, 0, tzinfo=UTC)

pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM), reason="Chromium is not at /usr/bin/chromium"
)


def _ledger_rows() -> list[ApiCall]:
    rows = []
    for back in range(6):
        at = NOW - timedelta(days=back, hours=1)
        base = {"at": at, "operation": "op", "outcome": "ok", "latency_ms": 40.0}
        rows += [
            ApiCall(provider="google_places", cost_micros=35_000, **base)
            for _ in range(back + 1)
        ]
        rows += [ApiCall(provider="google_places", cached=True, **base)] * 3
        rows += [ApiCall(provider="resy", **base), ApiCall(provider="weather", **base)]
    return rows


@pytest.fixture
async def side_port(tmp_path) -> AsyncIterator[tuple[SidePort, ApiCosts]]:
    clock = FakeClock(NOW - timedelta(minutes=30))
    engine = make_engine(default_sqlite_url(tmp_path / "data"))
    upgrade(engine)
    ledger = SqlCostLedger(engine, clock)
    metrics = LedgerMetrics()
    budgets = MonthlyBudgets({"google_places": 2_000_000}, clock)
    for row in _ledger_rows():
        ledger.record(row)
        metrics.observe(row)
        budgets.observe(row)
    cache = CacheMetrics()
    for key, tier, count in (
        ("search:x", "hot", 9),
        ("availability:resy:1", "warm", 4),
    ):
        for _ in range(count):
            cache.hit(tier, key)
        cache.miss(tier, key)
    cache.load("search:x")
    breakers = BreakerRegistry(clock)
    history = BreakerHistory(clock)
    for minutes, old, new in ((5, "closed", "open"), (10, "open", "half-open")):
        clock.advance(minutes * 60)
        history.changed("resy", old, new)
    clock.advance(15 * 60)
    metrics.watch(StateCollector(cache, breakers, budgets, ledger))
    costs = ApiCosts(SqlCostReport(engine), ledger, clock, budgets=budgets)
    dashboard = Dashboard(costs, cache, breakers, history, metrics, clock)
    port = SidePort(build_app(dashboard), "127.0.0.1:0")
    await port.start()
    yield port, costs
    await port.close()
    await ledger.close()
    engine.dispose()


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode()


async def test_the_page_draws_every_chart_from_the_ledger(side_port, tmp_path):
    port, costs = side_port
    base = f"http://127.0.0.1:{port.port}"
    requested, problems = [], []
    profile = tmp_path / "browser"
    env = {
        **os.environ,
        "XDG_CONFIG_HOME": str(profile / "config"),
        "XDG_CACHE_HOME": str(profile / "cache"),
    }
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=ARGS, env=env, headless=True
        )
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: m.type == "error" and problems.append(m.text))
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("request", lambda r: requested.append(r.url))
            await page.goto(base + "/")
            await page.wait_for_selector("body[data-ready='true']", timeout=15_000)
            drawn = {
                chart: await page.get_attribute(f"#{chart}", "data-drawn")
                for chart in ("cost-chart", "tier-chart", "breaker-chart")
            }
            bars = await page.locator("#cost-chart rect[data-provider]").count()
            tiers = await page.locator("#tier-chart rect[data-tier]").count()
            states = await page.eval_on_selector_all(
                "#breaker-chart rect[data-state]",
                "bands => bands.map(b => b.getAttribute('data-state'))",
            )
            report = await page.inner_text("#report")
            ARTIFACTS.mkdir(exist_ok=True)
            await page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
        finally:
            await browser.close()

    assert drawn == dict.fromkeys(drawn, "true")
    assert bars == 6  # one Places bar a day, for six days
    assert tiers == 6  # hot and warm: hits and misses; live: loads and failures
    assert {"closed", "open", "half-open"} <= set(states)
    assert report == (await costs(30, by_day=True)).text
    assert problems == []
    assert all(url.startswith(base + "/") for url in requested), requested
    assert (ARTIFACTS / "dashboard.png").stat().st_size > 10_000


async def test_metrics_parse_as_prometheus_text(side_port):
    port, _ = side_port

    status, body = await asyncio.to_thread(
        _get, f"http://127.0.0.1:{port.port}/metrics"
    )

    assert status == 200
    families = {f.name: f for f in text_string_to_metric_families(body)}
    calls = {
        (s.labels["provider"], s.labels["outcome"]): s.value
        for s in families["resgw_upstream_calls"].samples
        if s.name.endswith("_total")
    }
    assert calls == {
        ("google_places", "ok"): 21.0,
        ("resy", "ok"): 6.0,
        ("weather", "ok"): 6.0,
    }
    assert "resgw_upstream_latency_seconds" in families
    spend = families["resgw_upstream_spend_micros"].samples
    assert any(s.value == 21 * 35_000 for s in spend)
    hits = {s.labels["tier"]: s.value for s in families["resgw_cache_hits"].samples}
    assert hits["hot"] == 9 and hits["warm"] == 4
    states = {
        (s.labels["upstream"], s.labels["state"]): s.value
        for s in families["resgw_breaker_state"].samples
    }
    assert states[("resy", "closed")] == 1.0
    budget = families["resgw_budget_spent_micros"].samples[0]
    assert budget.value == 21 * 35_000


async def test_the_json_endpoints_refuse_bad_days(side_port):
    port, _ = side_port
    base = f"http://127.0.0.1:{port.port}/api/costs?days="

    for days in ("0", "3651", "soon"):
        status, body = await asyncio.to_thread(_get, base + days)
        assert status == 400
        assert json.loads(body)["field_violations"][0]["field"] == "days"

    status, body = await asyncio.to_thread(_get, base + "7")
    assert status == 200 and json.loads(body)["days"] == 7


def _get_as(url: str, host: str) -> int:
    request = urllib.request.Request(url, headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as refused:
        return refused.code


async def test_a_foreign_host_header_is_refused_against_dns_rebinding(side_port):
    port, _ = side_port
    url = f"http://127.0.0.1:{port.port}/api/costs?days=7"

    foreign = await asyncio.to_thread(_get_as, url, f"evil.example:{port.port}")
    local = await asyncio.to_thread(_get_as, url, f"localhost:{port.port}")

    assert (foreign, local) == (421, 200)
