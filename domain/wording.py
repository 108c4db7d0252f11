"""The sentences a person reads: ages, disclaimers, provider names."""

PROVIDER_NAMES = {
    "resy": "Resy",
    "opentable": "OpenTable",
    "google_places": "Google Places",
    "weather": "OpenWeatherMap",
    "calendar": "Google Calendar",
}


def provider_name(provider: str) -> str:
    return PROVIDER_NAMES.get(provider, provider or "the booking platform")


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


def describe_age(seconds: float) -> str:
    """'just now', '40 seconds ago', '20 minutes ago', '2 hours 5 minutes ago'."""
    whole = max(0, int(seconds))
    if whole < 1:
        return "just now"
    if whole < 60:
        return _plural(whole, "second") + " ago"
    minutes = whole // 60
    if minutes < 60:
        return _plural(minutes, "minute") + " ago"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        text = _plural(hours, "hour")
        if minutes:
            text += " " + _plural(minutes, "minute")
        return text + " ago"

    return _plural(hours // 24, "day") + " ago"


def stale_disclaimer(age_seconds: float, provider: str) -> str:
    age = describe_age(age_seconds)
    when = "were fetched just now" if age == "just now" else f"are from {age}"

    return (
        f"Note: These time slots {when} and may have changed. "
        f"I couldn't reach {provider_name(provider)} to get fresh data."
    )
