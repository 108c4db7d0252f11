"""Configuration from RESGW_* environment variables, each with its default."""

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from adapters.resilience.policy import DEFAULT_POLICIES, UpstreamPolicy
from adapters.storage.engine import default_sqlite_url
from application.check_availability import AvailabilityPolicy
from domain.money import parse_usd
from entrypoints.sandbox import calendar as sandbox_calendar
from entrypoints.sandbox.faults import parse_spec
from entrypoints.sandbox.resy_booking import (
    SANDBOX_AUTH_TOKEN as SANDBOX_RESY_AUTH_TOKEN,
)
from entrypoints.sandbox.server import installed_upstreams

PREFIX = "RESGW_"
RESY_PUBLIC_BASE_URL = "https://api.resy.com"
PLACES_PUBLIC_BASE_URL = "https://places.googleapis.com"
OPENWEATHER_PUBLIC_BASE_URL = "https://api.openweathermap.org"
OPENTABLE_PUBLIC_BASE_URL = "https://www.opentable.com"
# Used only when calendar credentials are set (RESGW_CALENDAR_SYNC=auto).
CALENDAR_PUBLIC_BASE_URL = "https://www.googleapis.com"
CALENDAR_PUBLIC_TOKEN_URL = "https://oauth2.googleapis.com/token"
CALENDAR_SYNC_MODES = ("auto", "sandbox", "off")


@dataclass(frozen=True)
class Settings:
    grpc_address: str = "127.0.0.1:50051"
    data_dir: Path = Path("data")
    database_url: str = ""
    log_format: str = "text"
    log_level: str = "INFO"
    shutdown_grace: float = 10.0
    sandbox_address: str = "127.0.0.1:50080"
    sandbox_faults: str = ""
    resy_base_url: str = RESY_PUBLIC_BASE_URL
    resy_api_key: str = field(default="", repr=False)
    resy_auth_token: str = field(default="", repr=False)
    resy_timeout: float = 5.0
    google_places_base_url: str = PLACES_PUBLIC_BASE_URL
    google_places_api_key: str = field(default="", repr=False)
    google_places_timeout: float = 5.0
    openweather_base_url: str = OPENWEATHER_PUBLIC_BASE_URL
    openweather_api_key: str = field(default="", repr=False)
    openweather_timeout: float = 5.0
    opentable_base_url: str = ""
    opentable_executable_path: str = ""
    opentable_max_concurrency: int = 2
    opentable_step_timeout: float = 10.0
    booking_pending_grace: float = 120.0
    breaker_redis_url: str = field(default="", repr=False)
    breaker_redis_namespace: str = "resgw:breaker"
    hot_cache_max_entries: int = 10_000
    hot_cache_keep_for: float = 300.0
    negative_cache_keep_for: float = 60.0
    availability_fresh_for: float = 600.0
    availability_stale_for: float = 7200.0
    http_address: str = "127.0.0.1:8080"
    budget_google_places_usd: str = ""
    calendar_sync: str = "auto"
    calendar_client_id: str = ""
    calendar_client_secret: str = field(default="", repr=False)
    calendar_refresh_token: str = field(default="", repr=False)
    calendar_id: str = "primary"
    calendar_base_url: str = CALENDAR_PUBLIC_BASE_URL
    calendar_token_url: str = CALENDAR_PUBLIC_TOKEN_URL
    calendar_timeout: float = 10.0
    calendar_event_minutes: int = 120
    calendar_reminder_minutes: int = 120
    calendar_sync_max_attempts: int = 10
    calendar_sync_retry_base: float = 30.0
    calendar_sync_poll: float = 30.0
    policies: Mapping[str, UpstreamPolicy] = field(
        default_factory=lambda: dict(DEFAULT_POLICIES)
    )

    @property
    def sandboxed(self) -> tuple[str, ...]:
        """The upstreams with no credentials, which the local sandbox imitates."""
        missing = {
            "resy": not self.resy_api_key,
            "google_places": not self.google_places_api_key,
            "weather": not self.openweather_api_key,
            "opentable": not self.opentable_base_url,
            "calendar": self.calendar_sync_mode == "sandbox",
        }
        return tuple(name for name, absent in missing.items() if absent)

    @property
    def sandbox_mode(self) -> bool:
        """Some upstream has no credentials: the sandbox is started for it."""
        return bool(self.sandboxed)

    @property
    def sandbox_base_url(self) -> str:
        return f"http://{self.sandbox_address}"

    def _pick(self, upstream: str, real: str) -> str:
        return self.sandbox_base_url if upstream in self.sandboxed else real

    @property
    def effective_resy_base_url(self) -> str:
        return self._pick("resy", self.resy_base_url)

    @property
    def effective_resy_api_key(self) -> str:
        return self.resy_api_key or "sandbox-public-key"

    @property
    def effective_resy_auth_token(self) -> str:
        if "resy" in self.sandboxed and not self.resy_auth_token:
            return SANDBOX_RESY_AUTH_TOKEN
        return self.resy_auth_token

    @property
    def effective_places_base_url(self) -> str:
        return self._pick("google_places", self.google_places_base_url)

    @property
    def effective_places_api_key(self) -> str:
        return self.google_places_api_key or "sandbox-places-key"

    @property
    def effective_openweather_base_url(self) -> str:
        return self._pick("weather", self.openweather_base_url)

    @property
    def effective_openweather_api_key(self) -> str:
        return self.openweather_api_key or "5a4db0c1e2f3a4b5c6d7e8f9a0b1c2d3"

    @property
    def effective_opentable_base_url(self) -> str:
        return self.opentable_base_url or self.sandbox_base_url

    @property
    def calendar_sync_mode(self) -> str:
        """Google only with all three credentials, the sandbox on request, or off."""
        mode = self.calendar_sync.lower()
        if mode not in CALENDAR_SYNC_MODES:
            raise ValueError(
                f"{PREFIX}CALENDAR_SYNC must be one of {', '.join(CALENDAR_SYNC_MODES)}"
                f", got {self.calendar_sync!r}"
            )
        if mode != "auto":
            return mode
        secrets = (self.calendar_client_secret, self.calendar_refresh_token)
        return "google" if self.calendar_client_id and all(secrets) else "off"

    @property
    def effective_calendar_base_url(self) -> str:
        """Google's only when its credentials are set; the sandbox otherwise."""
        if self.calendar_sync_mode == "google":
            return self.calendar_base_url
        return self.sandbox_base_url

    @property
    def effective_calendar_token_url(self) -> str:
        if self.calendar_sync_mode == "google":
            return self.calendar_token_url
        return self.sandbox_base_url + sandbox_calendar.TOKEN_PATH

    @property
    def effective_calendar_credentials(self) -> tuple[str, str, str]:
        """Client id, client secret and refresh token (the sandbox's own there)."""
        if self.calendar_sync_mode != "google":
            return (
                sandbox_calendar.SANDBOX_CLIENT_ID,
                sandbox_calendar.SANDBOX_CLIENT_SECRET,
                sandbox_calendar.SANDBOX_REFRESH_TOKEN,
            )
        return (
            self.calendar_client_id,
            self.calendar_client_secret,
            self.calendar_refresh_token,
        )

    def __post_init__(self) -> None:
        # A bad budget amount stops the gateway at start, naming its variable.
        _ = self.budgets
        self.calendar_sync_mode  # noqa: B018 - so does an unknown sync mode
        _check_address("GRPC_ADDRESS", self.grpc_address)
        _check_address("SANDBOX_ADDRESS", self.sandbox_address)
        if self.http_address.lower() != "off":
            _check_address("HTTP_ADDRESS", self.http_address)
        if self.log_format not in ("text", "json"):
            raise ValueError(
                f"{PREFIX}LOG_FORMAT must be text or json, got {self.log_format!r}"
            )
        try:
            extras = {u.name: u.extra_faults for u in installed_upstreams()}
            parse_spec(self.sandbox_faults, extras)
        except ValueError as error:
            raise ValueError(f"{PREFIX}SANDBOX_FAULTS: {error}") from error
        try:
            AvailabilityPolicy(self.availability_fresh_for, self.availability_stale_for)
        except ValueError as error:
            names = f"{PREFIX}AVAILABILITY_FRESH_FOR / {PREFIX}AVAILABILITY_STALE_FOR"
            raise ValueError(f"{names}: {error}") from error

    @property
    def budgets(self) -> dict[str, int]:
        """Monthly budgets in micro-dollars by provider; none unless set."""
        raw = self.budget_google_places_usd
        if not raw:
            return {}
        try:
            return {"google_places": parse_usd(raw)}
        except ValueError as error:
            raise ValueError(f"{PREFIX}BUDGET_GOOGLE_PLACES_USD: {error}") from None

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return default_sqlite_url(self.data_dir)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        source = os.environ if env is None else env
        values: dict[str, object] = {}
        for name, spec in cls.__dataclass_fields__.items():
            if name == "policies":
                continue
            raw = source.get(PREFIX + name.upper())
            if raw is None or raw == "":
                continue
            values[name] = _convert(name, raw, spec.default)

        values["policies"] = policies_from_env(source)

        return cls(**values)  # type: ignore[arg-type]


