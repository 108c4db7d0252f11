"""Each upstream request's timeout: its own, cut short by the caller's deadline."""

from domain import context
from domain.errors import UpstreamTimeoutError
from domain.ports import Clock
from domain.wording import provider_name


def time_left(timeout: float, clock: Clock, provider: str) -> float:
    """Seconds the next request may take; raises, sending nothing, if none."""
    deadline = context.deadline.get()
    if deadline is None:
        return timeout
    left = deadline - clock.monotonic()
    if left <= 0:
        raise UpstreamTimeoutError(
            "no time was left before the caller's deadline; "
            f"{provider_name(provider)} was not asked",
            provider=provider,
            maybe_received=False,
        )

    return min(timeout, left)
