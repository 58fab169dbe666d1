"""Zoom errors: catch `ZoomError` for anything Zoom raised, or a kind of `bot.providers.errors`."""

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
    "Unavailable",
    "ZoomError",
]


class ZoomError(errors.ProviderError):
    """Base of every error the Zoom client raises."""


class AuthError(ZoomError, errors.AuthError):
    """Zoom refused the credentials."""


class NotFound(ZoomError, errors.NotFound):
    """Zoom says the thing asked for does not exist."""


class InvalidRequest(ZoomError, errors.InvalidRequest):
    """Zoom refused the request as invalid; `code` and `message` are Zoom's own."""


class InvalidArgument(ZoomError, errors.InvalidArgument):
    """The client refused the call before sending anything to Zoom."""


class RateLimited(ZoomError, errors.RateLimited):
    """Zoom (or the client-side limiter) asked us to slow down."""


class Unavailable(ZoomError, errors.Unavailable):
    """Zoom could not be reached or kept failing."""


class DeadlineExceeded(ZoomError, errors.DeadlineExceeded):
    """Zoom did not answer within the call's deadline."""


class OutcomeUnknown(ZoomError, errors.OutcomeUnknown):
    """A send may or may not have reached Zoom; it was not sent again."""


ERRORS = errors.ErrorTree(
    base=ZoomError,
    auth=AuthError,
    not_found=NotFound,
    invalid_request=InvalidRequest,
    invalid_argument=InvalidArgument,
    rate_limited=RateLimited,
    unavailable=Unavailable,
    deadline_exceeded=DeadlineExceeded,
    outcome_unknown=OutcomeUnknown,
)
