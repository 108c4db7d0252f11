"""Canonical cache keys: equal questions share an entry, different ones never."""

from domain.models import AvailabilityQuery, Coordinates


def availability_key(provider: str, query: AvailabilityQuery) -> str:
    venue = {
        "resy": query.restaurant.resy_venue_id,
        "opentable": query.restaurant.opentable_slug.lower(),
    }.get(provider, query.restaurant.name.casefold())

    return f"availability:{provider}:{venue}:{query.day.isoformat()}:{query.party_size}"


def normalise_text(text: str) -> str:
    return " ".join(text.casefold().split())


def search_key(text: str, near: Coordinates | None, radius_m: float, limit: int) -> str:
    # About 110 m of latitude per 0.001 degree: close enough to share answers.
    where = f"{near.latitude:.3f},{near.longitude:.3f}" if near else "anywhere"
    return f"search:{normalise_text(text)}:{where}:{int(radius_m)}:{limit}"


def place_key(place_id: str) -> str:
    return f"place:{place_id}"


def weather_key(at: Coordinates, when_hour: str) -> str:
    return f"weather:{at.latitude:.2f},{at.longitude:.2f}:{when_hour}"
