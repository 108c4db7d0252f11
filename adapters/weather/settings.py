"""What the OpenWeatherMap adapter needs: where OWM is, the key, when "now" ends."""

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class OpenWeatherMapSettings:
    """Where OpenWeatherMap is and how to call it; the key stays out of repr."""

    # No default base URL: the composition root picks the real host or the sandbox.
    base_url: str
    api_key: str = field(repr=False)
    timeout: float = 10.0
    # A `when` this close to now (either side) is answered with current weather.
    current_within: float = 3600.0
