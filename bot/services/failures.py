"""Provider failures in words a person understands: which provider, what happened, what to try."""

from __future__ import annotations

import logging

from bot.providers import errors

log = logging.getLogger(__name__)


def describe(provider: str, error: BaseException) -> str:
    """One sentence for Slack; the details go to the log (by the caller), never a stack trace."""
    if isinstance(error, TimeoutError):
        return f"{provider} did not answer in time; try again in a minute."
    if isinstance(error, errors.RateLimited):
        if error.daily:
            return f"{provider}'s daily API limit is used up; it resets at midnight UTC."
        wait = f" in about {int(error.retry_after) + 1} s" if error.retry_after else " in a moment"
        return f"{provider} is rate-limiting requests right now; try again{wait}."
    if isinstance(error, errors.AuthError) and error.login_accepted:
        return (
            f"{provider} accepted Switchboard's login but refused the request; try again in a minute, "
            "and if it keeps happening an admin can check the account's permissions."
        )
    if isinstance(error, errors.AuthError):
        return (
            f"{provider} refused Switchboard's credentials; "
            "an admin can reconnect with `/switchboard connect`."
        )
    if isinstance(error, errors.NotFound):
        return f"{provider} does not know that item (it may have been resolved or moved)."
    if isinstance(error, errors.OutcomeUnknown):
        return (
            f"{provider} did not confirm the request, so it may or may not have gone through; "
            "check the history before trying again."
        )
    if isinstance(error, errors.InvalidRequest | errors.InvalidArgument):
        detail = error.message.rstrip()
        return f"{provider} refused the request: {detail}" + ("" if detail.endswith((".", "!", "?")) else ".")
    if isinstance(error, errors.Unavailable):
        return f"{provider} is not answering properly right now; try again in a minute."
    if isinstance(error, errors.ProviderError):
        return f"{provider} answered with an error ({error.message})."
    return f"Something went wrong talking to {provider}; it has been logged."
