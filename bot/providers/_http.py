"""The HTTP machinery every provider client shares.

* `BaseClient`: one long-lived `httpx.AsyncClient`, auth hooks for subclasses (headers, re-auth on 401), ONE
  retry loop, error mapping to the provider's error tree, a client-side rate limiter and one structured log
  line per call.
* `RetryPolicy`: how often and how long to retry connection errors, 408, 429 and 5xx.
* `RateLimit`: a provider account's documented limit for one label; `RateBudget`: where the budget is kept.
  `RateLimiterRegistry` (the default) keeps rate windows per (provider, account, label) in the process;
  a deployment of several processes passes a budget shared by all of them (`bot.db.rate_budget`).
* `TokenCache`: an access token fetched once for all concurrent callers and refreshed before it expires.

Retry rules:

* Connection errors before anything was sent (connect errors, connect/pool timeouts) are always retried.
* Read timeouts and dropped connections after the request was sent are retried only for idempotent calls;
  a non-idempotent call (an SMS send) raises `OutcomeUnknown` and is never sent again.
* 408 and 429 are retried (the server refused the request, so even a send is safe to repeat); 5xx only for
  idempotent calls (a send answered 5xx raises `OutcomeUnknown`).
* `Retry-After` is honoured as seconds or as an HTTP / ISO-8601 date. When it asks for longer than
  `RetryPolicy.retry_after_max`, the client does not wait: it raises `RateLimited` with `retry_after` set.
* A daily-limit 429 is never retried: `RateLimited(daily=True)` carries the wait until 00:00 UTC.

Deadline: every call has a total deadline (`deadline=`, default `DEFAULT_DEADLINE` seconds) covering its
attempts, the login or token fetch made for it, backoff and `Retry-After` waits together, so a person hears
within seconds what happened rather than after every timeout and retry has run its course. Each attempt's
timeouts are cut to what remains; a wait that would not fit is not started (the client-side rate limiter's
wait does not count: it is Switchboard's own pacing, bounded by the budget). When time runs out, a send that
may have left raises `OutcomeUnknown` (never sent again); anything else raises `DeadlineExceeded` (an
`Unavailable` that is also a `TimeoutError`).
"""

from __future__ import annotations

import asyncio
import base64
import contextvars
import email.utils
import functools
import logging
import math
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Protocol, Self, TypeVar

import httpx
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from bot import __version__, metrics
from bot.phones import mask_all
from bot.providers.errors import AuthError, ErrorTree, ProviderError

__all__ = [
    "DEFAULT_DEADLINE",
    "AccessToken",
    "BaseClient",
    "Clock",
    "DailyBudgetExhausted",
    "RateBudget",
    "RateKey",
    "RateLimit",
    "RateLimiterRegistry",
    "RateWaitsExcluded",
    "RateWindow",
    "RetryPolicy",
    "Sleep",
    "TokenCache",
    "default_limiter_registry",
    "parse_retry_after",
    "seconds_until_utc_midnight",
]

logger = logging.getLogger("switchboard.providers")

Sleep = Callable[[float], Awaitable[None]]
"""`asyncio.sleep`-compatible: tests inject a fake that records delays and advances a fake clock."""
Clock = Callable[[], float]
"""Wall clock in epoch seconds (`time.time`-like): drives token expiry, Retry-After dates, rate limits."""

QueryParams = Sequence[tuple[str, str]]
ModelT = TypeVar("ModelT", bound=BaseModel)

_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
# Raised before a single byte of the request left this process: always safe to retry.
_NOT_SENT_ERRORS: tuple[type[Exception], ...] = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
DEFAULT_DEADLINE = 20.0
"""Seconds one call may take in all (attempts, login, waits): well inside the 30 s a person should wait."""
_USER_AGENT = f"switchboard/{__version__}"
_CREDENTIAL_HEADERS = frozenset({"authorization", "lv-session", "lv-access"})


# ---------------------------------------------------------------------------------------------- policies


@dataclass(frozen=True)
class RetryPolicy:
    """How the client retries.

    Attributes:
        max_retries: retries after the first attempt (so at most ``max_retries + 1`` requests).
        backoff_base: seconds; attempt *n* waits a random time in ``[0, min(backoff_max, base * 2**n)]``
            ("full jitter").
        backoff_max: cap of one backoff wait, seconds.
        retry_after_max: the longest `Retry-After` the client waits for; longer asks raise `RateLimited`.
    """

    max_retries: int = 3
    backoff_base: float = 0.5
    backoff_max: float = 8.0
    retry_after_max: float = 60.0

    def __post_init__(self) -> None:
        if self.max_retries < 0 or self.backoff_base < 0 or self.backoff_max < 0 or self.retry_after_max < 0:
            raise ValueError("RetryPolicy values must be 0 or more")

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """The wait before retry number ``attempt + 1`` (full jitter, capped)."""
        ceiling = min(self.backoff_max, self.backoff_base * (2.0 ** min(attempt, 62)))
        return min(self.backoff_max, rng.uniform(0.0, ceiling))


