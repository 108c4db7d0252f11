"""The calendar's part of the composition root: link and .ics always, sync when on."""

from datetime import timedelta

from dependency_injector import containers, providers

from adapters.calendar.google_calendar import GoogleCalendarSync, calendar_operation
from adapters.calendar.ics import IcalendarIcs
from adapters.calendar.resilient import ResilientCalendarSync
from adapters.calendar.settings import GoogleCalendarSettings
from adapters.metering import MeteredTransport
from adapters.storage.calendar_sync import SqlCalendarSyncStore
from application.calendar import ReservationCalendar
from application.calendar_sync import CalendarSyncer, SyncPolicy
from domain.calendar import EventShape
from entrypoints.config import Settings

MAX_REMINDER_MINUTES = 40320  # Google's limit: four weeks


def event_shape(settings: Settings) -> EventShape:
    minutes = settings.calendar_event_minutes
    reminder = settings.calendar_reminder_minutes
    if minutes < 1:
        raise ValueError(f"RESGW_CALENDAR_EVENT_MINUTES must be >= 1, got {minutes}")
    if not 0 <= reminder <= MAX_REMINDER_MINUTES:
        raise ValueError(
            f"RESGW_CALENDAR_REMINDER_MINUTES must be from 0 to "
            f"{MAX_REMINDER_MINUTES}, got {reminder}"
        )

    return EventShape(timedelta(minutes=minutes), reminder)


def sync_policy(settings: Settings) -> SyncPolicy:
    return SyncPolicy(
        max_attempts=max(1, settings.calendar_sync_max_attempts),
        retry_base=settings.calendar_sync_retry_base,
        poll_interval=settings.calendar_sync_poll,
    )


def google_settings(settings: Settings) -> GoogleCalendarSettings:
    client_id, secret, refresh_token = settings.effective_calendar_credentials

    return GoogleCalendarSettings(
        base_url=settings.effective_calendar_base_url,
        token_url=settings.effective_calendar_token_url,
        client_id=client_id,
        client_secret=secret,
        refresh_token=refresh_token,
        calendar_id=settings.calendar_id,
        timeout=settings.calendar_timeout,
    )


def sync_switch(settings: Settings) -> str:
    return "off" if settings.calendar_sync_mode == "off" else "on"


class CalendarRuntime:
    """What a serving process starts and stops: the worker and its HTTP client."""

    def __init__(
        self, syncer: CalendarSyncer | None, client: GoogleCalendarSync | None
    ) -> None:
        self.syncer = syncer
        self._client = client

    async def start(self) -> None:
        if self.syncer is not None:
            self.syncer.start()

    async def stop(self) -> None:
        if self.syncer is not None:
            await self.syncer.stop()
        if self._client is not None:
            await self._client.aclose()


class CalendarContainer(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    clock = providers.Dependency()
    ledger = providers.Dependency()
    breakers = providers.Dependency()
    engine = providers.Dependency()
    reservations = providers.Dependency()

    shape = providers.Singleton(event_shape, settings)
    records = providers.Singleton(SqlCalendarSyncStore, engine=engine)
    ics = providers.Singleton(IcalendarIcs)

    # Built only when sync is on: with it off nothing here is ever made.
    transport = providers.Singleton(
        MeteredTransport,
        provider="calendar",
        ledger=ledger,
        clock=clock,
        operation_of=providers.Object(calendar_operation),
    )
    google = providers.Singleton(
        GoogleCalendarSync,
        settings=providers.Singleton(google_settings, settings),
        clock=clock,
        transport=transport,
    )
    sync = providers.Singleton(
        ResilientCalendarSync,
        inner=google,
        resilience=breakers.provided.resilience.call("calendar"),
    )
    switch = providers.Callable(sync_switch, settings)
    syncer = providers.Selector(
        switch,
        on=providers.Singleton(
            CalendarSyncer,
            sync=sync,
            records=records,
            reservations=reservations,
            clock=clock,
            policy=providers.Singleton(sync_policy, settings),
            shape=shape,
        ),
        off=providers.Object(None),
    )
    reservation_calendar = providers.Singleton(
        ReservationCalendar,
        reservations=reservations,
        records=records,
        ics=ics,
        clock=clock,
        syncer=syncer,
        shape=shape,
    )
    runtime = providers.Selector(
        switch,
        on=providers.Singleton(CalendarRuntime, syncer=syncer, client=google),
        off=providers.Singleton(CalendarRuntime, syncer=None, client=None),
    )
