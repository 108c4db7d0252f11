"""The cost report as text, in the spec's format; the one place money is rounded."""

from collections.abc import Sequence
from typing import TYPE_CHECKING

from domain.money import format_usd, percent
from domain.ports import BudgetStatus, UsageTotals
from domain.wording import provider_name

if TYPE_CHECKING:
    from application.costs import ProviderCost

# What each free platform is, in place of a call count (the spec's wording).
_NATURE = {"resy": "unofficial API", "opentable": "browser automation"}


def _count(number: int, unit: str) -> str:
    return f"{number:,} {unit}" if number == 1 else f"{number:,} {unit}s"


def _detail(cost: "ProviderCost") -> str:
    if cost.provider in _NATURE and cost.cost_micros == 0:
        return _NATURE[cost.provider]
    calls = _count(cost.calls, "call")
    if cost.provider == "google_places":
        return f"{calls}, {cost.hit_percent}% cache hit rate"
    if cost.provider == "weather" and cost.cost_micros == 0:
        return f"free tier, {calls}"

    return calls


def budget_line(name: str, budget: BudgetStatus) -> str:
    """E.g. "Google Places budget (2027-01): $4.10 of $5.00 (82%)"."""
    spent = budget.spent_micros
    used = percent(spent, budget.limit_micros) if budget.limit_micros else 100
    if not budget.exhausted:
        used = min(used, 99)
    line = (
        f"{name} budget ({budget.month}): {format_usd(spent)} of "
        f"{format_usd(budget.limit_micros)} ({used}%)"
    )

    return line + ", served from cache only" if budget.exhausted else line


def _day_line(totals: UsageTotals) -> str:
    day = totals.day.isoformat() if totals.day else "?"
    calls = _count(totals.calls, "call")
    hits = _count(totals.cache_hits, "cache hit")

    return (
        f"{day} {provider_name(totals.provider)}: "
        f"{format_usd(totals.cost_micros)} ({calls}, {hits})"
    )


def cost_text(
    days: int,
    providers: Sequence["ProviderCost"],
    total_micros: int,
    by_day: Sequence[UsageTotals] = (),
) -> str:
    """The report a person reads; each figure rounded once from exact micros."""
    lines = [f"API costs (last {_count(days, 'day')}):"]
    lines += [
        f"{p.name}: {format_usd(p.cost_micros)} ({_detail(p)})" for p in providers
    ]
    lines.append(f"Total: {format_usd(total_micros)}")
    lines += [budget_line(p.name, p.budget) for p in providers if p.budget]
    if by_day:
        lines.append("By day (UTC):")
        lines += [_day_line(totals) for totals in by_day]

    return "\n".join(lines)
