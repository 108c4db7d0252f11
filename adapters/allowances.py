"""Free monthly allowances: Places per SKU from its price table; OpenWeatherMap."""

from adapters.places.prices import PLACES_PRICES
from application.costs import ANY_SKU, FreeAllowance

# OpenWeatherMap's free plan: 1,000,000 calls a month over current weather and
# the 5-day/3-hour forecast, the two products the adapter uses (UPSTREAMS.md §4.4).
OPENWEATHERMAP_FREE_PER_MONTH = 1_000_000


def free_allowances() -> tuple[FreeAllowance, ...]:
    """Every allowance the cost report tracks."""
    places = tuple(
        FreeAllowance("google_places", sku, price.free_per_month)
        for sku, price in sorted(PLACES_PRICES.items())
    )

    return (*places, FreeAllowance("weather", ANY_SKU, OPENWEATHERMAP_FREE_PER_MONTH))
