"""Links a person can click to book by hand when automation cannot."""

from datetime import date, time
from urllib.parse import quote, urlencode, urlsplit

from domain.models import DeepLink, Platform, RestaurantRef

_RESY = "https://resy.com"
_OPENTABLE = "https://www.opentable.com"


def _is_slug(value: str) -> bool:
    # A numeric venue id is not a Resy page; a slug has at least one letter.
    return bool(value) and not value.isdigit() and "/" not in value


def resy_link(restaurant: RestaurantRef, day: date, party_size: int) -> DeepLink | None:
    if not (_is_slug(restaurant.resy_url_slug) and _is_slug(restaurant.resy_city)):
        return None
    path = "/cities/{}/venues/{}".format(
        quote(restaurant.resy_city, safe=""), quote(restaurant.resy_url_slug, safe="")
    )
    query = urlencode({"date": day.isoformat(), "seats": party_size})

    return DeepLink("Resy", f"{_RESY}{path}?{query}", Platform.RESY)


def opentable_link(
    restaurant: RestaurantRef, day: date, party_size: int, at: time | None
) -> DeepLink | None:
    if not _is_slug(restaurant.opentable_slug):
        return None
    when = f"{day.isoformat()}T{(at or time(19, 0)).strftime('%H:%M')}"
    path = "/r/" + quote(restaurant.opentable_slug, safe="")
    query = urlencode({"covers": party_size, "dateTime": when})

    return DeepLink("OpenTable", f"{_OPENTABLE}{path}?{query}", Platform.OPENTABLE)


def website_link(restaurant: RestaurantRef) -> DeepLink | None:
    parts = urlsplit(restaurant.website.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None

    return DeepLink("Website", parts.geturl())


def deep_links(
    restaurant: RestaurantRef, day: date, party_size: int, at: time | None = None
) -> tuple[DeepLink, ...]:
    """Every link that can be made for this restaurant, most useful first."""
    links = (
        resy_link(restaurant, day, party_size),
        opentable_link(restaurant, day, party_size, at),
        website_link(restaurant),
    )

    return tuple(link for link in links if link is not None)
