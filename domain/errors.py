"""The error hierarchy every adapter speaks and every use case understands."""

from dataclasses import dataclass


class APIError(Exception):
    """An upstream call did not give a usable answer."""

    def __init__(
        self,
        message: str,
        status_code: int | None = None,
        *,
        provider: str = "",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.provider = provider
        self.retry_after = retry_after


class TransientAPIError(APIError):
    """Worth retrying: 429, 5xx, a timeout, a dropped connection."""


class UpstreamTimeoutError(TransientAPIError):
    """The upstream did not answer in time.

    `maybe_received` is true when the request may have reached the upstream
    (it was sent before the timeout), so a write must not be re-sent blind.
    """

    def __init__(
        self, message: str, *, provider: str = "", maybe_received: bool = True
    ) -> None:
        super().__init__(message, None, provider=provider)
        self.maybe_received = maybe_received


class PermanentAPIError(APIError):
    """Not worth retrying: the request itself was refused (400, 404, ...)."""


class SlotGoneError(PermanentAPIError):
    """The slot was taken before we could book it (404, 410, 412 at book)."""


class AuthError(PermanentAPIError):
    """The upstream refused our credentials (401, 403, Resy's 419)."""


class SchemaChangeError(APIError):
    """The upstream answered in a shape we do not recognise."""


class CAPTCHAError(APIError):
    """A bot wall or CAPTCHA stood between us and the answer."""


class CircuitOpenError(APIError):
    """The breaker for this upstream is open; no call was made."""


@dataclass(frozen=True, slots=True)
class FieldViolation:
    field: str
    description: str


class InvalidRequestError(Exception):
    """The caller's request is malformed; nothing was done."""

    def __init__(self, violations: list[FieldViolation]) -> None:
        self.violations = tuple(violations)
        super().__init__(
            "; ".join(f"{v.field}: {v.description}" for v in self.violations)
        )


class NotFoundError(Exception):
    """The thing the caller named does not exist here."""


class PreconditionError(Exception):
    """The request is well-formed but the thing it names is in the wrong state."""


class BudgetExceededError(APIError):
    """The provider's monthly budget is spent: no call was made."""

    # `retry_after` is the number of seconds until the next UTC month begins.