POLICY_FIELDS = (
    "max_attempts",
    "min_wait",
    "max_wait",
    "multiplier",
    "jitter",
    "fail_max",
    "reset_timeout",
    "retry_budget_ratio",
    "attempt_timeout",
)


def policies_from_env(env: Mapping[str, str]) -> dict[str, UpstreamPolicy]:
    """Each upstream's policy, with RESGW_<UPSTREAM>_<FIELD> overrides."""
    policies = {}
    for name, policy in DEFAULT_POLICIES.items():
        changes: dict[str, object] = {}
        for attribute in POLICY_FIELDS:
            key = f"{PREFIX}{name.upper()}_{attribute.upper()}"
            raw = env.get(key, "")
            if raw:
                default = getattr(policy, attribute)
                changes[attribute] = _convert(
                    f"{name}_{attribute}", raw, 1.0 if default is None else default
                )
        try:
            policies[name] = dataclasses.replace(policy, **changes)  # type: ignore[arg-type]
        except ValueError as error:
            named = ", ".join(f"{PREFIX}{name.upper()}_{a.upper()}" for a in changes)
            raise ValueError(f"{named}: {error}") from error

    return policies


def _check_address(name: str, address: str) -> None:
    """host:port with a numeric port, or [v6]:port; nothing is looked up."""
    host, colon, port = address.rpartition(":")
    if not (colon and host and port.isdigit() and 0 < int(port) < 65536):
        raise ValueError(f"{PREFIX}{name} must be host:port, got {address!r}")


def _convert(name: str, raw: str, default: object) -> object:
    try:
        if isinstance(default, bool):
            return raw.strip().lower() in ("1", "true", "yes", "on")
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
        if isinstance(default, Path):
            return Path(raw)
    except ValueError as error:
        raise ValueError(
            f"{PREFIX}{name.upper()} must be a {type(default).__name__}, got {raw!r}"
        ) from error

    return raw.strip()
