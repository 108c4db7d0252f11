"""Monthly spending limits per provider: a hold before each call, spend from rows."""

import logging
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from domain.models import ApiCall
from domain.ports import BudgetHold, BudgetStatus, Clock, CostReport

logger = logging.getLogger(__name__)

THRESHOLDS = (80, 100)


def month_of(at: datetime) -> str:
    """The UTC month of an aware time: "2027-01"."""
    return at.astimezone(UTC).strftime("%Y-%m")


def month_start(at: datetime) -> datetime:
    """Midnight UTC on the first day of `at`'s UTC month."""
    utc = at.astimezone(UTC)

    return datetime(utc.year, utc.month, 1, tzinfo=UTC)


def next_month_start(at: datetime) -> datetime:
    utc = at.astimezone(UTC)
    year, month = (utc.year + 1, 1) if utc.month == 12 else (utc.year, utc.month + 1)

    return datetime(year, month, 1, tzinfo=UTC)


class MonthlyBudgets:
    """The BudgetState port: a limit per provider, spent counted from ledger rows."""

    # `observe` must see every ledger row as it is recorded (a ledger tap).
    # A call is admitted while spent + held < limit and holds its price until
    # `release`; so however many calls run at once, a month overspends by less
    # than one call's price. Call everything from the event loop's thread:
    # no await between the check and the hold makes them atomic. At 80 % and
    # 100 % of a limit `budget.threshold_reached` is logged once a UTC month.

    def __init__(
        self,
        limits: Mapping[str, int],
        clock: Clock,
        thresholds: Iterable[int] = THRESHOLDS,
    ) -> None:
        for provider, limit in limits.items():
            if type(limit) is not int or limit < 0:
                raise ValueError(f"{provider} budget must be micro-dollars >= 0")
        self._limits = dict(limits)
        self._clock = clock
        self._thresholds = tuple(sorted(thresholds))
        self._month = month_of(clock.now())
        self._spent = dict.fromkeys(self._limits, 0)
        self._held = dict.fromkeys(self._limits, 0)
        self._reached: set[tuple[str, int]] = set()

    async def load(self, report: CostReport) -> None:
        """Start from this month's spend in the ledger (once, at startup)."""
        # Thresholds already passed are not logged again as reached;
        # `budget.loaded` says where each budget stands instead.
        if not self._limits:
            return
        now = self._clock.now()
        self._roll(month_of(now))
        for totals in await report.totals(month_start(now), now):
            if totals.provider in self._limits:
                self._spent[totals.provider] = totals.cost_micros
        for provider, limit in self._limits.items():
            passed = [t for t in self._thresholds if self._passed(provider, t)]
            self._reached.update((provider, t) for t in passed)
            logger.info(
                "budget.loaded",
                extra={
                    "provider": provider,
                    "month": self._month,
                    "spent_micros": self._spent[provider],
                    "limit_micros": limit,
                    "thresholds_passed": passed,
                },
            )

    def observe(self, call: ApiCall) -> None:
        """Count a ledger row's cost against its provider's month."""
        provider = call.provider
        if not call.cost_micros or provider not in self._limits:
            return
        month = month_of(call.at)
        if month < self._month:
            return
        self._roll(month)
        self._spent[provider] += call.cost_micros
        self._announce(provider)

    def status(self, provider: str) -> BudgetStatus | None:
        self._roll(month_of(self._clock.now()))
        limit = self._limits.get(provider)
        if limit is None:
            return None

        return BudgetStatus(
            provider, self._month, limit, self._spent[provider], self._held[provider]
        )

    def statuses(self) -> list[BudgetStatus]:
        found = (self.status(provider) for provider in sorted(self._limits))

        return [status for status in found if status is not None]

    def hold(self, provider: str, micros: int) -> BudgetHold | None:
        self._roll(month_of(self._clock.now()))
        limit = self._limits.get(provider)
        if limit is None:
            return BudgetHold(provider, self._month, 0)
        if self._spent[provider] + self._held[provider] >= limit:
            logger.debug(
                "budget.call_refused",
                extra={"provider": provider, "month": self._month},
            )
            return None
        self._held[provider] += micros

        return BudgetHold(provider, self._month, micros)

    def release(self, hold: BudgetHold) -> None:
        # A hold from a month already over was dropped when the month rolled.
        if hold.micros and hold.month == self._month and hold.provider in self._held:
            left = self._held[hold.provider] - hold.micros
            self._held[hold.provider] = max(0, left)

    def _roll(self, month: str) -> None:
        if month <= self._month:
            return
        self._month = month
        self._spent = dict.fromkeys(self._limits, 0)
        self._held = dict.fromkeys(self._limits, 0)
        self._reached.clear()
        logger.info("budget.month_started", extra={"month": month})

    def _passed(self, provider: str, threshold: int) -> bool:
        return self._spent[provider] * 100 >= self._limits[provider] * threshold

    def _announce(self, provider: str) -> None:
        for threshold in self._thresholds:
            if (provider, threshold) in self._reached:
                continue
            if not self._passed(provider, threshold):
                return
            self._reached.add((provider, threshold))
            logger.warning(
                "budget.threshold_reached",
                extra={
                    "provider": provider,
                    "threshold_percent": threshold,
                    "month": self._month,
                    "spent_micros": self._spent[provider],
                    "limit_micros": self._limits[provider],
                },
            )
