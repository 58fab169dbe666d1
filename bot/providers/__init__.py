"""Async SDK clients for the providers Switchboard talks to: LiveVox, Zoom (Contact Center + Phone), Routee.

    from bot.providers import ZoomClient, LiveVoxClient, RouteeClient, RateLimit, RetryPolicy, errors

Every client takes keyword-only arguments, keeps one `httpx.AsyncClient` (pass `http_client=` to supply
your own, e.g. over `httpx.ASGITransport` in tests), supports `async with` / `aclose()`, retries what is safe
to retry, rate-limits per provider account and raises the error kinds of `bot.providers.errors`.
"""

from bot.providers import errors
from bot.providers._http import (
    DEFAULT_DEADLINE,
    RateBudget,
    RateKey,
    RateLimit,
    RateLimiterRegistry,
    RateWaitsExcluded,
    RetryPolicy,
    default_limiter_registry,
)
from bot.providers._pagination import AsyncPager
from bot.providers.livevox import LiveVoxClient
from bot.providers.routee import RouteeClient
from bot.providers.zoom import ZoomClient

__all__ = [
    "DEFAULT_DEADLINE",
    "AsyncPager",
    "LiveVoxClient",
    "RateBudget",
    "RateKey",
    "RateLimit",
    "RateLimiterRegistry",
    "RateWaitsExcluded",
    "RetryPolicy",
    "RouteeClient",
    "ZoomClient",
    "default_limiter_registry",
    "errors",
]
