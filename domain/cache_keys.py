"""Canonical cache keys: equal questions share an entry, different ones never."""

from domain.models import AvailabilityQuery


def availability_key(provider: str, query: AvailabilityQuery) -> str:
    venue = {
        "resy": query.restaurant.resy_venue_id,
        "opentable": query.restaurant.opentable_slug.lower(),
    }.get(provider, query.restaurant.name.casefold())

    return f"availability:{provider}:{venue}:{query.day.isoformat()}:{query.party_size}"
