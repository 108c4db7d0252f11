"""Errors the resilience layer raises itself, as subclasses of the domain's."""

from domain.errors import UpstreamTimeoutError


class DeadlineExceededError(UpstreamTimeoutError):
    """The caller's deadline had passed before an attempt could start.

    Nothing was sent, so it is never retried and a breaker counts it as
    neither a failure nor a success; use cases see an `UpstreamTimeoutError`.
    """

    def __init__(self, provider: str) -> None:
        super().__init__(
            "the caller's deadline passed before the upstream could be asked",
            provider=provider,
            maybe_received=False,
        )
