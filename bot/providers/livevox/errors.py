"""LiveVox errors: catch `LiveVoxError` for anything LiveVox raised, or a kind of `bot.providers.errors`."""

from __future__ import annotations

from bot.providers import errors

__all__ = [
    "ERRORS",
    "AuthError",
    "DeadlineExceeded",
    "InvalidArgument",
    "InvalidRequest",
    "LiveVoxError",
    "NotFound",
    "OutcomeUnknown",
    "RateLimited",
    "Unavailable",
]


class LiveVoxError(errors.ProviderError):
    """Base of every error the LiveVox client raises."""


class AuthError(LiveVoxError, errors.AuthError):
    """LiveVox refused the credentials."""


class NotFound(LiveVoxError, errors.NotFound):
    """LiveVox says the thing asked for does not exist."""


class InvalidRequest(LiveVoxError, errors.InvalidRequest):
    """LiveVox refused the request as invalid; `code` and `message` are LiveVox's own."""


class InvalidArgument(LiveVoxError, errors.InvalidArgument):
    """The client refused the call before sending anything to LiveVox."""


class RateLimited(LiveVoxError, errors.RateLimited):
    """LiveVox (or the client-side limiter) asked us to slow down."""


class Unavailable(LiveVoxError, errors.Unavailable):
    """LiveVox could not be reached or kept failing."""


class DeadlineExceeded(LiveVoxError, errors.DeadlineExceeded):
    """LiveVox did not answer within the call's deadline."""


class OutcomeUnknown(LiveVoxError, errors.OutcomeUnknown):
    """A send may or may not have reached LiveVox; it was not sent again."""


ERRORS = errors.ErrorTree(
    base=LiveVoxError,
    auth=AuthError,
    not_found=NotFound,
    invalid_request=InvalidRequest,
    invalid_argument=InvalidArgument,
    rate_limited=RateLimited,
    unavailable=Unavailable,
    deadline_exceeded=DeadlineExceeded,
    outcome_unknown=OutcomeUnknown,
)
