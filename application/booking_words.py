"""What a person reads about a booking: confirmations, gone slots, steps by hand."""

from collections.abc import Sequence

from domain.models import DeepLink, LayerFailure, Reservation, Slot
from domain.validation import BookingInput
from domain.wording import provider_name


def spoken_time(slot: Slot) -> str:
    return slot.start.strftime("%I:%M %p").lstrip("0")


def confirmation_text(reservation: Reservation, calendar_link: str = "") -> str:
    """'Booked! Carbone, Saturday Feb 14 at 7:00 PM, party of 2' and what follows."""
    start = reservation.start
    if start is None:
        return ""
    when = start.strftime("%A %b ") + str(start.day) + " at "
    when += start.strftime("%I:%M %p").lstrip("0")
    lines = [
        f"Booked! {reservation.restaurant.name}, {when}, "
        f"party of {reservation.party_size}",
        f"Confirmation: {reservation.confirmation_id}",
    ]
    if calendar_link:
        lines += ["", f"Add to Google Calendar: {calendar_link}"]

    return "\n".join(lines)


def slot_gone_sentence(request: BookingInput, alternatives: Sequence[Slot]) -> str:
    when = request.at.strftime("%I:%M %p").lstrip("0") if request.at else "that time"
    text = f"That table at {when} is no longer available, so nothing was booked."
    if alternatives:
        times = ", ".join(spoken_time(s) for s in alternatives)
        text += f" The nearest free times, checked just now: {times}."
    else:
        text += " No other table is free that day for this party size."

    return text


def hand_booking_steps(
    request: BookingInput,
    links: Sequence[DeepLink],
    failures: Sequence[LayerFailure],
) -> str:
    """Why nothing was booked, and how a person can book it by hand."""
    reasons = " ".join(f.message for f in failures) or "No platform could take it."
    day = request.day.strftime("%A, %B ") + str(request.day.day) if request.day else ""
    at = request.at.strftime("%I:%M %p").lstrip("0") if request.at else ""
    steps = [f"I couldn't book {request.restaurant.name} automatically. {reasons}"]
    if links:
        first = links[0]
        steps += [
            "To book by hand:",
            f"1. Open {first.url}",
            f"2. Choose {day} at {at} for {request.party_size}.".replace("  ", " "),
            f"3. Enter {request.guest.name}'s name, phone and email.",
            f"4. Confirm; {provider_name(_provider(first))} shows the confirmation.",
        ]

    return "\n".join(steps)


def _provider(link: DeepLink) -> str:
    return link.platform.value if link.platform else "the restaurant"
