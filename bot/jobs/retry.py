"""Which failures are worth another try, and when.

Transient: a provider that is down (5xx, connection errors, timeouts), one asking us to slow down (429,
honouring Retry-After, but never a daily limit, which lasts until midnight UTC), and the database going
away; and work another job holds whose worker may have died (`HeldElsewhere`). Everything else (bad
input, refused credentials, bugs) fails the same way the next time. A state-changing job is retried only
for an error it met before changing anything (`NothingChanged`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import httpx
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot.errors import BusyError
from bot.providers import errors


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with full jitter, capped, for at most `attempts` retries."""

    attempts: int = 4
    base: float = 0.5
    cap: float = 15.0

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds before retry number `attempt + 1` (attempt counts previous tries, from 0)."""
        ceiling = min(self.cap, self.base * 2**attempt)
        return (rng or random).uniform(ceiling / 2, ceiling)


class HeldElsewhere(Exception):
    """The work is held by another job whose heartbeat is still fresh. That job may be alive (then the
    retry finds the work done) or dead with a heartbeat not yet stale (a stalled-job recovery can run
    before the work's own heartbeat ages): try again once it would be stale, never drop the work."""

    def __init__(self, what: str, retry_after: float) -> None:
        super().__init__(f"{what} is held by another job")
        self.retry_after = retry_after


class NothingChanged(Exception):
    """Raised by a CHANGE job for `error`, met before it changed anything (a scheduled send's database
    blinked before its row was claimed): nothing reached a provider, so the runner retries it as it would
    a READ job, when `error` is transient. Once the change may have begun, a job never raises this."""

    def __init__(self, error: Exception) -> None:
        super().__init__(f"before any change: {type(error).__name__}: {error}")
        self.error = error


def is_database_outage(error: BaseException) -> bool:
    """The database went away (or its pool is exhausted), directly or behind a wrapper (procrastinate
    wraps psycopg's errors in its ConnectorException)."""
    seen: BaseException | None = error
    for _ in range(5):  # the cause chain, a few links deep
        if seen is None or isinstance(seen, BusyError):  # the database answered: something is held
            return False
        if isinstance(seen, OperationalError | PoolTimeout):
            return True
        if isinstance(seen, DBAPIError) and seen.connection_invalidated:
            return True
        if type(seen).__module__.startswith("psycopg") and type(seen).__name__ in {
            "OperationalError",
            "PoolTimeout",
            "TooManyRequests",
        }:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def retry_after(error: BaseException, attempt: int, backoff: Backoff) -> float | None:
    """Seconds to wait before trying again, or None when another try would not help."""
    if isinstance(error, NothingChanged):
        return retry_after(error.error, attempt, backoff)
    if attempt >= backoff.attempts:
        return None
    if isinstance(error, errors.RateLimited):
        if error.daily:
            return None
        hinted = error.retry_after
        return max(hinted, 0.1) if hinted is not None else backoff.delay(attempt)
    if isinstance(error, HeldElsewhere):
        return max(error.retry_after, 0.1)
    if isinstance(error, errors.OutcomeUnknown):  # a send that may have happened is never repeated
        return None
    if isinstance(error, errors.Unavailable | TimeoutError | httpx.TransportError):
        return backoff.delay(attempt)
    if isinstance(error, ConnectionError | OSError) and not isinstance(error, FileNotFoundError):
        return backoff.delay(attempt)
    if is_database_outage(error):
        return backoff.delay(attempt)
    return None


def is_transient(error: BaseException) -> bool:
    """Whether a first failure like this one would be retried (handlers that answer some errors
    themselves re-raise these, so the runner retries them)."""
    return retry_after(error, 0, Backoff()) is not None
