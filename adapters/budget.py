"""Google Places within its monthly budget: once spent, calls are refused, not made."""

from collections.abc import Sequence

from adapters.places.masks import DETAILS_MASK, SEARCH_MASK
from adapters.places.prices import micros_per_call
from application.budget import next_month_start
from domain.errors import BudgetExceededError
from domain.models import Coordinates, Restaurant
from domain.money import format_usd
from domain.ports import BudgetHold, BudgetState, Clock, RestaurantDirectory
from domain.wording import provider_name


class BudgetedDirectory:
    """RestaurantDirectory decorator: each call holds its price first."""

    # The hold is taken before the call and released after it, when the
    # metered transport has put the call's real cost in the ledger (and so in
    # the budget). When the month's budget is spent no call is made:
    # BudgetExceededError says until when, and the use case serves its cache.
    # It wraps the resilient directory: a refusal never counts in a breaker.

    def __init__(
        self,
        inner: RestaurantDirectory,
        budgets: BudgetState,
        clock: Clock,
        *,
        search_micros: int | None = None,
        details_micros: int | None = None,
    ) -> None:
        self.provider = inner.provider
        self._inner = inner
        self._budgets = budgets
        self._clock = clock
        self._search_micros = (
            micros_per_call(SEARCH_MASK.sku) if search_micros is None else search_micros
        )
        self._details_micros = (
            micros_per_call(DETAILS_MASK.sku)
            if details_micros is None
            else details_micros
        )

    async def search(
        self, text: str, near: Coordinates | None, radius_m: float, limit: int
    ) -> Sequence[Restaurant]:
        hold = self._hold(self._search_micros)
        try:
            return await self._inner.search(text, near, radius_m, limit)
        finally:
            self._budgets.release(hold)

    async def details(self, place_id: str) -> Restaurant:
        hold = self._hold(self._details_micros)
        try:
            return await self._inner.details(place_id)
        finally:
            self._budgets.release(hold)

    def _hold(self, micros: int) -> BudgetHold:
        hold = self._budgets.hold(self.provider, micros)
        if hold is not None:
            return hold
        now = self._clock.now()
        until = next_month_start(now)
        status = self._budgets.status(self.provider)
        spent = format_usd(status.spent_micros) if status else "?"
        limit = format_usd(status.limit_micros) if status else "?"
        raise BudgetExceededError(
            f"the monthly {provider_name(self.provider)} budget of {limit} is "
            f"spent ({spent} this month), so only cached answers are served "
            f"until {until:%Y-%m-%d} 00:00 UTC",
            provider=self.provider,
            retry_after=(until - now).total_seconds(),
        )
