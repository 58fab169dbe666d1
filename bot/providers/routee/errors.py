"""Routee errors: catch `RouteeError` for anything Routee raised, or a kind of `bot.providers.errors`."""

from __future__ import annotations

from bot.providers import errors

__all__ = [
    "ERRORS",
    "AuthError",
    "DeadlineExceeded",
    "InvalidArgument",
    "InvalidRequest",
    "NotFound",
    "OutcomeUnknown",
    "RateLimited",
    "RouteeError",
    "Unavailable",
]


class RouteeError(errors.ProviderError):
    """Base of every error the Routee client raises."""


class AuthError(RouteeError, errors.AuthError):
    """Routee refused the credentials."""


class NotFound(RouteeError, errors.NotFound):
    """Routee says the thing asked for does not exist."""


class InvalidRequest(RouteeError, errors.InvalidRequest):
    """Routee refused the request as invalid; `code` and `message` are Routee's own."""


class InvalidArgument(RouteeError, errors.InvalidArgument):
    """The client refused the call before sending anything to Routee."""


class RateLimited(RouteeError, errors.RateLimited):
    """Routee (or the client-side limiter) asked us to slow down."""


class Unavailable(RouteeError, errors.Unavailable):
    """Routee could not be reached or kept failing."""


class DeadlineExceeded(RouteeError, errors.DeadlineExceeded):
    """Routee did not answer within the call's deadline."""


class OutcomeUnknown(RouteeError, errors.OutcomeUnknown):
    """A send may or may not have reached Routee; it was not sent again."""


ERRORS = errors.ErrorTree(
    base=RouteeError,
    auth=AuthError,
    not_found=NotFound,
    invalid_request=InvalidRequest,
    invalid_argument=InvalidArgument,
    rate_limited=RateLimited,
    unavailable=Unavailable,
    deadline_exceeded=DeadlineExceeded,
    outcome_unknown=OutcomeUnknown,
)
