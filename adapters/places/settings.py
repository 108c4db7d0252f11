"""What the Places adapter needs to know: where Google is and which key to send."""

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class PlacesSettings:
    """Where Places is and how to call it; the key stays out of repr."""

    # No default base URL: the composition root picks the real host or the sandbox.

    base_url: str
    api_key: str = field(repr=False)
    timeout: float = 10.0
    language_code: str = "en"
    region_code: str = ""