@dataclass(frozen=True)
class RateLimit:
    """A client-side limit for one rate-limit label of one provider account.

    Attributes:
        per_second: sustained requests per second (``None``: no per-second limit).
        burst: how many requests may go out back to back: at most `burst` in any ``burst / rate`` seconds
            (`RateWindow`). The default of 1 spaces requests evenly; ``burst=per_second`` lets a whole
            second's allowance leave at once, and no one-second window holds more than `per_second`.
        per_day: requests per UTC day counted in this process (``None``: none). When used up, calls raise
            `RateLimited(daily=True)` without a request.
        margin: headroom kept below `per_second` (a fraction). Providers count fixed one-second windows
            at *arrival*; requests spaced exactly ``1 / per_second`` apart at *send* time drift across a
            window boundary with a few milliseconds of jitter and the next window sees one too many (the
            sandbox showed it about one burst in six). 5% keeps 50 ms of slack per window.
    """

    per_second: float | None
    burst: int = 1
    per_day: int | None = None
    margin: float = 0.05

    @property
    def rate(self) -> float | None:
        """The rate actually used: `per_second` less the margin."""
        return None if self.per_second is None else self.per_second / (1.0 + self.margin)

    @property
    def window(self) -> float | None:
        """Seconds that may hold at most `burst` requests (``None``: no per-second limit)."""
        rate = self.rate
        return None if rate is None else self.burst / rate

    def __post_init__(self) -> None:
        if self.per_second is not None and not self.per_second > 0:
            raise ValueError("RateLimit.per_second must be positive (or None for no per-second limit)")
        if self.burst < 1:
            raise ValueError("RateLimit.burst must be at least 1")
        if not 0.0 <= self.margin < 1.0:
            raise ValueError("RateLimit.margin must be a fraction in [0, 1)")
        if self.per_day is not None and self.per_day < 1:
            raise ValueError("RateLimit.per_day must be at least 1 (or None)")


class DailyBudgetExhausted(Exception):
    """Internal: the client-side daily budget of a label is used up."""

    def __init__(self, retry_after: float) -> None:
        super().__init__("daily budget used up")
        self.retry_after = retry_after


_CLOCK_WENT_BACK = 3600.0
"""Seconds a budget's last slot may lie ahead of now before the clock is taken to have gone back."""


class RateWindow:
    """At most `burst` requests in any ``burst / rate`` seconds: a sliding-window log, lock-free and fair.

    `reserve(now)` takes the next send slot and returns how long the caller must sleep before sending. The
    last `burst` slots are kept; a new slot is the latest of now, the last slot, and the `burst`-th last slot
    plus the window. With ``burst=1`` that spaces requests ``1 / rate`` apart; with ``burst=5`` at 5/s (Zoom
    HEAVY) a lookup's five calls leave at once, and no one-second window, however placed, sees a sixth. (A
    token bucket of the same size would let ``burst + rate`` requests into one second.)
    """

    def __init__(self, limit: RateLimit) -> None:
        self.limit = limit
        self._slots: deque[float] = deque(maxlen=limit.burst)
        self._day: int | None = None
        self._day_count = 0

    def reconfigure(self, limit: RateLimit) -> None:
        if limit != self.limit:
            self.limit = limit
            self._slots = deque(self._slots, maxlen=limit.burst)

    def reserve(self, now: float) -> float:
        limit = self.limit
        if limit.per_day is not None:
            day = math.floor(now / 86400.0)
            if day != self._day:
                self._day, self._day_count = day, 0
            if self._day_count >= limit.per_day:
                raise DailyBudgetExhausted(seconds_until_utc_midnight(now))
            self._day_count += 1
        window = limit.window
        if window is None:
            return 0.0
        if self._slots and self._slots[-1] - now > _CLOCK_WENT_BACK:
            # No honest queue is this deep (a call waits at most its deadline): the clock went back (a
            # wall-clock step, or another clock reading the same budget). Start afresh, not wait for it.
            self._slots.clear()
        slot = now
        if self._slots:
            slot = max(slot, self._slots[-1])
            if len(self._slots) == limit.burst:
                slot = max(slot, self._slots[0] + window)
        self._slots.append(slot)
        return slot - now


