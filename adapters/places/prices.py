"""Google Places prices per SKU, versioned, as decimal strings per 1,000 calls."""

from dataclasses import dataclass
from decimal import Decimal

PRICE_TABLE_VERSION = "2025-03-01"
PRICE_TABLE_SOURCE = (
    "Google Maps Platform global price list, 0-100k monthly band, in force "
    "since 2025-03-01; compiled in UPSTREAMS.md §3.5 on 2026-12-04"
)
_MICROS_PER_USD = 1_000_000


@dataclass(frozen=True, slots=True)
class SkuPrice:
    """List price per 1,000 billable calls and the free calls per month (None: all)."""

    usd_per_1000: str
    free_per_month: int | None


PLACES_PRICES: dict[str, SkuPrice] = {
    "places.text_search.ids_only": SkuPrice("0", None),
    "places.text_search.pro": SkuPrice("32.00", 5_000),
    "places.text_search.enterprise": SkuPrice("35.00", 1_000),
    "places.text_search.enterprise_atmosphere": SkuPrice("40.00", 1_000),
    "places.place_details.ids_only": SkuPrice("0", None),
    "places.place_details.essentials": SkuPrice("5.00", 10_000),
    "places.place_details.pro": SkuPrice("17.00", 5_000),
    "places.place_details.enterprise": SkuPrice("20.00", 1_000),
    "places.place_details.enterprise_atmosphere": SkuPrice("25.00", 1_000),
}


def micros_per_call(sku: str) -> int:
    """One call's list price in integer micro-dollars; exact or a ValueError."""
    price = PLACES_PRICES.get(sku)
    if price is None:
        raise ValueError(f"no price for SKU {sku!r} in table {PRICE_TABLE_VERSION}")
    micros = Decimal(price.usd_per_1000) * _MICROS_PER_USD / 1000
    if micros != micros.to_integral_value():
        raise ValueError(f"{sku!r} costs a fraction of a micro-dollar per call")

    return int(micros)
