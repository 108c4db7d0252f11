"""The field masks the adapter sends, each stating the pricing SKU it implies."""

import enum
from collections.abc import Iterable
from dataclasses import dataclass


class Operation(enum.Enum):
    TEXT_SEARCH = "text_search"
    PLACE_DETAILS = "place_details"


# Google bills a call once, at the highest tier of any field in its mask
# (UPSTREAMS.md §3.5, web-service lists). A mask constant states its SKU and is
# checked against these tables when made, so statement and computation agree.
class Tier(enum.IntEnum):
    IDS_ONLY = 0
    ESSENTIALS = 1
    PRO = 2
    ENTERPRISE = 3
    ENTERPRISE_ATMOSPHERE = 4


def _tier(tier: Tier, names: str) -> dict[str, Tier]:
    return {name: tier for name in names.split()}


_ENTERPRISE = """
    currentOpeningHours currentSecondaryOpeningHours internationalPhoneNumber
    nationalPhoneNumber priceLevel priceRange rating regularOpeningHours
    regularSecondaryOpeningHours userRatingCount websiteUri
"""
_ATMOSPHERE = """
    allowsDogs curbsidePickup delivery dineIn editorialSummary
    evChargeAmenitySummary evChargeOptions fuelOptions generativeSummary
    goodForChildren goodForGroups goodForWatchingSports liveMusic
    menuForChildren neighborhoodSummary parkingOptions paymentOptions
    outdoorSeating reservable restroom reviews reviewSummary servesBeer
    servesBreakfast servesBrunch servesCocktails servesCoffee servesDessert
    servesDinner servesLunch servesVegetarianFood servesWine takeout
"""

# Text Search has no Essentials tier: address and location bill as Pro there.
_SEARCH_TIERS = {
    **_tier(Tier.IDS_ONLY, "attributions id name movedPlace movedPlaceId"),
    **_tier(
        Tier.PRO,
        """
        accessibilityOptions addressComponents addressDescriptor
        adrFormatAddress businessStatus containingPlaces displayName
        formattedAddress googleMapsLinks googleMapsUri iconBackgroundColor
        iconMaskBaseUri location openingDate photos plusCode postalAddress
        primaryType primaryTypeDisplayName pureServiceAreaBusiness
        shortFormattedAddress searchUri subDestinations timeZone types
        utcOffsetMinutes viewport
        """,
    ),
    **_tier(Tier.ENTERPRISE, _ENTERPRISE),
    **_tier(Tier.ENTERPRISE_ATMOSPHERE, _ATMOSPHERE + " routingSummaries"),
}
_SEARCH_TOP_LEVEL = {"nextPageToken": Tier.IDS_ONLY}

_DETAILS_TIERS = {
    **_tier(Tier.IDS_ONLY, "attributions id movedPlace movedPlaceId name photos"),
    **_tier(
        Tier.ESSENTIALS,
        """
        addressComponents addressDescriptor adrFormatAddress formattedAddress
        location plusCode postalAddress shortFormattedAddress types viewport
        """,
    ),
    **_tier(
        Tier.PRO,
        """
        accessibilityOptions businessStatus containingPlaces displayName
        googleMapsLinks googleMapsUri iconBackgroundColor iconMaskBaseUri
        openingDate primaryType primaryTypeDisplayName pureServiceAreaBusiness
        subDestinations timeZone utcOffsetMinutes
        """,
    ),
    **_tier(Tier.ENTERPRISE, _ENTERPRISE),
    **_tier(Tier.ENTERPRISE_ATMOSPHERE, _ATMOSPHERE),
}


def sku_name(operation: Operation, tier: Tier) -> str:
    """The ledger's name for a SKU, e.g. "places.text_search.enterprise"."""
    return f"places.{operation.value}.{tier.name.lower()}"


def field_tier(operation: Operation, path: str) -> Tier:
    """The billing tier of one mask path; ValueError for an unknown field."""
    if operation is Operation.TEXT_SEARCH:
        if path in _SEARCH_TOP_LEVEL:
            return _SEARCH_TOP_LEVEL[path]
        prefix, dot, rest = path.partition(".")
        if prefix != "places" or not dot:
            raise ValueError(f"search mask path {path!r} lacks the 'places.' prefix")
        table, name = _SEARCH_TIERS, rest.partition(".")[0]
    else:
        table, name = _DETAILS_TIERS, path.partition(".")[0]
    if name not in table:
        raise ValueError(f"{path!r} is not a {operation.value} field with a known tier")

    return table[name]


def implied_sku(operation: Operation, paths: Iterable[str]) -> str:
    """The SKU a mask bills at: "*" asks for everything, so the top tier."""
    listed = list(paths)
    if not listed:
        raise ValueError("a field mask needs at least one field")
    if "*" in listed:
        return sku_name(operation, Tier.ENTERPRISE_ATMOSPHERE)

    return sku_name(operation, max(field_tier(operation, p) for p in listed))


def sku_of_header(operation: Operation, header: str) -> str:
    """The SKU an X-Goog-FieldMask value bills at."""
    return implied_sku(operation, [p.strip() for p in header.split(",") if p.strip()])


@dataclass(frozen=True, slots=True)
class FieldMask:
    """A mask the adapter sends; `sku` is stated, and checked, not inferred."""

    operation: Operation
    paths: tuple[str, ...]
    sku: str

    def __post_init__(self) -> None:
        if "*" in self.paths:
            raise ValueError("the adapter never sends the '*' field mask")
        implied = implied_sku(self.operation, self.paths)
        if implied != self.sku:
            stated = f"mask states {self.sku!r}"
            raise ValueError(f"{stated} but its fields bill at {implied!r}")

    @property
    def header(self) -> str:
        return ",".join(self.paths)


# Enterprise because the directory shows rating, price level, website and phone;
# timeZone, utcOffsetMinutes and businessStatus are Pro and so cost nothing more.
# No Atmosphere field (reservable, reviews, serves*): that would bill $40.
_RESTAURANT_FIELDS = (
    "id",
    "displayName",
    "formattedAddress",
    "location",
    "types",
    "primaryType",
    "businessStatus",
    "timeZone",
    "utcOffsetMinutes",
    "rating",
    "userRatingCount",
    "priceLevel",
    "websiteUri",
    "internationalPhoneNumber",
    "nationalPhoneNumber",
)

SEARCH_MASK = FieldMask(
    Operation.TEXT_SEARCH,
    tuple(f"places.{name}" for name in _RESTAURANT_FIELDS),
    sku="places.text_search.enterprise",
)
DETAILS_MASK = FieldMask(
    Operation.PLACE_DETAILS,
    _RESTAURANT_FIELDS,
    sku="places.place_details.enterprise",
)