RateKey = tuple[str, str, str]
"""(provider, account key, rate-limit label): one budget per provider account and rate class."""


class RateBudget(Protocol):
    """Where the rate-limit budgets of provider accounts are kept.

    `reserve` takes one request's slot from the budget of `key` and returns how many seconds the caller must
    wait before sending it (negative: the slot passed that long ago, e.g. a shared budget's answer came
    late). The slot is taken up-front, so concurrent callers (in one process or in many, for a shared
    budget) are spaced by the budget itself, not by retrying. It raises `DailyBudgetExhausted`
    when the label's daily budget is used up. `now` is the caller's clock; a budget shared by several
    processes keeps its own (the database's) clock instead, since process clocks disagree.
    """

    async def reserve(self, key: RateKey, limit: RateLimit, now: float) -> float: ...


class RateLimiterRegistry:
    """An in-process `RateBudget`: rate windows keyed by (provider, account key, label).

    Every client uses `default_limiter_registry` unless given another budget, so two client instances for the
    same provider account share their buckets (and so their budget) within the process. Enough for one
    process (SQLite / embedded, tests); several processes need a shared budget (`bot.db.rate_budget`).
    """

    def __init__(self) -> None:
        self._buckets: dict[RateKey, RateWindow] = {}

    def bucket(self, key: RateKey, limit: RateLimit) -> RateWindow:
        """The bucket for `key`, created on first use; a different `limit` reconfigures it (last one wins)."""
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = RateWindow(limit)
        else:
            bucket.reconfigure(limit)
        return bucket

    async def reserve(self, key: RateKey, limit: RateLimit, now: float) -> float:
        return self.bucket(key, limit).reserve(now)

    def clear(self) -> None:
        """Forget every bucket (tests)."""
        self._buckets.clear()


default_limiter_registry = RateLimiterRegistry()


# ---------------------------------------------------------------------------------------------- helpers


def seconds_until_utc_midnight(now: float) -> float:
    """Seconds from `now` (epoch seconds) to the next 00:00 UTC."""
    current = datetime.fromtimestamp(now, UTC)
    midnight = datetime(current.year, current.month, current.day, tzinfo=UTC) + timedelta(days=1)
    return max(0.0, midnight.timestamp() - now)


