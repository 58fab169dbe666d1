"""LiveVox SMS API client (`LiveVoxClient`), its models and its error tree."""

from bot.providers.livevox import errors, models
from bot.providers.livevox.client import DEFAULT_ENVIRONMENT, DEFAULT_RATE_LIMIT, LIVEVOX_HOSTS, LiveVoxClient
from bot.providers.livevox.errors import LiveVoxError

__all__ = [
    "DEFAULT_ENVIRONMENT",
    "DEFAULT_RATE_LIMIT",
    "LIVEVOX_HOSTS",
    "LiveVoxClient",
    "LiveVoxError",
    "errors",
    "models",
]
