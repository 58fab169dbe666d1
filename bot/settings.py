"""Settings, read once from the environment and `.env`.

Every secret is a `SecretStr`, so it never shows up in a repr, a log line or an error message.
`load_settings()` turns a validation failure into one clear line naming the variable.
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import lru_cache
from typing import Literal

import phonenumbers
from cryptography.fernet import Fernet
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.errors import ConfigError
from bot.providers import DEFAULT_DEADLINE, livevox, routee, zoom


class ProvidersMode(StrEnum):
    SANDBOX = "sandbox"
    LIVE = "live"


class ZoomPlan(StrEnum):
    PRO = "pro"
    BUSINESS = "business"


class Settings(BaseSettings):
    """Everything Switchboard reads from its environment. See `.env.example` for a commented list."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    # Slack's conventional names.
    slack_bot_token: SecretStr | None = Field(default=None, validation_alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(default=None, validation_alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(default=None, validation_alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field(default="https://slack.com/api/", validation_alias="SLACK_API_URL")
    # OAuth mode (many workspaces, "Add to Slack"): set all three and Bolt serves /slack/install and
    # /slack/oauth_redirect; each workspace's bot token then comes from its installation (encrypted in
    # the database) instead of SLACK_BOT_TOKEN. SLACK_STATE_SECRET signs the OAuth state parameter.
    slack_client_id: str | None = Field(default=None, validation_alias="SLACK_CLIENT_ID")
    slack_client_secret: SecretStr | None = Field(default=None, validation_alias="SLACK_CLIENT_SECRET")
    slack_state_secret: SecretStr | None = Field(default=None, validation_alias="SLACK_STATE_SECRET")
    # Where Slack sends the installer back; unset, Slack uses the app's only Redirect URL.
    slack_redirect_uri: str | None = Field(default=None, validation_alias="SLACK_REDIRECT_URI")
    # Rotating tokens (12 hours) are refreshed this many minutes before they expire.
    slack_refresh_minutes: int = Field(
        default=120, ge=1, le=660, validation_alias="SWITCHBOARD_SLACK_REFRESH_MINUTES"
    )

    # Switchboard's own.
    database_url: str = Field(
        default="sqlite+aiosqlite:///./switchboard.db", validation_alias="SWITCHBOARD_DATABASE_URL"
    )
    secret_keys: SecretStr | None = Field(default=None, validation_alias="SWITCHBOARD_SECRET_KEYS")
    providers: ProvidersMode = Field(default=ProvidersMode.SANDBOX, validation_alias="SWITCHBOARD_PROVIDERS")
    default_region: str = Field(default="US", validation_alias="SWITCHBOARD_DEFAULT_REGION")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", validation_alias="SWITCHBOARD_LOG_LEVEL"
    )
    log_format: Literal["text", "json"] = Field(default="text", validation_alias="SWITCHBOARD_LOG_FORMAT")
    dev_key_file: str = Field(default=".switchboard.key", validation_alias="SWITCHBOARD_DEV_KEY_FILE")
    # The in-process sandbox of SWITCHBOARD_PROVIDERS=sandbox: its world and injected faults
    # (the grammar of `switchboard sandbox --faults`, e.g. "zoom:error_rate=0.5;routee:latency_ms=3000").
    sandbox_seed: int = Field(default=7, validation_alias="SWITCHBOARD_SANDBOX_SEED")
    sandbox_faults: str | None = Field(default=None, validation_alias="SWITCHBOARD_SANDBOX_FAULTS")
    # How long after a send the sandbox's LiveVox and Routee report its delivery (unset: LiveVox 2 s,
    # Routee 5 to 20 s, like the real services on a good day).
    sandbox_delivery_seconds: float | None = Field(
        default=None, ge=0, le=3600, validation_alias="SWITCHBOARD_SANDBOX_DELIVERY_SECONDS"
    )

    # After a provider accepts an SMS, Switchboard reads its delivery record a few times with backoff
    # (3 s, 6 s, 12 s, … by default: about a minute and a half in all), then says "not confirmed yet".
    sms_delivery_first_check_seconds: float = Field(
        default=3.0, gt=0, le=600, validation_alias="SWITCHBOARD_SMS_DELIVERY_FIRST_CHECK_SECONDS"
    )
    sms_delivery_checks: int = Field(
        default=5, ge=0, le=20, validation_alias="SWITCHBOARD_SMS_DELIVERY_CHECKS"
    )

    # Workflow Builder steps act as the person who ran the workflow (their "Run as" input); a step whose
    # workflow gives no one acts as the workspace's workflow service user (`/switchboard workflow-user`),
    # linked like anyone else, or is refused. In single-token mode this Slack user (U…) is the default
    # until an admin chooses; OAuth mode ignores it (`bot.services.workflow_user`).
    workflow_user: str | None = Field(default=None, validation_alias="SWITCHBOARD_WORKFLOW_USER")

    # The job worker (`switchboard worker`, and the in-process one on SQLite). Follow-ups wait on providers,
    # not on the CPU, so one process runs many at once; a dead worker's jobs are found by its missing
    # heartbeat and recovered (read-only ones retried, state-changing ones ended as "outcome unknown").
    worker_concurrency: int = Field(
        default=100, ge=1, le=1000, validation_alias="SWITCHBOARD_WORKER_CONCURRENCY"
    )
    worker_heartbeat_seconds: float = Field(
        default=10.0, gt=0, validation_alias="SWITCHBOARD_WORKER_HEARTBEAT_SECONDS"
    )
    worker_stalled_after_seconds: float = Field(
        default=30.0, gt=0, validation_alias="SWITCHBOARD_WORKER_STALLED_AFTER_SECONDS"
    )
    worker_shutdown_seconds: float = Field(
        default=30.0, ge=0, validation_alias="SWITCHBOARD_WORKER_SHUTDOWN_SECONDS"
    )
    # Scheduled digests: how often the worker looks for due slots (a procrastinate periodic task, one run
    # per tick across every worker), and the clock it reads: the real one, or for tests and demos a shared
    # fast one (`<ISO start>@<epoch anchor>x<speed>`, bot/clock.py): a day of schedule passes in minutes.
    digest_tick_seconds: int = Field(
        default=60, ge=1, le=60, validation_alias="SWITCHBOARD_DIGEST_TICK_SECONDS"
    )
    # How often the alert poller looks for inboxes due a read (each inbox is read at its channels'
    # interval, default 30 s; this is only how soon a due one is noticed) and for reminders due.
    alerts_tick_seconds: int = Field(
        default=5, ge=1, le=60, validation_alias="SWITCHBOARD_ALERTS_TICK_SECONDS"
    )
    clock: str | None = Field(default=None, validation_alias="SWITCHBOARD_CLOCK")
    # `switchboard worker` serves no Slack traffic, so it has no /metrics of its own unless given a port
    # (the web process always has /metrics on its own port).
    metrics_port: int | None = Field(
        default=None, ge=1, le=65535, validation_alias="SWITCHBOARD_METRICS_PORT"
    )
    metrics_host: str = Field(default="127.0.0.1", validation_alias="SWITCHBOARD_METRICS_HOST")

    # One provider call in all (connect, read, login or token, retries and their waits): past it a read
    # fails as "did not answer in time" and a send that may have left ends "outcome unknown", so a person
    # hears within 30 s what happened.
    provider_deadline_seconds: float = Field(
        default=DEFAULT_DEADLINE, gt=0, le=300, validation_alias="SWITCHBOARD_PROVIDER_DEADLINE_SECONDS"
    )

    # Provider connections from the environment: used for every workspace that has no connection of its
    # own in the database, so a single-workspace deployment needs nothing else.
    # The providers' public URLs are written once, in their client packages.
    zoom_api_url: str = Field(default=zoom.API_URL, validation_alias="SWITCHBOARD_ZOOM_API_URL")
    zoom_token_url: str = Field(default=zoom.TOKEN_URL, validation_alias="SWITCHBOARD_ZOOM_TOKEN_URL")
    zoom_account_id: str | None = Field(default=None, validation_alias="SWITCHBOARD_ZOOM_ACCOUNT_ID")
    zoom_client_id: str | None = Field(default=None, validation_alias="SWITCHBOARD_ZOOM_CLIENT_ID")
    zoom_client_secret: SecretStr | None = Field(
        default=None, validation_alias="SWITCHBOARD_ZOOM_CLIENT_SECRET"
    )
    zoom_plan: ZoomPlan = Field(default=ZoomPlan.PRO, validation_alias="SWITCHBOARD_ZOOM_PLAN")

    livevox_base_url: str | None = Field(default=None, validation_alias="SWITCHBOARD_LIVEVOX_BASE_URL")
    livevox_environment: str = Field(
        default=livevox.DEFAULT_ENVIRONMENT, validation_alias="SWITCHBOARD_LIVEVOX_ENVIRONMENT"
    )
    livevox_version: str | None = Field(default=None, validation_alias="SWITCHBOARD_LIVEVOX_VERSION")
    livevox_access_token: SecretStr | None = Field(
        default=None, validation_alias="SWITCHBOARD_LIVEVOX_ACCESS_TOKEN"
    )
    livevox_client_name: str | None = Field(default=None, validation_alias="SWITCHBOARD_LIVEVOX_CLIENT_NAME")
    livevox_username: str | None = Field(default=None, validation_alias="SWITCHBOARD_LIVEVOX_USERNAME")
    livevox_password: SecretStr | None = Field(default=None, validation_alias="SWITCHBOARD_LIVEVOX_PASSWORD")
    livevox_agent: bool = Field(default=False, validation_alias="SWITCHBOARD_LIVEVOX_AGENT")
    livevox_service_id: int | None = Field(default=None, validation_alias="SWITCHBOARD_LIVEVOX_SERVICE_ID")

    routee_api_url: str = Field(default=routee.API_URL, validation_alias="SWITCHBOARD_ROUTEE_API_URL")
    routee_token_url: str = Field(default=routee.TOKEN_URL, validation_alias="SWITCHBOARD_ROUTEE_TOKEN_URL")
    routee_app_id: str | None = Field(default=None, validation_alias="SWITCHBOARD_ROUTEE_APP_ID")
    routee_app_secret: SecretStr | None = Field(
        default=None, validation_alias="SWITCHBOARD_ROUTEE_APP_SECRET"
    )

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+psycopg://")):
            raise ValueError(
                "must start with sqlite+aiosqlite:// or postgresql+psycopg:// "
                "(Switchboard uses async drivers only)"
            )
        return value

    @field_validator("default_region")
    @classmethod
    def _known_region(cls, value: str) -> str:
        region = value.strip().upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"{value!r} is not a two-letter region phonenumbers knows (e.g. US, GB, DE)")
        return region

    @field_validator("workflow_user")
    @classmethod
    def _slack_user_id(cls, value: str | None) -> str | None:
        value = (value or "").strip()
        if not value:
            return None
        if not re.fullmatch(r"[UW][A-Z0-9]{2,}", value):
            raise ValueError("must be a Slack user id (U… or W…), e.g. U0123ABCD")
        return value

    @field_validator("clock")
    @classmethod
    def _valid_clock(cls, value: str | None) -> str | None:
        from bot.clock import parse_clock

        parse_clock(value)  # its ValueError names what was expected, never a secret
        return value or None

    @field_validator("sandbox_faults")
    @classmethod
    def _valid_fault_spec(cls, value: str | None) -> str | None:
        if not value or not value.strip():
            return None
        from bot.sandbox.faults import FaultSpec, FaultSpecError

        try:
            FaultSpec.parse(value)
        except FaultSpecError as error:
            raise ValueError(str(error)) from None
        return value

    @field_validator("secret_keys")
    @classmethod
    def _valid_fernet_keys(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        for position, key in enumerate(_split_keys(value.get_secret_value()), start=1):
            try:
                Fernet(key)
            except (ValueError, TypeError):
                # Never echo the key itself: only where it sits in the list.
                raise ValueError(
                    f"key #{position} is not a Fernet key (32 url-safe base64 bytes; "
                    "make one with `switchboard admin generate-key`)"
                ) from None
        return value

    @model_validator(mode="after")
    def _keys_required_when_live(self) -> Settings:
        if self.providers is ProvidersMode.LIVE and self.secret_keys is None:
            raise ValueError(
                "SWITCHBOARD_SECRET_KEYS is required when SWITCHBOARD_PROVIDERS=live "
                "(make one with `switchboard admin generate-key`)"
            )
        return self

    @model_validator(mode="after")
    def _oauth_all_or_nothing(self) -> Settings:
        given = {
            "SLACK_CLIENT_ID": self.slack_client_id,
            "SLACK_CLIENT_SECRET": self.slack_client_secret,
            "SLACK_STATE_SECRET": self.slack_state_secret,
        }
        missing = [name for name, value in given.items() if not value]
        if 0 < len(missing) < len(given):
            raise ValueError(f"OAuth mode needs {', '.join(missing)} too (or none of the three)")
        return self

    @property
    def oauth_mode(self) -> bool:
        """Many workspaces through Bolt's OAuth flow (SLACK_CLIENT_ID/SECRET/STATE_SECRET), else one
        workspace through SLACK_BOT_TOKEN."""
        return bool(self.slack_client_id)

    @property
    def fernet_keys(self) -> list[str]:
        """The configured Fernet keys, newest first (empty in sandbox mode without keys)."""
        if self.secret_keys is None:
            return []
        return _split_keys(self.secret_keys.get_secret_value())

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _split_keys(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


def _describe(error: ValidationError) -> str:
    """One line naming the offending variable, never its value."""
    first = error.errors()[0]
    location = [str(part) for part in first.get("loc", ())]
    aliases = {name: field.validation_alias for name, field in Settings.model_fields.items()}
    names = [str(aliases.get(part) or part).upper() for part in location]
    message = first.get("msg", "invalid value").removeprefix("Value error, ")
    if not names:
        return f"Invalid settings: {message}"
    return f"Invalid setting {', '.join(names)}: {message}"


def load_settings(**overrides: object) -> Settings:
    """Build `Settings`, raising `ConfigError` with one safe line when something is missing or malformed.

    `overrides` are field names (`database_url=...`); a misspelt one is an error, not silently ignored.
    """
    unknown = sorted(set(overrides) - set(Settings.model_fields))
    if unknown:
        raise TypeError(f"unknown setting(s): {', '.join(unknown)}")
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        raise ConfigError(_describe(error)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