def parse_retry_after(value: str | None, now: float) -> float | None:
    """`Retry-After` as seconds from `now`: accepts delta-seconds, an HTTP date or an ISO-8601 date."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    moment: datetime | None
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        moment = None
    if moment is None:
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, moment.timestamp() - now)


class _OAuthToken(BaseModel):
    model_config = {"extra": "allow"}

    access_token: str = Field(repr=False)
    expires_in: float | None = None


@dataclass
class AccessToken:
    """A bearer token or session id; `value` never appears in a repr."""

    value: str = field(repr=False)
    refresh_at: float | None = None
    """Epoch seconds after which the token is fetched again (``None``: never, until a 401)."""


class TokenCache:
    """Holds one access token; concurrent callers share ONE fetch (an `asyncio.Lock`)."""

    def __init__(self, fetch: Callable[[], Awaitable[AccessToken]], clock: Clock) -> None:
        self._fetch = fetch
        self._clock = clock
        self._token: AccessToken | None = None
        self._lock = asyncio.Lock()
        self.fetches = 0
        """How many times a token was fetched (for tests and diagnostics)."""

    @property
    def current(self) -> AccessToken | None:
        return self._token

    def _fresh(self, token: AccessToken | None) -> bool:
        return token is not None and (token.refresh_at is None or self._clock() < token.refresh_at)

    async def get(self) -> AccessToken:
        token = self._token
        if token is not None and self._fresh(token):
            return token
        async with self._lock:
            token = self._token
            if token is not None and self._fresh(token):
                return token
            token = await self._fetch()
            self.fetches += 1
            self._token = token
            return token

    def invalidate(self, value: str | None = None) -> None:
        """Drop the token, if it is still the one with `value` (another caller may have replaced it)."""
        if self._token is not None and (value is None or self._token.value == value):
            self._token = None


def refresh_time(now: float, expires_in: float | None, margin: float) -> float | None:
    """When to refetch a token valid for `expires_in` seconds: `margin` early, or a tenth early if shorter."""
    if expires_in is None:
        return None
    return now + expires_in - min(margin, expires_in / 10.0)


@dataclass
class _Deadline:
    """One call's total time budget, on the client's clock (``at`` None: no deadline)."""

    at: float | None
    seconds: float
    clock: Clock

    def postpone(self, seconds: float) -> None:
        if self.at is not None and seconds > 0:
            self.at += seconds

    def remaining(self) -> float | None:
        return None if self.at is None else self.at - self.clock()

    def fits(self, delay: float) -> bool:
        """Whether a wait of `delay` seconds ends before the deadline (and leaves time to ask again)."""
        remaining = self.remaining()
        return remaining is None or delay < remaining


# The deadline of the call in progress in this task: a login or token fetch made for a call counts
# against that call's deadline, not a fresh one of its own.
_current_deadline: contextvars.ContextVar[_Deadline | None] = contextvars.ContextVar(
    "switchboard_provider_deadline", default=None
)


_SLOT_TRIES = 3
"""Send slots one request may take when it keeps leaving too late for them (see `BaseClient._acquire`)."""


class RateWaitsExcluded:
    """Moves an `asyncio.Timeout` later by the time calls under it wait for the client's own rate budget.

    A time budget over several provider calls ("Zoom has 8 s to answer this lookup") is about the provider;
    waiting in our own queue because other lookups used the allowance first is not Zoom being slow, and
    must not turn into "Zoom did not answer in time". Concurrent waits (pages fetched in parallel) count
    once: the timeout moves by the union of the waits, not their sum. Use as a context manager inside the
    timeout; calls in tasks started within it (they copy the context) are covered too.
    """

    def __init__(self, timeout: asyncio.Timeout) -> None:
        self._timeout = timeout
        self._paused_until = float("-inf")
        self._token: contextvars.Token[RateWaitsExcluded | None] | None = None

    def waiting(self, seconds: float) -> None:
        """A call is about to sleep `seconds` for its rate budget."""
        when = self._timeout.when()
        if when is None or seconds <= 0:
            return
        now = asyncio.get_running_loop().time()
        end = now + seconds
        extra = end - max(now, self._paused_until)
        if extra > 0:
            self._paused_until = end
            self._timeout.reschedule(when + extra)

    def waited(self) -> None:
        """The sleep announced by `waiting` is over: a late wake-up (a busy event loop) is our time too."""
        when = self._timeout.when()
        now = asyncio.get_running_loop().time()
        if when is not None and now > self._paused_until:
            self._timeout.reschedule(when + now - self._paused_until)
            self._paused_until = now

    def __enter__(self) -> Self:
        self._token = _rate_waits.set(self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._token is not None:
            _rate_waits.reset(self._token)


_rate_waits: contextvars.ContextVar[RateWaitsExcluded | None] = contextvars.ContextVar(
    "switchboard_rate_waits", default=None
)


# ---------------------------------------------------------------------------------------------- client


class BaseClient:
    """Base of the provider clients: one `httpx.AsyncClient`, one retry loop, one log line per call.

    Subclasses set `_provider`, `_display_name` and `_errors`, and override the hooks `_auth_headers`,
    `_on_unauthorized`, `_parse_error`, `_error_kind` and `_is_daily_limit` as needed.
    """

    _provider: ClassVar[str] = "provider"
    _display_name: ClassVar[str] = "The provider"
    _errors: ClassVar[ErrorTree]
    _reauth_statuses: ClassVar[frozenset[int]] = frozenset({401})
    # Logins (or token fetches) one call may make after the provider refuses its session. More than one:
    # concurrent pages of one list share a session, and a session renewed for one page may be revoked
    # again before another page uses it; the credentials are fine as long as the logins succeed.
    _max_reauths: ClassVar[int] = 3

    def __init__(
        self,
        *,
        account_key: str,
        rate_limits: Mapping[str, RateLimit | None],
        http_client: httpx.AsyncClient | None = None,
        timeout: httpx.Timeout | float | None = None,
        retry: RetryPolicy | None = None,
        sleep: Sleep | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        limiter_registry: RateBudget | None = None,
        deadline: float | None = DEFAULT_DEADLINE,
    ) -> None:
        if deadline is not None and not deadline > 0:
            raise ValueError("deadline must be positive seconds (or None for no total deadline)")
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(
            timeout=timeout if timeout is not None else _DEFAULT_TIMEOUT
        )
        self._account_key = account_key
        self._rate_limits = dict(rate_limits)
        self._retry = retry or RetryPolicy()
        self._sleep: Sleep = sleep or asyncio.sleep
        self._clock: Clock = clock or time.time
        self._rng = rng or random.Random()  # jitter, not cryptography
        self._limiters: RateBudget = limiter_registry or default_limiter_registry
        self._deadline = deadline
        self._closed = False

    # -- lifecycle

    async def aclose(self) -> None:
        """Close the HTTP client if this client created it (a client passed in is left open)."""
        if self._closed:
            return
        self._closed = True
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    @property
    def rate_limits(self) -> Mapping[str, RateLimit | None]:
        """The client-side rate limits in force, by label."""
        return dict(self._rate_limits)

    # -- hooks

    async def _auth_headers(self) -> dict[str, str]:
        """Headers that authenticate a request (may fetch a token or log in first)."""
        return {}

    async def _on_unauthorized(self, response: httpx.Response, sent_headers: Mapping[str, str]) -> bool:
        """Called on a `_reauth_statuses` answer: drop the credentials; True repeats the call (once)."""
        return False

    def _parse_error(self, response: httpx.Response) -> tuple[str | None, int | str | None, Any]:
        """(message, code, details) from an error body; default: ``{"code", "message"}``."""
        body = _json_or_none(response)
        if isinstance(body, Mapping):
            message = body.get("message")
            code = body.get("code")
            return (
                message if isinstance(message, str) and message.strip() else None,
                code if isinstance(code, int | str) and not isinstance(code, bool) else None,
                None,
            )
        return None, None, None

    def _error_kind(self, status: int, code: int | str | None) -> str:
        """Which kind of `ErrorTree` an error answer maps to."""
        if status == 429:
            return "rate_limited"
        if status in (401, 403):
            return "auth"
        if status == 404:
            return "not_found"
        if status >= 500:
            return "unavailable"
        if 400 <= status < 500:
            return "invalid_request"
        return "base"

    def _is_daily_limit(self, response: httpx.Response, message: str | None) -> bool:
        """Whether a 429 says a daily limit (not a per-second one) was reached."""
        return False

    def _secret_values(self) -> list[str]:
        """Credentials this client holds (secrets, tokens, session ids): scrubbed from every error message."""
        return []

    def _scrub(self, text: str, sent_headers: Mapping[str, str] | None = None) -> str:
        """`text` with every known credential replaced, in case a provider echoes one back."""
        secrets = list(self._secret_values())
        for name, value in (sent_headers or {}).items():
            if name.lower() in _CREDENTIAL_HEADERS:
                secrets.append(value)
                secrets.append(value.partition(" ")[2])
        for secret in sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True):
            text = text.replace(secret, "[redacted]")
        return text

    # -- building blocks for subclasses

    def _invalid_argument(self, message: str) -> ProviderError:
        return self._errors.invalid_argument(self._provider, message)

    def _decode(self, response: httpx.Response, operation: str) -> Any:
        try:
            return response.json()
        except ValueError:
            raise self._errors.base(
                self._provider,
                f"{self._display_name} sent an answer that is not JSON ({operation}).",
                response.status_code,
            ) from None

    async def _client_credentials_token(
        self,
        *,
        token_url: str,
        client_id: str,
        client_secret: str,
        form: Mapping[str, str],
        refused: str,
        default_expires_in: float | None,
        refresh_margin: float,
    ) -> AccessToken:
        """An OAuth token by client credentials (Basic auth + a form), as Zoom and Routee issue them.

        A 4xx other than 429 means the credentials were refused (`AuthError` starting with `refused`);
        the token is refreshed `refresh_margin` seconds before it expires.
        """
        basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode("ascii")
        try:
            response = await self._request(
                "POST",
                token_url,
                operation="oauth.token",
                data=dict(form),
                headers={"Authorization": f"Basic {basic}"},
                authenticated=False,
                rate_label=None,
                idempotent=True,
            )
        except ProviderError as exc:
            if exc.status is not None and 400 <= exc.status < 500 and exc.status != 429:
                raise self._errors.auth(
                    self._provider, f"{refused}: {exc.message}", exc.status, exc.code
                ) from None
            raise
        token = self._model(_OAuthToken, response, "oauth.token")
        expires_in = float(token.expires_in) if token.expires_in is not None else default_expires_in
        return AccessToken(token.access_token, refresh_time(self._clock(), expires_in, refresh_margin))

    def _model(self, model: type[ModelT], response: httpx.Response, operation: str) -> ModelT:
        data = self._decode(response, operation)
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            raise self._unexpected(operation, response, exc) from None

    def _model_list(self, model: type[ModelT], response: httpx.Response, operation: str) -> list[ModelT]:
        data = self._decode(response, operation)
        if data is None:
            return []
        try:
            result: list[ModelT] = _list_adapter(model).validate_python(data)
            return result
        except ValidationError as exc:
            raise self._unexpected(operation, response, exc) from None

    def _unexpected(self, operation: str, response: httpx.Response, exc: ValidationError) -> ProviderError:
        fields = sorted({".".join(str(part) for part in err["loc"]) for err in exc.errors()})[:5]
        return self._errors.base(
            self._provider,
            f"{self._display_name} sent an answer of an unexpected shape ({operation}: {', '.join(fields)}).",
            response.status_code,
        )

    async def _acquire(self, label: str | None) -> None:
        if label is None:
            return
        limit = self._rate_limits.get(label)
        if limit is None:
            return
        key = (self._provider, self._account_key, label)
        observer = _rate_waits.get()
        for attempt in range(1, _SLOT_TRIES + 1):
            try:
                wait = await self._limiters.reserve(key, limit, self._clock())
            except DailyBudgetExhausted as exc:
                raise self._errors.rate_limited(
                    self._provider,
                    f"The daily {self._display_name} request budget for this account is used up "
                    "(it resets at 00:00 UTC).",
                    None,
                    retry_after=exc.retry_after,
                    daily=True,
                ) from None
            due = self._clock() + wait
            if wait > 0:
                if observer is not None:
                    observer.waiting(wait)
                await self._sleep(wait)
                if observer is not None:
                    observer.waited()
            # The slot's slack is the limit's margin, in seconds of a one-second window (50 ms at 5%). A
            # request leaving later than that (a busy event loop woke us late, or a shared budget answered
            # after the slot) can land in the next fixed window beside that window's full allowance: a 429.
            # Its slot stays taken (a phantom send, also counted in the day: errs towards fewer) and the
            # request queues for a new one. Only a per-second limit has windows to crowd.
            late = self._clock() - due
            if limit.rate is None or late <= limit.margin or attempt == _SLOT_TRIES:
                return
            logger.info(
                "%s %s: %d ms late for its send slot, taking another",
                self._provider,
                label,
                round(late * 1000),
            )

    # -- the request loop

    def _start_deadline(self) -> _Deadline:
        outer = _current_deadline.get()
        if outer is not None and outer.at is not None:
            return outer  # a login or token fetch on behalf of a call: that call's time is what is left
        if self._deadline is None:
            return _Deadline(None, math.inf, self._clock)
        return _Deadline(self._clock() + self._deadline, self._deadline, self._clock)

    def _attempt_timeout(self, remaining: float | None) -> httpx.Timeout:
        """The HTTP client's timeouts for one attempt, none longer than what is left of the deadline."""
        base = self._http.timeout
        if remaining is None:
            return base

        def cap(value: float | None) -> float:
            return max(0.0, remaining if value is None else min(value, remaining))

        return httpx.Timeout(
            connect=cap(base.connect), read=cap(base.read), write=cap(base.write), pool=cap(base.pool)
        )

    def _timed_out(self, deadline: _Deadline, operation: str, *, maybe_sent: bool = False) -> ProviderError:
        """The error for a call whose deadline ran out; `maybe_sent`: a send that may have reached it."""
        within = f"within {deadline.seconds:g} s"
        if maybe_sent:
            return self._errors.outcome_unknown(
                self._provider,
                f"{self._display_name} did not answer {within} after the request was sent, so it may or "
                "may not have taken effect. It was not sent again: check before retrying.",
            )
        return self._errors.deadline_exceeded(
            self._provider, f"{self._display_name} did not answer {within} ({operation}). Try again later."
        )

    async def _request(
        self,
        method: str,
        url: str,
        *,
        operation: str,
        params: QueryParams | None = None,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        authenticated: bool = True,
        rate_label: str | None = "default",
        idempotent: bool | None = None,
        expect_json: bool = True,
    ) -> httpx.Response:
        """Send one logical call: rate limit, authenticate, retry, map errors, log one line.

        Returns the successful (2xx) response; raises the provider's `ProviderError` subclasses otherwise.
        With `expect_json`, a 2xx with a non-empty body that is not JSON counts as a failed attempt.
        """
        method = method.upper()
        if idempotent is None:
            idempotent = method in _IDEMPOTENT_METHODS
        started = time.perf_counter()
        retries = 0
        reauths = 0
        status: int | None = None
        failure: BaseException | None = None
        deadline = self._start_deadline()
        deadline_token = _current_deadline.set(deadline)
        try:
            while True:
                sent_headers: dict[str, str] = {"Accept": "application/json", "User-Agent": _USER_AGENT}
                if headers:
                    sent_headers.update(headers)
                if authenticated:
                    try:  # bounds waiting for another caller's token fetch too, not only our own
                        async with asyncio.timeout(deadline.remaining()):
                            sent_headers.update(await self._auth_headers())
                    except ProviderError:
                        raise  # the login or token fetch failed (or ran out of this call's time) itself
                    except TimeoutError:
                        raise self._timed_out(deadline, operation) from None
                # After authenticating (a login or token fetch has its own turn), right before sending.
                paced_from = self._clock()
                await self._acquire(rate_label)
                # Waiting for our own rate budget is not the provider being slow (and the budget bounds
                # it): the deadline moves by that wait.
                deadline.postpone(self._clock() - paced_from)
                remaining = deadline.remaining()
                if remaining is not None and remaining <= 0:
                    raise self._timed_out(deadline, operation)  # nothing was sent
                try:
                    # httpx's timeouts are per connect / per read, and an in-process ASGI transport ignores
                    # them: asyncio.timeout is what holds the attempt to the deadline.
                    async with asyncio.timeout(remaining):
                        response = await self._http.request(
                            method,
                            url,
                            params=list(params) if params is not None else None,
                            json=json,
                            data=data,
                            headers=sent_headers,
                            timeout=self._attempt_timeout(remaining),
                        )
                    # A read httpx response and its stream point at each other (BoundAsyncStream keeps
                    # the response), so every body waited for the cyclic GC: a digest reading thousands
                    # of pages held megabytes of them, more the more it read. The body is read and the
                    # stream closed by now; a plain stream leaves it to reference counting.
                    response.stream = httpx.ByteStream(b"")
                except httpx.UnsupportedProtocol:
                    raise self._errors.base(
                        self._provider, f"The {self._display_name} URL is not an http(s) URL: check settings."
                    ) from None
                except httpx.TransportError as exc:
                    status = None
                    sent = not isinstance(exc, _NOT_SENT_ERRORS)
                    if sent and not idempotent:
                        raise self._errors.outcome_unknown(
                            self._provider,
                            f"The connection to {self._display_name} failed after the request was sent "
                            f"({type(exc).__name__}), so it may or may not have taken effect. "
                            "It was not sent again: check before retrying.",
                        ) from None
                    if retries >= self._retry.max_retries:
                        raise self._errors.unavailable(
                            self._provider,
                            f"Could not reach {self._display_name} ({type(exc).__name__}) "
                            f"after {retries + 1} attempts. Try again later.",
                        ) from None
                    delay = self._retry.backoff(retries, self._rng)
                    if not deadline.fits(delay):
                        raise self._timed_out(deadline, operation) from None
                    await self._sleep(delay)
                    retries += 1
                    continue
                except TimeoutError:
                    # Time ran out with the attempt in flight: whether the request left is not known.
                    status = None
                    raise self._timed_out(deadline, operation, maybe_sent=not idempotent) from None

                status = response.status_code
                if status == 429:  # counted per answer: a 429 the loop retries is still one received
                    metrics.provider_rate_limited(self._provider, operation)
                if 200 <= status < 300:
                    if not expect_json or _readable(response):
                        return response
                    # A 2xx whose body is cut short or not JSON: repeat a read; never repeat a send.
                    if not idempotent:
                        raise self._errors.outcome_unknown(
                            self._provider,
                            f"{self._display_name} accepted the request (HTTP {status}) but its answer could "
                            "not be read. It was not sent again: check before retrying.",
                            status,
                        )
                    if retries >= self._retry.max_retries:
                        raise self._errors.unavailable(
                            self._provider,
                            f"{self._display_name} kept sending answers that are not JSON ({operation}).",
                            status,
                        )
                    delay = self._retry.backoff(retries, self._rng)
                    if not deadline.fits(delay):
                        raise self._timed_out(deadline, operation)
                    await self._sleep(delay)
                    retries += 1
                    continue

                if status in self._reauth_statuses and authenticated:
                    if reauths < self._max_reauths and await self._on_unauthorized(response, sent_headers):
                        reauths += 1
                        continue
                    if reauths:
                        # Each login of this call was accepted, so the credentials themselves are good:
                        # the provider refuses the session (revoked again, or no permission for this).
                        refused = self._error_from_response(response, sent_headers)
                        refused.message = (
                            f"{self._display_name} accepted Switchboard's login {reauths} times but refused "
                            f"the session each time: {refused.message}"
                        )
                        if isinstance(refused, AuthError):
                            refused.login_accepted = True
                        raise refused

                error = self._error_from_response(response, sent_headers)
                retryable = status in (408, 429) or (status >= 500 and idempotent)
                if status >= 500 and not idempotent:
                    raise self._errors.outcome_unknown(
                        self._provider,
                        f"{self._display_name} answered HTTP {status} to a request that is not safe to "
                        "repeat; it may or may not have taken effect. It was not sent again: check before "
                        "retrying.",
                        status,
                        error.code,
                        error.details,
                    )
                if getattr(error, "daily", False) or not retryable or retries >= self._retry.max_retries:
                    raise error
                retry_after = parse_retry_after(response.headers.get("Retry-After"), self._clock())
                if retry_after is not None and retry_after > self._retry.retry_after_max:
                    raise error  # carries retry_after: the caller decides whether to wait that long
                delay = retry_after if retry_after is not None else self._retry.backoff(retries, self._rng)
                if not deadline.fits(delay):
                    raise error  # what the provider said, rather than a wait past the deadline
                await self._sleep(delay)
                retries += 1
        except BaseException as exc:
            failure = exc
            raise
        finally:
            _current_deadline.reset(deadline_token)
            self._log(operation, method, status, started, retries, reauths, failure)

    def _error_from_response(
        self, response: httpx.Response, sent_headers: Mapping[str, str] | None = None
    ) -> ProviderError:
        status = response.status_code
        message, code, details = self._parse_error(response)
        kind = self._error_kind(status, code)
        text = self._scrub(message, sent_headers) if message else _default_message(self._display_name, status)
        if kind == "rate_limited":
            daily = self._is_daily_limit(response, message)
            if daily:
                retry_after: float | None = seconds_until_utc_midnight(self._clock())
            else:
                retry_after = parse_retry_after(response.headers.get("Retry-After"), self._clock())
            return self._errors.rate_limited(
                self._provider, text, status, code, details, retry_after=retry_after, daily=daily
            )
        cls: type[ProviderError] = getattr(self._errors, kind)
        return cls(self._provider, text, status, code, details)

    def _log(
        self,
        operation: str,
        method: str,
        status: int | None,
        started: float,
        retries: int,
        reauths: int,
        failure: BaseException | None,
    ) -> None:
        duration_ms = round((time.perf_counter() - started) * 1000.0, 1)
        metrics.provider_call(self._provider, operation, status, duration_ms / 1000.0, retries)
        extra: dict[str, Any] = {
            "provider": self._provider,
            "operation": operation,
            "method": method,
            "status": status,
            "duration_ms": duration_ms,
            "retries": retries,
        }
        if reauths:
            extra["reauthenticated"] = reauths
        level = logging.INFO
        outcome = str(status) if status is not None else "no response"
        if failure is not None:
            level = logging.WARNING
            extra["error"] = type(failure).__name__
            if isinstance(failure, ProviderError):
                extra["error_code"] = failure.code
                extra["error_message"] = mask_all(failure.message)
            outcome = f"{outcome} ({type(failure).__name__})"
        logger.log(
            level,
            "%s %s %s -> %s in %.0f ms, %d retries",
            self._provider,
            operation,
            method,
            outcome,
            duration_ms,
            retries,
            extra=extra,
        )


