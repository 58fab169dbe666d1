"""Routee client (`RouteeClient`), its models and its error tree."""

from bot.providers.routee import errors, models
from bot.providers.routee.client import API_URL, DEFAULT_RATE_LIMIT, TOKEN_URL, TRACKING_WINDOW, RouteeClient
from bot.providers.routee.errors import RouteeError
from bot.providers.routee.models import SmsCallback, TrackingFilter

__all__ = [
    "API_URL",
    "DEFAULT_RATE_LIMIT",
    "TOKEN_URL",
    "TRACKING_WINDOW",
    "RouteeClient",
    "RouteeError",
    "SmsCallback",
    "TrackingFilter",
    "errors",
    "models",
]
