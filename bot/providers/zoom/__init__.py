"""Zoom Contact Center and Zoom Phone client (`ZoomClient`), its models and its error tree."""

from bot.providers.zoom import errors, models
from bot.providers.zoom.client import (
    API_URL,
    DEFAULT_OPERATION_LABELS,
    PLAN_RATE_LIMITS,
    TOKEN_URL,
    ZoomClient,
)
from bot.providers.zoom.errors import ZoomError
from bot.providers.zoom.windows import Window, month_windows

__all__ = [
    "API_URL",
    "DEFAULT_OPERATION_LABELS",
    "PLAN_RATE_LIMITS",
    "TOKEN_URL",
    "Window",
    "ZoomClient",
    "ZoomError",
    "errors",
    "models",
    "month_windows",
]
