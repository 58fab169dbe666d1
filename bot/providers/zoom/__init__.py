"""Zoom Contact Center and Zoom Phone client (`ZoomClient`), its models and its error tree."""

from bot.providers.zoom import errors, models
from bot.providers.zoom.client import DEFAULT_OPERATION_LABELS, PLAN_RATE_LIMITS, ZoomClient
from bot.providers.zoom.errors import ZoomError
from bot.providers.zoom.windows import Window, month_windows

__all__ = [
    "DEFAULT_OPERATION_LABELS",
    "PLAN_RATE_LIMITS",
    "Window",
    "ZoomClient",
    "ZoomError",
    "errors",
    "models",
    "month_windows",
]
