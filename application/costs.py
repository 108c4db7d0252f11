"""GetApiCosts: what each upstream cost over the last N days, read from the ledger."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from application.budget import month_of, month_start
from application.costs_text import cost_text
from domain.errors import FieldViolation, InvalidRequestError
from domain.money import ROUNDING_RULE, percent
from domain.ports import (
    BudgetState,
    BudgetStatus,
    Clock,
    CostLedger,
    CostReport,
    SkuUsage,
    UsageTotals,
)
from domain.wording import provider_name

DEFAULT_DAYS = 30
MAX_DAYS = 3650
# The spec's order; any other provider in the ledger follows, by name.
PROVIDERS = ("google_places", "weather", "resy", "opentable")
ANY_SKU = "*"


@dataclass(frozen=True, slots=True)
class FreeAllowance:
    """Calls a provider gives free each month for a SKU (`ANY_SKU`: all of them)."""

    provider: str
    sku: str
    free_per_month: int | None  # None: unlimited


@dataclass(frozen=True, slots=True)
class AllowanceUse:
    """This UTC month's answered calls against one free allowance."""

    sku: str
    month: str
    used: int
    free_per_month: int | None


@dataclass(frozen=True, slots=True)
class ProviderCost:
    """One provider over the window: exact cost, upstream calls and cache hits."""

    provider: str
    name: str
    cost_micros: int
    calls: int
    cache_hits: int
    allowances: tuple[AllowanceUse, ...] = ()
    budget: BudgetStatus | None = None

    @property
    def hit_rate(self) -> float:
        """Cache hits over every answer (hits and upstream calls); 0 with none."""
        asked = self.calls + self.cache_hits

        return self.cache_hits / asked if asked else 0.0

    @property
    def hit_percent(self) -> int:
        return percent(self.cache_hits, self.calls + self.cache_hits)


@dataclass(frozen=True, slots=True)
class CostSummary:
    days: int
    since: datetime
    until: datetime
    providers: tuple[ProviderCost, ...]
    total_micros: int
    by_day: tuple[UsageTotals, ...]
    text: str
    rounding: str = ROUNDING_RULE


def check_days(days: int) -> None:
    if not 1 <= days <= MAX_DAYS:
        problem = f"must be 1 to {MAX_DAYS} days, got {days}"
        raise InvalidRequestError([FieldViolation("days", problem)])


def window_start(now: datetime, days: int) -> datetime:
    """Midnight UTC `days - 1` days before today: the last N UTC calendar days."""
    today = now.astimezone(UTC).date() - timedelta(days=days - 1)

    return datetime(today.year, today.month, today.day, tzinfo=UTC)


class ApiCosts:
    """The report behind GetApiCosts, the `costs` command and the dashboard."""

    # The ledger is flushed first, so calls made just before are counted.
    # Money stays exact until `cost_text` rounds it, once (domain.money).

    def __init__(
        self,
        report: CostReport,
        ledger: CostLedger,
        clock: Clock,
        *,
        allowances: Iterable[FreeAllowance] = (),
        budgets: BudgetState | None = None,
    ) -> None:
        self._report = report
        self._ledger = ledger
        self._clock = clock
        self._allowances = tuple(allowances)
        self._budgets = budgets

    async def __call__(
        self, days: int = DEFAULT_DAYS, *, by_day: bool = False
    ) -> CostSummary:
        check_days(days)
        await self._ledger.flush()
        now = self._clock.now()
        since = window_start(now, days)
        totals = await self._report.totals(since, now)
        daily = await self._report.totals(since, now, by_day=True) if by_day else ()
        answered = (
            await self._report.answered(month_start(now), now)
            if self._allowances
            else ()
        )
        providers = tuple(
            self._provider(name, totals, answered, month_of(now))
            for name in _ordered(t.provider for t in totals)
        )
        total = sum(p.cost_micros for p in providers)
        days_rows = tuple(sorted(daily, key=lambda t: (t.day, _rank(t.provider))))

        return CostSummary(
            days=days,
            since=since,
            until=now,
            providers=providers,
            total_micros=total,
            by_day=days_rows,
            text=cost_text(days, providers, total, days_rows),
        )

    def _provider(
        self,
        provider: str,
        totals: Sequence[UsageTotals],
        answered: Sequence[SkuUsage],
        month: str,
    ) -> ProviderCost:
        mine = [t for t in totals if t.provider == provider]

        return ProviderCost(
            provider=provider,
            name=provider_name(provider),
            cost_micros=sum(t.cost_micros for t in mine),
            calls=sum(t.calls for t in mine),
            cache_hits=sum(t.cache_hits for t in mine),
            allowances=self._uses(provider, answered, month),
            budget=self._budgets.status(provider) if self._budgets else None,
        )

    def _uses(
        self, provider: str, answered: Sequence[SkuUsage], month: str
    ) -> tuple[AllowanceUse, ...]:
        uses = []
        for allowance in self._allowances:
            if allowance.provider != provider:
                continue
            used = sum(
                u.calls
                for u in answered
                if u.provider == provider and allowance.sku in (ANY_SKU, u.sku)
            )
            if used or allowance.sku == ANY_SKU:
                uses.append(
                    AllowanceUse(allowance.sku, month, used, allowance.free_per_month)
                )

        return tuple(uses)


def _rank(provider: str) -> tuple[int, str]:
    known = PROVIDERS.index(provider) if provider in PROVIDERS else len(PROVIDERS)

    return known, provider


def _ordered(found: Iterable[str]) -> list[str]:
    """The four known providers always, in the spec's order, then any others."""
    return sorted({*PROVIDERS, *found}, key=_rank)
