"""Turn an upstream error into a reason code and the sentence a person reads.

The gRPC error mapping and the fallback chain's per-layer failures both use
this, so a caller sees the same words whichever way an error reaches it.
"""

import math
from dataclasses import dataclass

from domain.errors import (
    APIError,
    AuthError,
    BudgetExceededError,
    CAPTCHAError,
    CircuitOpenError,
    PermanentAPIError,
    SchemaChangeError,
    TransientAPIError,
    UpstreamTimeoutError,
)
from domain.models import DeepLink, LayerFailure
from domain.wording import provider_name

CREDENTIAL_SETTINGS = {
    "resy": "RESGW_RESY_API_KEY and RESGW_RESY_AUTH_TOKEN",
    "google_places": "RESGW_GOOGLE_PLACES_API_KEY",
    "weather": "RESGW_OPENWEATHER_API_KEY",
    "calendar": "RESGW_CALENDAR_REFRESH_TOKEN",
}


@dataclass(frozen=True, slots=True)
class Explanation:
    reason: str
    sentence: str
    retry_after: float | None


def _wait_words(seconds: float) -> str:
    whole = max(1, math.ceil(seconds))
    if whole < 90:
        return f"{whole} seconds"
    return f"{math.ceil(whole / 60)} minutes"


def _link_clause(link: DeepLink | None, lead: str) -> str:
    return f" {lead}: {link.url}" if link else ""


def explain(error: APIError, link: DeepLink | None = None) -> Explanation:
    """The reason code, sentence and retry delay for one error."""
    name = provider_name(error.provider)
    retry = error.retry_after

    if isinstance(error, BudgetExceededError):
        sentence = f"{name} was not asked: {error.message}."
        return Explanation("BUDGET_EXCEEDED", sentence, retry)
    if isinstance(error, CircuitOpenError):
        wait = _wait_words(retry) if retry is not None else "a few minutes"
        sentence = (
            f"{name} appears to be down. I'll check again in {wait}."
            + _link_clause(link, "Meanwhile, here's a direct link")
        )
        return Explanation("CIRCUIT_OPEN", sentence, retry)
    if isinstance(error, AuthError):
        setting = CREDENTIAL_SETTINGS.get(error.provider, "the credentials")
        sentence = (
            f"Your {name} credentials may have expired. "
            f"Set new ones in {setting} and restart the gateway to re-authenticate."
        )
        return Explanation("UPSTREAM_AUTH_FAILED", sentence, None)
    if isinstance(error, CAPTCHAError):
        sentence = f"{name} is asking for CAPTCHA verification." + _link_clause(
            link, "Here's a direct link to book manually"
        )
        return Explanation("UPSTREAM_CAPTCHA", sentence, None)
    if isinstance(error, SchemaChangeError):
        sentence = (
            f"{name} may have updated their system. "
            "Falling back to another way of checking."
        )
        return Explanation("UPSTREAM_SCHEMA_CHANGED", sentence, None)
    if isinstance(error, UpstreamTimeoutError):
        sentence = f"{name} did not answer in time. Try again in a moment."
        return Explanation("UPSTREAM_TIMEOUT", sentence, retry)
    if isinstance(error, TransientAPIError):
        when = f"in {_wait_words(retry)}" if retry is not None else "in a moment"
        sentence = f"{name} is temporarily unavailable. Try again {when}."
        return Explanation("UPSTREAM_UNAVAILABLE", sentence, retry)
    if isinstance(error, PermanentAPIError):
        sentence = f"{name} refused the request: {error.message}"
        return Explanation("UPSTREAM_REJECTED", sentence, None)

    return Explanation("UPSTREAM_ERROR", f"{name} failed: {error.message}", None)


def layer_failure(error: APIError, link: DeepLink | None = None) -> LayerFailure:
    told = explain(error, link)

    return LayerFailure(error.provider, told.reason, told.sentence, told.retry_after)
