"""The error kinds every provider client raises.

Each provider has its own tree (`bot.providers.zoom.errors`, `bot.providers.livevox.errors`,
`bot.providers.routee.errors`) whose classes inherit from both the provider's base error and the kind here,
so a caller can catch either "anything Zoom raised" (`ZoomError`) or "any provider asked us to slow down"
(`RateLimited`)::

    try:
        await zoom.phone.sms_sessions.list(phone_number="+14155550100").collect()
    except errors.RateLimited as exc:      # Zoom, LiveVox or Routee
        reschedule(exc.retry_after)
    except ZoomError as exc:               # anything else from Zoom
        ...

Every message is safe to show a person: it never contains a token, a password, a session id or a secret.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "AuthError",
    "DeadlineExceeded",
    "ErrorTree",
    "InvalidArgument",
    "InvalidRequest",
    "NotFound",
    "OutcomeUnknown",
    "ProviderError",
    "RateLimited",
    "Unavailable",
]


class ProviderError(Exception):
    """Base of every error a provider client raises.

    Attributes:
        provider: ``"zoom"``, ``"livevox"`` or ``"routee"``.
        message: a sentence safe to show a person.
        status: the HTTP status of the provider's answer, if there was one.
        code: the provider's own error code (Zoom: int, LiveVox: int, Routee: 9-digit string), if any.
        details: anything else the provider said about the error (Zoom's ``errors`` list,
            Routee's ``properties``), kept as parsed JSON.
    """

    def __init__(
        self,
        provider: str,
        message: str,
        status: int | None = None,
        code: int | str | None = None,
        details: Any = None,
    ) -> None:
        super().__init__(message)
        self.provider = provider
        self.message = message
        self.status = status
        self.code = code
        self.details = details

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(provider={self.provider!r}, message={self.message!r}, "
            f"status={self.status!r}, code={self.code!r})"
        )


class AuthError(ProviderError):
    """The credentials were refused (HTTP 401/403, or a failed login / token request).

    `login_accepted` is True when the login (or token request) succeeded and the provider still refused
    the session: the credentials are fine, and "reconnect" would be the wrong advice.
    """

    login_accepted: bool = False


class NotFound(ProviderError):
    """The provider says the thing asked for does not exist (HTTP 404)."""


class InvalidRequest(ProviderError):
    """The provider refused the request as invalid (HTTP 400, other 4xx); `code`/`message` are its own."""


class InvalidArgument(ProviderError, ValueError):
    """The client refused the call before sending anything: the arguments break a documented rule.

    Also a `ValueError`, so code that validates input generically catches it too.
    """


class RateLimited(ProviderError):
    """Too many requests (HTTP 429, or the client-side daily budget is used up).

    Attributes:
        retry_after: seconds to wait before trying again, when known.
        daily: ``True`` when a daily limit was reached (Zoom resets them at 00:00 UTC); such errors are
            never retried automatically.
    """

    def __init__(
        self,
        provider: str,
        message: str,
        status: int | None = 429,
        code: int | str | None = None,
        details: Any = None,
        *,
        retry_after: float | None = None,
        daily: bool = False,
    ) -> None:
        super().__init__(provider, message, status, code, details)
        self.retry_after = retry_after
        self.daily = daily


class Unavailable(ProviderError):
    """The provider could not be reached or kept failing (connection errors, HTTP 5xx) after retries."""


class DeadlineExceeded(Unavailable, TimeoutError):
    """The call's total deadline (connect, read, retries and their waits together) ran out before an
    answer, and nothing that is unsafe to repeat may have taken effect (a read, or a send never sent).

    Also a `TimeoutError`, so it reads as "did not answer in time"; a send that may have been sent when time
    ran out raises `OutcomeUnknown` instead.
    """


class OutcomeUnknown(ProviderError):
    """A non-idempotent call (sending an SMS) may or may not have taken effect.

    The request may have reached the provider before the connection dropped or the server failed, so the
    client did NOT send it again. Check the provider's history before retrying by hand.
    """


@dataclass(frozen=True)
class ErrorTree:
    """The concrete classes one provider raises for each kind (used by the shared HTTP client)."""

    base: type[ProviderError]
    auth: type[AuthError]
    not_found: type[NotFound]
    invalid_request: type[InvalidRequest]
    invalid_argument: type[InvalidArgument]
    rate_limited: type[RateLimited]
    unavailable: type[Unavailable]
    deadline_exceeded: type[DeadlineExceeded]
    outcome_unknown: type[OutcomeUnknown]
