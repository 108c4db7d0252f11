"""Calendar adapters: the .ics file (icalendar) and Google Calendar v3 (httpx)."""
