"""What each provider connection is made of: one table used by `admin connect`, the Slack connect modal,
and the environment fallback, so the three never disagree.

A field is a credential (encrypted at rest) or a setting (readable, non-secret). `setting` names the
attribute of `Settings` that carries the same value from the environment (`SWITCHBOARD_ZOOM_*` …).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.db.models import Provider
from bot.providers.livevox import LIVEVOX_HOSTS
from bot.settings import Settings


@dataclass(frozen=True)
class ConnectionField:
    key: str
    label: str
    setting: str  # attribute of Settings holding the environment's value
    credential: bool = False  # stored encrypted
    secret: bool = False  # never echoed, prompted without echo
    required: bool = True
    choices: tuple[str, ...] = ()

    @property
    def env(self) -> str:
        alias = Settings.model_fields[self.setting].validation_alias
        return str(alias)


FIELDS: dict[Provider, tuple[ConnectionField, ...]] = {
    Provider.ZOOM: (
        ConnectionField("account_id", "Account ID", "zoom_account_id", credential=True),
        ConnectionField("client_id", "Client ID", "zoom_client_id", credential=True),
        ConnectionField("client_secret", "Client secret", "zoom_client_secret", credential=True, secret=True),
        ConnectionField("plan", "Account plan (rate limits)", "zoom_plan", choices=("pro", "business")),
        ConnectionField("api_url", "API base URL", "zoom_api_url"),
        ConnectionField("token_url", "OAuth token URL", "zoom_token_url"),
    ),
    Provider.LIVEVOX: (
        ConnectionField(
            "access_token", "API access token", "livevox_access_token", credential=True, secret=True
        ),
        ConnectionField("client_name", "Client name", "livevox_client_name"),
        ConnectionField("username", "User name", "livevox_username", credential=True),
        ConnectionField("password", "Password", "livevox_password", credential=True, secret=True),
        ConnectionField(
            "agent", "Log in as an agent (true/false)", "livevox_agent", choices=("true", "false")
        ),
        ConnectionField("service_id", "Default service id", "livevox_service_id", required=False),
        ConnectionField("environment", "Environment", "livevox_environment", choices=tuple(LIVEVOX_HOSTS)),
        ConnectionField(
            "base_url", "Base URL (overrides the environment)", "livevox_base_url", required=False
        ),
        ConnectionField("version", "API version segment", "livevox_version", required=False),
    ),
    Provider.ROUTEE: (
        ConnectionField("app_id", "Application ID", "routee_app_id", credential=True),
        ConnectionField(
            "app_secret", "Application secret", "routee_app_secret", credential=True, secret=True
        ),
        ConnectionField("api_url", "API base URL", "routee_api_url"),
        ConnectionField("token_url", "OAuth token URL", "routee_token_url"),
    ),
}

# The column shown as "where" in listings.
BASE_URL_KEY = {Provider.ZOOM: "api_url", Provider.LIVEVOX: "base_url", Provider.ROUTEE: "api_url"}


def from_environment(provider: Provider, settings: Settings) -> dict[str, str]:
    """The values the environment gives for a provider's fields (empty ones left out)."""
    values: dict[str, str] = {}
    for field in FIELDS[provider]:
        raw = getattr(settings, field.setting)
        if raw is None:
            continue
        value = raw.get_secret_value() if hasattr(raw, "get_secret_value") else raw
        if isinstance(value, bool):
            value = "true" if value else "false"
        text = str(value.value if hasattr(value, "value") else value).strip()
        if text:
            values[field.key] = text
    return values