def _default_message(display_name: str, status: int) -> str:
    if status == 429:
        return f"{display_name} says too many requests were made; try again shortly."
    if status in (401, 403):
        return f"{display_name} refused the credentials (HTTP {status})."
    if status == 404:
        return f"{display_name} could not find what was asked for (HTTP 404)."
    if status >= 500:
        return f"{display_name} is having trouble right now (HTTP {status}); try again later."
    return f"{display_name} refused the request (HTTP {status})."


@functools.cache
def _list_adapter(model: type[BaseModel]) -> TypeAdapter[list[Any]]:
    return TypeAdapter(list[model])  # type: ignore[valid-type]


def _readable(response: httpx.Response) -> bool:
    """True when the body is empty (204 and the like) or valid JSON."""
    if not response.content.strip():
        return True
    try:
        response.json()
    except ValueError:
        return False
    return True


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def query(**values: object) -> list[tuple[str, str]]:
    """Query parameters without the ``None`` ones; sequences become REPEATED parameters (``a=1&a=2``).

    A trailing underscore is dropped from a name (``from_`` → ``from``); booleans are ``true``/``false``.
    """
    pairs: list[tuple[str, str]] = []
    for name, value in values.items():
        key = name[:-1] if name.endswith("_") else name
        if value is None:
            continue
        if isinstance(value, list | tuple):
            pairs.extend((key, _query_value(item)) for item in value)
        else:
            pairs.append((key, _query_value(value)))
    return pairs


def _query_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
